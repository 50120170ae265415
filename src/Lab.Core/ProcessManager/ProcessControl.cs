using Lab.Core.Logging;
using Lab.Core.Records;
using Lab.Core.Scenarios;

namespace Lab.Core.ProcessManager;

/// <summary>php-fpm's process-control states (fpm_process_ctl.h).</summary>
public enum PctlState { Normal, Reloading, Terminating, Finishing }

/// <summary>What ends a reload or a stop once the last child is gone (fpm_pctl_action_last).</summary>
public enum PctlLast { None, Exec, Exit }

/// <summary>A log line the core wants written, at its level.</summary>
public readonly record struct CoreLog(FpmLogLevel Level, FpmLogFact Fact);

/// <summary>
/// What the driver does now, in this order: write <see cref="Logs"/>; send
/// <see cref="SignalAll"/> (when not 0) to every child, logging each with
/// <see cref="FpmLogFact.SendingSignal"/> and then <see cref="FpmLogFact.ChildrenStillAlive"/>
/// (fpm_pctl_kill_all); arm the process-control timer for <see cref="TimerSeconds"/> (when ≥ 0: 0
/// means the event loop's next pass) and call <see cref="ProcessControl.OnTimer"/> when it fires;
/// or, when <see cref="Last"/> is set, re-execute (reload) or exit.
/// </summary>
public readonly record struct PctlAction(IReadOnlyList<CoreLog> Logs, int SignalAll, int TimerSeconds, PctlLast Last)
{
    public static readonly PctlAction None = new([], 0, -1, PctlLast.None);
}

/// <summary>What the master does when a child has been reaped (fpm_children_bury), in order.</summary>
/// <param name="Line">The child's line ("exited with code 0 ...", "exited on signal 9 ...", "has been killed by the process management ...").</param>
/// <param name="Control">What process control does next: the last action when it was the last child of a reload or stop, or an emergency restart's reload.</param>
/// <param name="Respawn">Fork a replacement (after <see cref="Control"/>; only while the master can spawn).</param>
public readonly record struct ChildExitDecision(CoreLog Line, PctlAction Control, bool Respawn);

/// <summary>
/// php-fpm's process control, as one pure state machine shared by the simulator and the dotnet
/// master (php-src sapi/fpm/fpm/fpm_process_ctl.c: fpm_pctl, fpm_pctl_action_next,
/// fpm_pctl_action_last, fpm_pctl_child_exited; fpm_children.c: fpm_children_bury's logging,
/// respawn and emergency-restart rules).
/// <list type="bullet">
/// <item>SIGUSR2 → reloading, SIGQUIT → finishing, SIGTERM/SIGINT → terminating. 'normal' can be
/// overridden by any state, 'reloading' by 'finishing' and 'terminating', 'finishing' by
/// 'terminating', 'terminating' by none; the same state again is ignored.</item>
/// <item>Entering a state sends every child SIGQUIT (SIGTERM when terminating) and arms a timer of
/// process_control_timeout seconds (0 = the event loop's next pass); each time it fires, the
/// next signal goes out (after SIGQUIT: SIGTERM; after SIGTERM: SIGKILL) and the timer is armed
/// again for 1 second. php-fpm's default process_control_timeout is 0: busy children get SIGTERM
/// right after SIGQUIT and their requests are cut.</item>
/// <item>The last child gone (or none to begin with): reloading → re-execute; finishing,
/// terminating → exit.</item>
/// <item>A child's end: replaced unless the process manager killed it as idle (an exit, or
/// SIGQUIT); logged NOTICE (code 0, SIGQUIT) or WARNING (possible request loss), DEBUG while the
/// master cannot spawn; SIGSEGV/SIGBUS deaths counted for emergency_restart_threshold within
/// emergency_restart_interval, which triggers a reload.</item>
/// </list>
/// </summary>
public sealed class ProcessControl
{
    public const int SIGQUIT = 3, SIGKILL = 9, SIGTERM = 15, SIGBUS = 7, SIGSEGV = 11;

