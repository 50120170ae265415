using Lab.Core.Scenarios;
using Lab.Core.Status;

namespace Lab.Core.ProcessManager;

/// <summary>What the master's request check decides for one child in one pass.</summary>
public enum TimeoutVerdict
{
    None,
    /// <summary>request_slowlog_timeout passed: trace the child, log "executing too slow", count a slow request.</summary>
    Slow,
    /// <summary>request_terminate_timeout passed: SIGTERM, log "execution timed out ... terminating".</summary>
    Terminate,
}

/// <summary>
/// request_terminate_timeout and request_slowlog_timeout, as php-fpm's master checks them
/// (php-src fpm_conf.c: the heartbeat; fpm_process_ctl.c: fpm_pctl_check_request_timeout;
/// fpm_request.c: fpm_request_check_timed_out). Shared by the simulator and the dotnet master.
/// </summary>
public static class RequestTimeouts
{
    /// <summary>FPM_PCTL_MIN_HEARTBEAT (ms).</summary>
    public const int MinHeartbeatMs = 130;

    /// <summary>
    /// The check's period (fpm_conf_process_all_pools, fpm_pctl_heartbeat): a third of the
    /// smaller of request_terminate_timeout and request_slowlog_timeout, in whole ms (integer
    /// division of whole seconds × 1000), at least 130 ms. php-fpm arms it even with both off
    /// (then 130 ms, and nothing to check).
    /// </summary>
    public static int HeartbeatMs(PoolSettings p)
    {
        int heartbeat = 0;
        foreach (var t in (ReadOnlySpan<TimeSpan>)[p.RequestTerminateTimeout, p.RequestSlowlogTimeout])
        {
            int seconds = FpmTime.WholeSeconds(t);
            if (seconds == 0) continue;
            int ms = seconds * 1000 / 3;
            heartbeat = heartbeat == 0 ? ms : Math.Min(heartbeat, ms);
        }
        return Math.Max(heartbeat, MinHeartbeatMs);
    }

    /// <summary>
    /// php-fpm's refusal of the two together (fpm_conf_process_all_pools): a slowlog timeout longer
    /// than the terminate timeout, in whole seconds; null when they are fine. The scenario loader and
    /// the dotnet master's configuration reader both refuse with it.
    /// </summary>
    public static Logging.FpmLogFact? Refusal(PoolSettings p)
    {
        int slowlog = FpmTime.WholeSeconds(p.RequestSlowlogTimeout), terminate = FpmTime.WholeSeconds(p.RequestTerminateTimeout);
        return slowlog > 0 && terminate > 0 && slowlog > terminate ? Logging.FpmLogFact.SlowlogAfterTerminate(p.Name, slowlog, terminate) : null;
    }

    /// <summary>Is there anything to check (fpm_pctl_check_request_timeout: terminate_timeout || slowlog_timeout)?</summary>
    public static bool Any(PoolSettings p) => FpmTime.WholeSeconds(p.RequestTerminateTimeout) > 0 || FpmTime.WholeSeconds(p.RequestSlowlogTimeout) > 0;

    /// <summary>
    /// One child, one pass (fpm_request_check_timed_out). Only a request between accept and its end
    /// counts (stage after ACCEPTING and before END). Elapsed time is compared in whole seconds.
    /// The slowlog fires once per request, and only while the script executes; in a pass where it
    /// fires, termination is not checked (the "else" of php-fpm), so it comes a pass later.
    /// </summary>
    /// <param name="slowLogged">This request was already logged as slow.</param>
    public static TimeoutVerdict Check(RequestStage stage, double elapsedSeconds, bool slowLogged, PoolSettings p)
    {
        if (stage <= RequestStage.Idle || stage >= RequestStage.Ending) return TimeoutVerdict.None;
        long elapsed = (long)Math.Floor(elapsedSeconds);
        int slowlog = FpmTime.WholeSeconds(p.RequestSlowlogTimeout);
        int terminate = FpmTime.WholeSeconds(p.RequestTerminateTimeout);
        if (!slowLogged && slowlog > 0 && stage == RequestStage.Running && elapsed >= slowlog) return TimeoutVerdict.Slow;
        if (terminate > 0 && elapsed >= terminate) return TimeoutVerdict.Terminate;
        return TimeoutVerdict.None;
    }
}
