using Lab.Core.Logging;
using Lab.Core.ProcessManager;
using Lab.Core.Randomness;
using Lab.Core.Records;
using Lab.Sim.Engine;

namespace Lab.Sim.Pool;

// The children (php-src fpm_children.c): fork (fpm_children_make), signals, and burying an
// exited child (fpm_children_bury), whose rules — the line, its level, the respawn, the
// emergency restart — are Lab.Core's ProcessControl.ChildExited.
internal sealed partial class Fpm
{
    /// <summary>
    /// Forks one child (only while process control allows it: fpm_pctl_can_spawn_children).
    /// php-fpm logs "child N started" at DEBUG for the initial children and the process manager's
    /// forks (is_debug), at NOTICE for a respawn after an exit.
    /// </summary>
    /// <param name="initial">One of the children the master forks at its start: it reaches accept() memory.start_spread later at most.</param>
    private Child? Fork(bool debug, bool initial = false)
    {
        if (!_control.CanSpawn) return null;
        var c = new Child(this, _nextPid++, _sim.Now, _pool);
        AssignLife(c);
        c.SpawnUs = _spawnUs + (initial && _startSpreadUs > 0
            ? (long)Math.Round(LabRandom.Uniform(_seed, LabRandom.Streams.StartSpread, (ulong)c.Life) * _startSpreadUs) : 0);
        _children.Add(c);
        _sink.Process(new ProcessInfo(c.Pid, ProcessRole.Child, "www-data", FpmMessages.PoolCommand(_pool.Name), T, _masterPid));
        Emit(debug ? FpmLogLevel.Debug : FpmLogLevel.Notice, FpmLogFact.ChildStarted(_pool.Name, c.Pid));
        _sim.Schedule(c.SpawnUs, c, Child.EventReady, 0, c.Token);
        return c;
    }

    /// <summary>The child reached accept() (fpm_request_accepting): it joins the waiters and takes a waiting connection if any.</summary>
    private void OnChildReady(Child c)
    {
        if (c.Quitting) { Exit(c, code: 0, signal: 0); return; } // SIGQUIT while starting: the request loop ends at once
        c.LastActivity = _sim.Now;
        EnterAccept(c); // its first accept(), as a finishing child's
    }

    /// <summary>
    /// A signal reaches a child. SIGQUIT is php-fpm's graceful stop (sig_soft_quit): an idle child
    /// closes its listening socket and exits with code 0 (<see cref="Child.QuitLatencyUs"/>
    /// later), a busy or starting one after its current request. SIGSTOP freezes it (it neither
    /// accepts nor acts on SIGQUIT) until SIGCONT. Any other signal ends it at once: a php-fpm
    /// child keeps the default action of SIGTERM, SIGKILL, SIGSEGV...
    /// </summary>
    private void SendSignal(Child c, int signal)
    {
        if (c.Stage == ChildStage.Exited) return;
        switch (signal)
        {
            case SIGSTOP:
                Stop(c);
                return;
            case SIGCONT:
                Continue(c);
                return;
            case SIGQUIT:
                if (c.Stopped) { c.PendingQuit = true; return; }
                Quit(c);
                return;
            default:
                Exit(c, code: 0, signal);
                return;
        }
    }

    private void Quit(Child c)
    {
        if (c.Waking) { c.Quitting = true; return; } // woken for a connection: it serves it (or, taken meanwhile, exits when it runs)
        if (c.Stage == ChildStage.Idle)
        {
            if (c.InIdleQueue) RemoveIdle(c);
            c.Stage = ChildStage.Quitting;
            c.Token++;
            _sim.Schedule(Child.QuitLatencyUs, c, Child.EventQuitDone, 0, c.Token);
        }
        else if (c.Stage != ChildStage.Quitting) c.Quitting = true;
    }

    private void OnQuitDone(Child c) => Exit(c, code: 0, signal: 0);

    /// <summary>
    /// SIGSTOP: the child stops where it is; what it was doing resumes at SIGCONT. php-fpm's master,
    /// which waits with WUNTRACED, sees the stop and logs it as it would a trace (fpm_children_bury).
    /// </summary>
    private void Stop(Child c)
    {
        if (c.Stopped) return;
        c.Stopped = true;
        Emit(FpmLogLevel.Notice, FpmLogFact.ChildStoppedForTracing(c.Pid));
        if (c.InIdleQueue) RemoveIdle(c); // frozen in accept(): it takes no connection (the scoreboard still says idle)
        c.Token++;                        // its pending work waits
        c.StoppedAt = _sim.Now;
    }

    private void Continue(Child c)
    {
        if (!c.Stopped) return;
        c.Stopped = false;
        long paused = _sim.Now - c.StoppedAt;
        switch (c.Stage)
        {
            case ChildStage.Starting:
                _sim.Schedule(Math.Max(0, c.ForkedAt + c.SpawnUs + paused - _sim.Now), c, Child.EventReady, 0, c.Token);
                break;
            case ChildStage.Busy:
                c.AcceptedAt += paused;
                _sim.Schedule(Math.Max(0, c.AcceptedAt + c.WorkUs + c.WaitUs - _sim.Now), c, Child.EventRequestDone, 0, c.Token);
                break;
            case ChildStage.Quitting:
                _sim.Schedule(Child.QuitLatencyUs, c, Child.EventQuitDone, 0, c.Token);
                break;
            case ChildStage.Idle when c.Waking:
                _sim.Schedule(_wakeupUs, c, Child.EventWoken, 0, c.Token);
                break;
            case ChildStage.Idle:
                PushIdle(c);
                DispatchQueue();
                break;
        }
        if (c.PendingQuit) { c.PendingQuit = false; Quit(c); }
    }

    /// <summary>
    /// The child exits and the master buries it (fpm_children_bury): its request in flight (if
    /// any) is lost (502); Lab.Core's ProcessControl says what php-fpm logs and whether it is
    /// replaced, and carries process control on (the last child of a reload or a stop; an
    /// emergency restart).
    /// </summary>
    private void Exit(Child c, int code, int signal)
    {
        var stage = c.Stage;
        c.Stage = ChildStage.Exited;
        c.Token++;
        if (c.InIdleQueue) RemoveIdle(c);
        _children.Remove(c);
        bool wasWaking = c.Waking;
        int wokenFor = c.WokenSlot;
        if (wasWaking) { c.Waking = false; _waking.Remove(c); c.WokenSlot = -1; }
        if (stage == ChildStage.Busy)
        {
            _activeCount--;
            int slot = c.Slot;
            c.Slot = -1;
            Load.Answer(slot, RequestStatus.ChildDied, c.Pid);
        }

        var how = signal > 0 ? ExitStatus.Signal(signal) : ExitStatus.Code(code);
        double age = Simulation.ToSeconds(_sim.Now - c.ForkedAt);
        var burial = _control.ChildExited(_pool.Name, c.Pid, how, c.IdleKill, age, _children.Count, _sim.Now / Simulation.TicksPerSecond);
        Emit(burial.Line);
        CarryOut(burial.Control);
        if (burial.Respawn && !_down) Fork(debug: false);
        if (wasWaking && wokenFor >= 0) Connect(wokenFor); // the connection it was woken for waits for another child
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
