using Lab.Core.Logging;

namespace Lab.Sim.Pool;

/// <summary>
/// php-fpm log lines the model writes that Lab.Core's <see cref="FpmMessages"/> does not hold
/// (worded as php-src sapi/fpm writes them: fpm_process_ctl.c, fpm_request.c, fpm_children.c,
/// fpm_php_trace.c). Mostly DEBUG lines, plus the slowlog's WARNING and tracing NOTICEs.
/// </summary>
internal static class SimMessages
{
    /// <summary>The config file php-fpm runs with (Debian's php8.2-fpm), as the master's command line shows it.</summary>
    public const string ConfigFile = "/etc/php/8.2/fpm/php-fpm.conf";
    public const string Binary = "/usr/sbin/php-fpm8.2";
    public const string MasterCommand = "php-fpm: master process (" + ConfigFile + ")";
    public static string PoolCommand(string pool) => $"php-fpm: pool {pool}";

    /// <summary>fpm_pctl_exec, on reload (SIGUSR2), before the master re-executes itself.</summary>
    public const string ReloadingExecvp =
        "reloading: execvp(\"" + Binary + "\", {\"" + Binary + "\", \"--nodaemonize\", \"--fpm-config\", \"" + ConfigFile + "\"})";

    public static string SendingSignal(string pool, int signal, int pid) =>
        $"[pool {pool}] sending signal {signal} {FpmMessages.SignalName(signal)} to child {pid}";

    public static string ChildrenStillAlive(int n) => $"{n} child(ren) still alive";

    public static string CurrentlyDynamic(string pool, int active, int idle, int running, int rate) =>
        $"[pool {pool}] currently {active} active children, {idle} spare children, {running} running children. Spawning rate {rate}";

    public static string CurrentlyOndemand(string pool, int active, int idle) =>
        $"[pool {pool}] currently {active} active children, {idle} spare children";

    public static string CreatedDynamically(string pool, int n) => $"[pool {pool}] {n} child(ren) have been created dynamically";

    public static string ForkedOnAccept(string pool) => $"[pool {pool}] got accept without idle child available .... I forked";

    /// <summary>request_slowlog_timeout passed (fpm_request_check_timed_out).</summary>
    public static string ExecutingTooSlow(string pool, int pid, string script, string method, string uri, double seconds) =>
        $"[pool {pool}] child {pid}, script '{script}' (request: \"{method} {uri}\") executing too slow ({FpmMessages.Seconds(seconds)} sec), logging";

    public static string StoppedForTracing(int pid) => $"child {pid} stopped for tracing";
    public static string AboutToTrace(int pid) => $"about to trace {pid}";
    public static string FinishedTrace(int pid) => $"finished trace of {pid}";

    /// <summary>PHP's fatal error as the child writes it to stderr (display to stderr, html_errors off).</summary>
    public static string PhpFatalMemoryLimit(long limitBytes, long triedBytes, string scriptFile) =>
        $"PHP Fatal error:  {FpmMessages.AllowedMemoryExhausted(limitBytes, triedBytes)} in {scriptFile} on line 1";
}
