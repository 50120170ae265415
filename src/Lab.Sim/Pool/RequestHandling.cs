using Lab.Core.Logging;
using Lab.Core.Php;
using Lab.Core.ProcessManager;
using Lab.Core.Records;
using Lab.Core.Requests;
using Lab.Core.Scenarios;
using Lab.Core.Status;
using Lab.Sim.Engine;

namespace Lab.Sim.Pool;

// Requests (php-src fpm_request.c and the child's loop in fpm_main.c): a connection on the
// listening socket, accept by the longest-waiting idle child, the request's leak and transient
// memory against memory_limit, its work and wait, the recycling rule (pm.max_requests), and the
// master's checks of request_slowlog_timeout and request_terminate_timeout (Lab.Core's
// RequestTimeouts).
internal sealed partial class Fpm
{
    /// <summary>
    /// A connection arrives (the load driver's request slot). With an idle child it is accepted
    /// at once; else it waits in the listen queue (ondemand: the socket's edge wakes the master);
    /// with the queue full (a Unix socket holds listen.backlog + 1: ListenBacklog), or no master
    /// listening, it is refused at once: the FastCGI client's connect() fails (503), nginx answers 502.
    /// </summary>
    public void Connect(int slot)
    {
        if (_down) { Load.Answer(slot, _refused, 0); return; }
        if (_idleHead is not null) { Wake(PopIdle(), slot); return; }
        if (_queue.IsFull) { Load.Answer(slot, _refused, 0); return; }
        _queue.Enqueue(slot);
        if (_pool.Pm == ProcessManagerStyle.Ondemand && _control.CanSpawn) OnSocketReadable();
    }

    /// <summary>
    /// The kernel wakes the longest waiter for a connection. With memory.accept_wakeup it runs that
    /// much later, and a child finishing its request meanwhile takes the connection (StealWoken).
    /// </summary>
    private void Wake(Child c, int slot)
    {
        if (_wakeupUs == 0) { Accept(c, slot); return; }
        c.Waking = true;
        c.WokenSlot = slot;
        _waking.Add(c);
        _sim.Schedule(_wakeupUs, c, Child.EventWoken, 0, c.Token);
    }

    /// <summary>The woken child runs: it accepts its connection, or, taken meanwhile, waits again at the end of the queue.</summary>
    private void OnWoken(Child c)
    {
        c.Waking = false;
        _waking.Remove(c);
        int slot = c.WokenSlot;
        c.WokenSlot = -1;
        if (slot >= 0) { Accept(c, slot); return; }
        if (c.Quitting) { Exit(c, code: 0, signal: 0); return; }
        PushIdle(c);
        DispatchQueue();
    }

    /// <summary>A connection a woken child has not taken yet (the earliest woken), taken from it; null if none.</summary>
    private int? StealWoken()
    {
        foreach (var w in _waking)
        {
            if (w.WokenSlot < 0) continue;
            int slot = w.WokenSlot;
            w.WokenSlot = -1;
            return slot;
        }
        return null;
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
            c.WaitUs = 0;
            c.TransientKb = 0;
            long tried = MemoryLimit.TriedBytes(spec.TransientKb);
            Emit(FpmLogLevel.Warning, FpmLogFact.ChildStderrMemoryLimit(_pool.Name, c.Pid, limit, tried, ScriptFile(spec), 1));
            _sim.Schedule(0, c, Child.EventRequestDone, 0, c.Token);
            return;
        }
        c.Failed = false;
        c.TransientKb = spec.TransientKb;
        c.Memory.BeginTransient(spec.TransientKb);
        // a new child's first request also pays its cold start (MemoryModel.ColdStart)
        c.WorkUs = Micros(spec.WorkMs) + (c.Served == 0 ? _coldStartUs : 0);
        c.WaitUs = Micros(spec.WaitMs);
        _sim.Schedule(c.WorkUs + c.WaitUs, c, Child.EventRequestDone, 0, c.Token);
    }

    private static long Micros(double ms) => (long)Math.Round(ms * 1000.0);

    /// <summary>
    /// The child answered: the transient memory is freed (the allocator keeps some), the
    /// per-process counter counts the request (a failed one too), and when the recycling rule
    /// says so (pm.max_requests reached) the child exits with code 0 (fpm_main.c); a child told
    /// to quit (SIGQUIT) exits now; otherwise it goes back to accept().
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

        if (c.Quitting)
        {
            Exit(c, code: 0, signal: 0);
            return;
        }
        if (RecycleAfterRequest(c))
        {
            ShutDown(c);
            return;
        }
        c.LastActivity = _sim.Now;
        EnterAccept(c);
    }

    /// <summary>
    /// A child calls accept() (after a request, or for the first time): it finds a connection a
    /// woken child has not taken yet (memory.accept_wakeup) and takes it, or waits at the end of
    /// the queue, which then serves the connections waiting in the backlog.
    /// </summary>
    private void EnterAccept(Child c)
    {
        if (_waking.Count > 0 && StealWoken() is int stolen) { Accept(c, stolen); return; }
        PushIdle(c);
        DispatchQueue();
    }

    /// <summary>
    /// fpm_pctl_check_request_timeout: Lab.Core's RequestTimeouts.Check for every child. Slow: the
    /// master traces the child (it is stopped and continued at once: "stopped for tracing", "about
    /// to trace", "finished trace"), logs "executing too slow" and counts a slow request;
    /// terminate: SIGTERM and "execution timed out ... terminating".
    /// </summary>
    private void CheckRequestTimeouts()
    {
        if (!RequestTimeouts.Any(_pool)) return;
        long now = _sim.Now;
        foreach (var c in SnapshotChildren())
        {
            if (c.Stage != ChildStage.Busy || c.Stopped) continue;
            double elapsed = Simulation.ToSeconds(now - c.AcceptedAt);
            switch (RequestTimeouts.Check(RequestStage.Running, elapsed, c.SlowLogged, _pool))
            {
                case TimeoutVerdict.Slow:
                    c.SlowLogged = true;
                    Emit(FpmLogLevel.Warning, FpmLogFact.ExecutingTooSlow(_pool.Name, c.Pid, ScriptFile(Load.Spec(c.Slot)), "GET", RequestUri(c), elapsed));
                    Emit(FpmLogLevel.Notice, FpmLogFact.ChildStoppedForTracing(c.Pid));
                    _scoreboard.SlowRequests++;
                    Emit(FpmLogLevel.Notice, FpmLogFact.AboutToTrace(c.Pid));
                    Emit(FpmLogLevel.Notice, FpmLogFact.FinishedTrace(c.Pid));
                    break;
                case TimeoutVerdict.Terminate:
                    // php-fpm signals, then logs; it buries the child on a later loop pass, after this line
                    Emit(FpmLogLevel.Warning, FpmLogFact.ExecutionTimedOut(_pool.Name, c.Pid, ScriptFile(Load.Spec(c.Slot)), "GET", RequestUri(c), elapsed));
                    SendSignal(c, SIGTERM);
                    break;
            }
        }
    }

    /// <summary>The request line php-fpm shows: the script's URI and its query string.</summary>
    private string RequestUri(Child c) => Load.Spec(c.Slot).Uri;

    /// <summary>SCRIPT_FILENAME of a request: the docroot (php.root, else the lab's scripts) and its script.</summary>
    private string ScriptFile(in RequestSpec spec) => _docRoot + (spec.Script.StartsWith('/') ? "" : "/") + spec.Script;
}
