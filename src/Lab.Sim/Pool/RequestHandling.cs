using Lab.Core.Logging;
using Lab.Core.Php;
using Lab.Core.Records;
using Lab.Core.Requests;
using Lab.Core.Scenarios;
using Lab.Sim.Engine;

namespace Lab.Sim.Pool;

// Requests (php-src fpm_request.c and the child's loop in fpm_main.c): a connection on the
// listening socket, accept by the longest-waiting idle child, the request's leak and transient
// memory against memory_limit, its work and wait, pm.max_requests, and the master's checks of
// request_slowlog_timeout and request_terminate_timeout.
internal sealed partial class Fpm
{
    /// <summary>
    /// A connection arrives (the load driver's request slot). With an idle child it is accepted
    /// at once; else it waits in the listen queue (ondemand: the master is woken to fork);
    /// with the queue full, or no master listening, it is refused (503).
    /// </summary>
    public void Connect(int slot)
    {
        if (_state == FpmState.Down) { Load.Answer(slot, RequestStatus.Refused, 0); return; }
        if (_idleHead is not null) { Accept(PopIdle(), slot); return; }
        if (_queue.IsFull) { Load.Answer(slot, RequestStatus.Refused, 0); return; }
        _queue.Enqueue(slot);
        _scoreboard.QueueLength(_queue.Count);
        if (_pool.Pm == ProcessManagerStyle.Ondemand && _state == FpmState.Normal) OnDemandAccept();
    }

    /// <summary>Idle children take the waiting connections, longest waiter first.</summary>
    private void DispatchQueue()
    {
        while (_queue.Count > 0 && _idleHead is not null) Accept(PopIdle(), _queue.Dequeue());
    }

    /// <summary>
    /// The child accepts a request: the leak comes first (kept forever), then the transient
    /// memory, which PHP's memory_limit counts: over the limit, the request dies at once with
    /// PHP's fatal error (500) and the child lives on; else the child works WorkMs (CPU), then
    /// waits WaitMs (asleep), then answers.
    /// </summary>
    private void Accept(Child c, int slot)
    {
        long now = _sim.Now;
        ref readonly RequestSpec spec = ref Load.Spec(slot);
        c.Stage = ChildStage.Busy;
        c.Slot = slot;
        c.RequestId = spec.Id;
        c.AcceptedAt = now;
        c.SlowLogged = false;
        _activeCount++;
        _scoreboard.Accepted(_activeCount);
        Load.Accepted(slot, c.Pid);

        c.Memory.Leak(SimMemory.KeptKb(spec.LeakKb, _mem));
        long limit = c.Settings.MemoryLimitBytes;
        if (MemoryLimit.Exceeds(limit, spec.TransientKb))
        {
            c.Failed = true;
            c.WorkUs = 0;
            c.TransientKb = 0;
            long tried = MemoryLimit.TriedBytes(spec.TransientKb);
            if (Logs(FpmLogLevel.Warning))
                Log(FpmLogLevel.Warning, FpmMessages.ChildSaidIntoStderr(_pool.Name, c.Pid, SimMessages.PhpFatalMemoryLimit(limit, tried, ScriptFile(spec))));
            Event(EventNames.MemoryLimit, c.Pid, $"request {spec.Id};tried {tried} bytes;limit {limit} bytes");
            _sim.Schedule(0, c, Child.EventRequestDone, 0, c.Token);
            return;
        }
        c.Failed = false;
        c.TransientKb = spec.TransientKb;
        c.Memory.BeginTransient(spec.TransientKb);
        c.WorkUs = Micros(spec.WorkMs);
        _sim.Schedule(c.WorkUs + Micros(spec.WaitMs), c, Child.EventRequestDone, 0, c.Token);
    }

    private static long Micros(double ms) => (long)Math.Round(ms * 1000.0);