    private int _signalSent;
    private EmergencyRestart _emergency;

    public ProcessControl(PoolSettings settings)
    {
        Settings = settings;
        _emergency = new EmergencyRestart(settings.EmergencyRestartThreshold, settings.EmergencyRestartInterval);
    }

    /// <summary>The settings of this master (process_control_timeout, emergency_restart_*).</summary>
    public PoolSettings Settings { get; private set; }
    public PctlState State { get; private set; } = PctlState.Normal;
    /// <summary>fpm_pctl_can_spawn_children: only in the normal state.</summary>
    public bool CanSpawn => State == PctlState.Normal;

    /// <summary>php-fpm's fpm_state_names.</summary>
    public static string StateName(PctlState s) => s switch
    {
        PctlState.Normal => "normal",
        PctlState.Reloading => "reloading",
        PctlState.Terminating => "terminating",
        _ => "finishing",
    };

    /// <summary>The state a master signal asks for (fpm_got_signal), with php-fpm's NOTICE line; null for other signals.</summary>
    public static (PctlState State, FpmLogFact Notice)? ForSignal(int signal) => signal switch
    {
        2 or SIGTERM => (PctlState.Terminating, FpmLogFact.Terminating),
        SIGQUIT => (PctlState.Finishing, FpmLogFact.Finishing),
        12 => (PctlState.Reloading, FpmLogFact.Reloading),
        _ => null,
    };

    /// <summary>fpm_pctl(new_state, FPM_PCTL_ACTION_SET). <paramref name="running"/>: children not yet reaped.</summary>
    public PctlAction Set(PctlState target, int running)
    {
        if (State == target) return PctlAction.None; // already in progress: a duplicate signal is ignored
        bool allowed = State switch
        {
            PctlState.Normal => true,
            PctlState.Reloading => target is PctlState.Finishing or PctlState.Terminating,
            PctlState.Finishing => target == PctlState.Terminating,
            _ => false,
        };
        if (!allowed)
            return PctlAction.None with { Logs = [new(FpmLogLevel.Debug, FpmLogFact.NotSwitchingState(StateName(target), StateName(State)))] };
        _signalSent = 0;
        State = target;
        var next = ActionNext(running);
        return next with { Logs = [new(FpmLogLevel.Debug, FpmLogFact.SwitchingState(StateName(target))), .. next.Logs] };
    }

    /// <summary>The process-control timer fired (FPM_PCTL_ACTION_TIMEOUT).</summary>
    public PctlAction OnTimer(int running) => State == PctlState.Normal ? PctlAction.None : ActionNext(running);

    /// <summary>fpm_pctl_action_next: the last action when no child is left, else the next signal and timer.</summary>
    private PctlAction ActionNext(int running)
    {
        if (running == 0) return ActionLast();
        int sig, timeout;
        if (_signalSent == 0)
        {
            sig = State == PctlState.Terminating ? SIGTERM : SIGQUIT;
            timeout = FpmTime.WholeSeconds(Settings.ProcessControlTimeout);
        }
        else
        {
            sig = _signalSent == SIGQUIT ? SIGTERM : SIGKILL;
            timeout = 1;
        }
        _signalSent = sig;
        return new PctlAction([], sig, timeout, PctlLast.None);
    }

    private PctlAction ActionLast() => State switch
    {
        PctlState.Reloading => new PctlAction([], 0, -1, PctlLast.Exec),
        PctlState.Finishing or PctlState.Terminating => new PctlAction([], 0, -1, PctlLast.Exit),
        _ => PctlAction.None,
    };

