using System.Globalization;
using Lab.Core.Logging;
using Lab.Core.Records;
using Lab.Core.Scenarios;

namespace Lab.Core.Events;

/// <summary>
/// Turns php-fpm's log, fact by fact, into the run's events: the ONE place where a child's end is
/// classified (how and why), a spawn's cause is told, and a master's start, reload and stop are
/// recognised. Every engine goes through it: the simulator hands it the facts of the lines it
/// writes, the real engines (php-fpm and the lab's dotnet master) the lines parsed back from
/// their log (written at log_level = debug), so the same pool history gives the same events
/// whoever ran it. The lab's own deeds that no log line shows (its kill-child action, the
/// article's restart) are told with <see cref="ExpectExit"/> and <see cref="MasterStopping"/>.
/// </summary>
public sealed class FpmLogFollower(Action<PoolEvent> emit, PoolSettings pool)
{
    private readonly Dictionary<int, ExitCause> _expected = new();
    private int _masterPid;
    private bool _ready;
    private bool _reexec;
    private ExitCause _stopping = ExitCause.None;

    /// <summary>The pool settings in force (the driver sets the new ones before it reloads).</summary>
    public PoolSettings Pool { get; set; } = pool;
    /// <summary>A pid as the log writes it → the pid the run reports (they differ inside a PID namespace).</summary>
    public Func<int, int> MapPid { get; set; } = p => p;
    /// <summary>The master the log last said was running (0 before).</summary>
    public int MasterPid => _masterPid;

    /// <summary>The lab itself is about to end this child (its kill-child action): its exit carries this why.</summary>
    public void ExpectExit(int pid, ExitCause why) => _expected[pid] = why;

    /// <summary>The lab is stopping the master for this reason (the article's restart, the end of the run).</summary>
    public void MasterStopping(ExitCause why) => _stopping = why;

    /// <summary>
    /// Why a child ended, from what the log and the lab know: a cause the lab or the master
    /// announced for that very child (kill-child, request_terminate_timeout), else the master's
    /// own stop or reload, else exit code 0 = pm.max_requests (when set; "exit" otherwise), a
    /// non-zero code = "error", a signal = "crash".
    /// </summary>
    public static ExitCause Classify(ExitStatus how, ExitCause expected, ExitCause stopping, int maxRequests)
    {
        if (expected != ExitCause.None) return expected;
        if (stopping != ExitCause.None) return stopping;
        if (how.Exited) return how.Number == 0 ? maxRequests > 0 ? ExitCause.MaxRequests : ExitCause.Exit : ExitCause.Error;
        return ExitCause.Crash;
    }

    /// <summary>
    /// Does this signal end a process by default (so the lab expects an exit when it sends it)?
    /// SIGSTOP, SIGCONT and the other stop/ignore signals do not; a php-fpm child's SIGQUIT does
    /// (it exits with code 0 after its request).
    /// </summary>
    public static bool EndsProcess(int signal) => signal is not (17 or 18 or 19 or 20 or 21 or 22 or 23 or 28);

    /// <summary>Is this end a crash for events.csv (a "crash" event beside the exit)?</summary>
    public static bool IsCrash(ExitStatus how, ExitCause why) => how.Signaled && why is ExitCause.Crash or ExitCause.KillChild;

    /// <summary>One log line's fact, at time t (seconds of the run), written at this level.</summary>
    public void On(double t, in FpmLogFact f, FpmLogLevel level)
    {
        int pid = f.Pid == 0 ? 0 : MapPid(f.Pid);
        switch (f.Kind)
        {
            case FpmLogKind.MasterStarted:
                // a reload re-executes the same master: not a new start
                if (!(_reexec && pid == _masterPid)) emit(PoolEvent.Of(t, PoolEventKind.Start, pid, PoolEvent.SettingsNote(Pool)));
                _masterPid = pid;
                _reexec = false;
                _ready = false;
                _stopping = ExitCause.None;
                break;
            case FpmLogKind.Ready:
                _ready = true;
                break;
            case FpmLogKind.Terminating:
            case FpmLogKind.Finishing:
                if (_stopping == ExitCause.None) _stopping = ExitCause.Shutdown;
                break;
            case FpmLogKind.Reloading:
                emit(PoolEvent.Of(t, PoolEventKind.Reload, _masterPid, "SIGUSR2;" + PoolEvent.SettingsNote(Pool)));
                _stopping = ExitCause.Reload;
                _reexec = true;
                break;
            case FpmLogKind.FailedProcessesThreshold:
                emit(PoolEvent.Of(t, PoolEventKind.Reload, _masterPid,
                    string.Create(CultureInfo.InvariantCulture, $"emergency_restart;{f.N} failed in {f.M} s")));
                _stopping = ExitCause.Reload;
                _reexec = true;
                break;
            case FpmLogKind.Exiting:
                emit(PoolEvent.Stop(t, _masterPid, _stopping == ExitCause.None ? ExitCause.Shutdown : _stopping));
                break;
            case FpmLogKind.ChildStarted:
                emit(PoolEvent.Spawn(t, pid, !_ready ? SpawnCause.Initial
                    : level >= FpmLogLevel.Notice ? SpawnCause.Respawn
                    : Pool.Pm == ProcessManagerStyle.Ondemand ? SpawnCause.Ondemand : SpawnCause.Maintenance));
                break;
            case FpmLogKind.ChildExitedCode:
                Exited(t, pid, ExitStatus.Code(f.Code));
                break;
            case FpmLogKind.ChildExitedSignal:
                Exited(t, pid, ExitStatus.Signal(f.Signal));
                break;
            case FpmLogKind.ChildKilledByPm:
                _expected.Remove(pid);
                emit(PoolEvent.Exit(t, pid, ExitStatus.Code(0), ExitCause.Idle));
                break;
            case FpmLogKind.SendingSignal:
                emit(PoolEvent.Kill(t, pid, f.Signal, _stopping == ExitCause.None ? ExitCause.Unknown : _stopping));
                break;
            case FpmLogKind.ExecutionTimedOut:
                _expected[pid] = ExitCause.Timeout;
                emit(PoolEvent.Of(t, PoolEventKind.Timeout, pid, Elapsed(f.Seconds)));
                emit(PoolEvent.Kill(t, pid, 15, ExitCause.Timeout));
                break;
            case FpmLogKind.ExecutingTooSlow:
                emit(PoolEvent.Of(t, PoolEventKind.Slow, pid, Elapsed(f.Seconds)));
                break;
            case FpmLogKind.MaxChildrenReached:
            case FpmLogKind.MaxChildrenReachedOndemand:
                emit(PoolEvent.Of(t, PoolEventKind.MaxChildren, _masterPid, "max_children " + f.N.ToString(CultureInfo.InvariantCulture)));
                break;
            case FpmLogKind.ChildStderr when f.N > 0 && f.M > 0: // PHP's memory_limit fatal error (FpmMessages.PhpMemoryLimit)
                emit(PoolEvent.Of(t, PoolEventKind.MemoryLimit, pid,
                    string.Create(CultureInfo.InvariantCulture, $"tried {f.M} bytes;limit {f.N} bytes")));
                break;
        }
    }

    private void Exited(double t, int pid, ExitStatus how)
    {
        var expected = _expected.Remove(pid, out var e) ? e : ExitCause.None;
        var why = Classify(how, expected, _stopping, Pool.MaxRequests);
        if (IsCrash(how, why)) emit(PoolEvent.Crash(t, pid, how));
        emit(PoolEvent.Exit(t, pid, how, why));
    }

    private static string Elapsed(double seconds) => "after " + FpmMessages.Seconds(seconds) + " s";
}