    /// <summary>
    /// The child answered: the transient memory is freed (the allocator keeps some), the
    /// per-process counter counts the request (a failed one too), and after the
    /// pm.max_requests-th request the child exits with code 0 (fpm_main.c); a child told to quit
    /// (SIGQUIT) exits now; otherwise it goes back to accept().
    /// </summary>
    private void OnRequestDone(Child c)
    {
        int slot = c.Slot;
        c.Slot = -1;
        c.Stage = ChildStage.Finishing;
        _activeCount--;
        c.Served++;
        c.CpuUs += c.WorkUs;
        double u = SimMemory.Wobble(_scenario.Seed, c.RequestId);
        c.Memory.EndRequest(c.TransientKb, u, _mem);
        c.TransientKb = 0;
        // the child's RSS right after the request (its transient memory freed, the allocator's share kept)
        Load.Answer(slot, c.Failed ? RequestStatus.MemoryLimit : RequestStatus.Ok, c.Pid, c.Memory.RssKb(_mem));

        if (c.Settings.MaxRequests > 0 && c.Served >= c.Settings.MaxRequests)
        {
            Exit(c, code: 0, signal: 0, "max_requests", crash: false);
            return;
        }
        if (c.Quitting)
        {
            Exit(c, code: 0, signal: 0, c.QuitWhy, crash: false);
            return;
        }
        c.LastActivity = _sim.Now;
        PushIdle(c);
        DispatchQueue();
    }

    /// <summary>
    /// fpm_pctl_check_request_timeout → fpm_request_check_timed_out for every child: elapsed
    /// whole seconds since accept ≥ request_slowlog_timeout → slowlog (once per request,
    /// "slow requests" + 1); else ≥ request_terminate_timeout → "execution timed out", SIGTERM.
    /// </summary>
    private void CheckRequestTimeouts()
    {
        long terminate = WholeSeconds(_pool.RequestTerminateTimeout);
        long slowlog = WholeSeconds(_pool.RequestSlowlogTimeout);
        if (terminate == 0 && slowlog == 0) return;
        long now = _sim.Now;
        foreach (var c in SnapshotChildren())
        {
            if (c.Stage != ChildStage.Busy) continue;
            long elapsed = now - c.AcceptedAt;
            long elapsedWholeSeconds = elapsed / Simulation.TicksPerSecond;
            if (slowlog > 0 && !c.SlowLogged && elapsedWholeSeconds >= slowlog)
            {
                c.SlowLogged = true;
                _scoreboard.SlowRequests++;
                if (Logs(FpmLogLevel.Warning))
                    Log(FpmLogLevel.Warning, SimMessages.ExecutingTooSlow(_pool.Name, c.Pid, ScriptFile(Load.Spec(c.Slot)), "GET", RequestUri(c), Simulation.ToSeconds(elapsed)));
                Log(FpmLogLevel.Notice, SimMessages.StoppedForTracing(c.Pid));
                Log(FpmLogLevel.Notice, SimMessages.AboutToTrace(c.Pid));
                Log(FpmLogLevel.Notice, SimMessages.FinishedTrace(c.Pid));
            }
            else if (terminate > 0 && elapsedWholeSeconds >= terminate)
            {
                if (Logs(FpmLogLevel.Warning))
                    Log(FpmLogLevel.Warning, FpmMessages.ExecutionTimedOut(_pool.Name, c.Pid, ScriptFile(Load.Spec(c.Slot)), "GET", RequestUri(c), Simulation.ToSeconds(elapsed)));
                Event(EventNames.Timeout, c.Pid, FormattableString.Invariant($"request {c.RequestId};after {FpmMessages.Seconds(Simulation.ToSeconds(elapsed))} s"));
                SendSignal(c, SIGTERM, "timeout", external: false);
            }
        }
    }

    /// <summary>The request line php-fpm shows: the script's URI and its query string.</summary>
    private string RequestUri(Child c) => Load.Spec(c.Slot).Uri;

    /// <summary>SCRIPT_FILENAME of a request: the docroot (php.root, else the lab's scripts) and its script.</summary>
    private string ScriptFile(in RequestSpec spec) => _docRoot + (spec.Script.StartsWith('/') ? "" : "/") + spec.Script;
}
