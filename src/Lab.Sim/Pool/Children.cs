using Lab.Core.Logging;
using Lab.Core.ProcessManager;
using Lab.Core.Records;
using Lab.Sim.Engine;

namespace Lab.Sim.Pool;

// The children (php-src fpm_children.c): fork (fpm_children_make), signals, and burying an
// exited child (fpm_children_bury) with php-fpm's log lines and its respawn rule.
internal sealed partial class Fpm
{
    /// <summary>
    /// Forks one child. php-fpm logs "child N started" at DEBUG for the initial children, the
    /// maintenance and ondemand forks (is_debug), and at NOTICE for a respawn after an exit.
    /// </summary>
    private Child Fork(string why, bool debug)
    {
        var c = new Child(this, _nextPid++, _sim.Now, _pool);
        _children.Add(c);
        _sink.Process(new ProcessInfo(c.Pid, ProcessRole.Child, "www-data", SimMessages.PoolCommand(_pool.Name), T, _masterPid));
        Event(EventNames.Spawn, c.Pid, why);
        Log(debug ? FpmLogLevel.Debug : FpmLogLevel.Notice, FpmMessages.ChildStarted(_pool.Name, c.Pid));
        _sim.Schedule(_spawnUs, c, Child.EventReady, 0, c.Token);
        return c;
    }

    /// <summary>The child reached accept(): it joins the queue of waiters and takes a waiting connection if any.</summary>
    private void OnChildReady(Child c)
    {
        if (c.Quitting) { Exit(c, code: 0, signal: 0, c.QuitWhy, crash: false); return; } // SIGQUIT while starting
        c.LastActivity = _sim.Now;
        PushIdle(c);
        DispatchQueue();
    }

    /// <summary>
    /// A signal reaches a child. SIGQUIT is php-fpm's graceful stop (sig_soft_quit): an idle child
    /// exits with code 0 at once, a busy (or starting) one after its current request. Any other
    /// signal ends it at once (SIGTERM, SIGKILL, SIGSEGV... are not caught by a child).
    /// <paramref name="external"/>: sent by someone else than the master (a crash for events.csv).
    /// </summary>
    private void SendSignal(Child c, int signal, string why, bool external)
    {
        if (c.Stage == ChildStage.Exited) return;
        Event(EventNames.Kill, c.Pid, $"signal {signal};{why}");
        if (signal == SIGQUIT)
        {
            if (c.Stage == ChildStage.Idle) Exit(c, code: 0, signal: 0, why, crash: false);
            else { c.Quitting = true; c.QuitWhy = why; }
            return;
        }
        Exit(c, code: 0, signal, why, crash: external);
    }

    /// <summary>
    /// The child exits and the master buries it (fpm_children_bury): its request in flight (if
    /// any) is lost (502), php-fpm's line is logged — NOTICE for code 0 or SIGQUIT, WARNING
    /// otherwise, DEBUG while the master is not in its normal state, and DEBUG "has been killed by
    /// the process management" for an idle kill — and it is replaced unless killed as idle or
    /// the master is reloading or terminating.
    /// </summary>
    private void Exit(Child c, int code, int signal, string why, bool crash)
    {
        var stage = c.Stage;
        c.Stage = ChildStage.Exited;
        c.Token++;
        if (c.InIdleQueue) RemoveIdle(c);
        _children.Remove(c);
        if (stage == ChildStage.Busy)
        {
            _activeCount--;
            int slot = c.Slot;
            c.Slot = -1;
            Load.Answer(slot, RequestStatus.ChildDied, c.Pid);
        }

        Event(EventNames.Exit, c.Pid, signal > 0 ? $"signal {signal};{why}" : $"code {code};{why}");
        double age = Simulation.ToSeconds(_sim.Now - c.ForkedAt);
        if (!c.IdleKill)
        {
            var severity = signal > 0
                ? (signal != SIGQUIT ? FpmLogLevel.Warning : FpmLogLevel.Notice)
                : (code != 0 ? FpmLogLevel.Warning : FpmLogLevel.Notice);
            if (_state != FpmState.Normal) severity = FpmLogLevel.Debug;
            if (Logs(severity))
                Log(severity, signal > 0
                    ? FpmMessages.ChildSignaled(_pool.Name, c.Pid, signal, age)
                    : FpmMessages.ChildExited(_pool.Name, c.Pid, code, age));
        }
        else if (Logs(FpmLogLevel.Debug))
        {
            Log(FpmLogLevel.Debug, FpmMessages.KilledByProcessManagement(_pool.Name, c.Pid, age));
        }
        if (crash) Event(EventNames.Crash, c.Pid, $"signal {signal} ({FpmMessages.SignalName(signal)})");

        if (ProcessManagerPolicy.Respawns(c.IdleKill, _state == FpmState.Normal)) Fork("respawn", debug: false);
        else PctlChildExited();
    }

    // The children waiting in accept(): a blocking accept() on a shared socket wakes the waiters
    // in FIFO order, so the child that has waited longest takes the next connection.

    private void PushIdle(Child c)
    {
        c.Stage = ChildStage.Idle;
        c.InIdleQueue = true;
        c.IdleNext = null;
        c.IdlePrev = _idleTail;
        if (_idleTail is null) _idleHead = c; else _idleTail.IdleNext = c;
        _idleTail = c;
        _idleCount++;
    }

    private Child PopIdle()
    {
        var c = _idleHead!;
        RemoveIdle(c);
        return c;
    }

    private void RemoveIdle(Child c)
    {
        if (c.IdlePrev is null) _idleHead = c.IdleNext; else c.IdlePrev.IdleNext = c.IdleNext;
        if (c.IdleNext is null) _idleTail = c.IdlePrev; else c.IdleNext.IdlePrev = c.IdlePrev;
        c.IdlePrev = c.IdleNext = null;
        c.InIdleQueue = false;
        _idleCount--;
    }

    private Child? FindChild(int pid)
    {
        foreach (var c in _children) if (c.Pid == pid) return c;
        return null;
    }
}