    /// <summary>
    /// A child was reaped (fpm_children_bury). <paramref name="idleKill"/>: the process manager
    /// killed it as idle; <paramref name="runningAfter"/>: children left; <paramref name="nowSeconds"/>:
    /// the master's monotonic clock in whole seconds (emergency restart's window).
    /// </summary>
    public ChildExitDecision ChildExited(string pool, int pid, ExitStatus how, bool idleKill, double secondsFromStart, int runningAfter, long nowSeconds)
    {
        bool restart = !(idleKill && (how.Exited || how.Number == SIGQUIT));
        var level = FpmLogLevel.Notice;
        if (how.Exited ? how.Number != 0 : how.Number != SIGQUIT) level = FpmLogLevel.Warning; // possible request loss
        CoreLog line;
        if (restart)
        {
            if (!CanSpawn) level = FpmLogLevel.Debug;
            line = new(level, how.Exited
                ? FpmLogFact.ChildExited(pool, pid, how.Number, secondsFromStart)
                : FpmLogFact.ChildSignaled(pool, pid, how.Number, secondsFromStart));
        }
        else line = new(FpmLogLevel.Debug, FpmLogFact.ChildKilledByPm(pool, pid, secondsFromStart));

        // fpm_pctl_child_exited: the last child of a reload or a stop ends it
        var control = State != PctlState.Normal && runningAfter == 0 ? ActionLast() : PctlAction.None;
        if (control.Last == PctlLast.None && how.Signaled && how.Number is SIGSEGV or SIGBUS && _emergency.OnFault(nowSeconds))
        {
            var reload = Set(PctlState.Reloading, runningAfter);
            control = reload with
            {
                Logs = [new(FpmLogLevel.Warning, FpmLogFact.FailedProcessesThreshold(_emergency.Threshold, _emergency.IntervalSeconds)), .. reload.Logs],
            };
        }
        return new ChildExitDecision(line, control, restart && CanSpawn);
    }

    /// <summary>The master re-executed itself (a reload) with these settings: a fresh process control.</summary>
    public void Reexec(PoolSettings settings)
    {
        Settings = settings;
        State = PctlState.Normal;
        _signalSent = 0;
        _emergency = new EmergencyRestart(settings.EmergencyRestartThreshold, settings.EmergencyRestartInterval);
    }
}

/// <summary>
/// emergency_restart_threshold / emergency_restart_interval (fpm_children.c: last_faults): when
/// threshold children died on SIGSEGV or SIGBUS within interval seconds, the master reloads.
/// Off unless both are set. Times are whole seconds of the master's monotonic clock, as php-fpm's.
/// </summary>
public sealed class EmergencyRestart
{
    private readonly long[]? _lastFaults;
    private int _fault;

    public EmergencyRestart(int threshold, TimeSpan interval)
    {
        Threshold = threshold;
        IntervalSeconds = FpmTime.WholeSeconds(interval);
        if (threshold > 0 && IntervalSeconds > 0)
        {
            _lastFaults = new long[threshold];
            Array.Fill(_lastFaults, long.MinValue / 4); // never (php-fpm's zeros are boot time, long past)
        }
    }

    public int Threshold { get; }
    public int IntervalSeconds { get; }
    public bool Enabled => _lastFaults is not null;

    /// <summary>A child died on SIGSEGV or SIGBUS at <paramref name="nowSeconds"/>: true when the threshold is reached.</summary>
    public bool OnFault(long nowSeconds)
    {
        if (_lastFaults is null) return false;
        _lastFaults[_fault++] = nowSeconds;
        if (_fault == Threshold) _fault = 0;
        foreach (long at in _lastFaults)
            if (nowSeconds - at > IntervalSeconds) return false;
        return true;
    }
}

/// <summary>php-fpm's times: its timeouts are whole seconds (fpm_conf_set_time); the lab rounds a finer duration up.</summary>
public static class FpmTime
{
    public static int WholeSeconds(TimeSpan t) => t <= TimeSpan.Zero ? 0 : (int)Math.Ceiling(t.TotalSeconds - 1e-9);
}
