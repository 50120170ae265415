using System.Globalization;
using Lab.Core.Records;

namespace Lab.Core.Logging;

/// <summary>php-fpm's own log wording (php-src sapi/fpm), so fpm.log reads like php-fpm's.</summary>
public static class FpmMessages
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Seconds(double s) => s.ToString("0.000000", Inv);

    public static string FpmIsRunning(int pid) => $"fpm is running, pid {pid}";
    public const string ReadyToHandle = "ready to handle connections";
    public const string Terminating = "Terminating ...";
    public const string Finishing = "Finishing ...";
    public const string ExitingByeBye = "exiting, bye-bye!";
    public const string Reloading = "Reloading in progress ...";

    public static string ChildStarted(string pool, int pid) => $"[pool {pool}] child {pid} started";

    public static string ChildExited(string pool, int pid, int code, double secondsFromStart) =>
        $"[pool {pool}] child {pid} exited with code {code} after {Seconds(secondsFromStart)} seconds from start";

    public static string ChildSignaled(string pool, int pid, int signal, double secondsFromStart, bool core = false) =>
        $"[pool {pool}] child {pid} exited on signal {signal} ({SignalName(signal)}{(core ? " - core dumped" : "")}) after {Seconds(secondsFromStart)} seconds from start";

    public static string KilledByProcessManagement(string pool, int pid, double secondsFromStart) =>
        $"[pool {pool}] child {pid} has been killed by the process management after {Seconds(secondsFromStart)} seconds from start";

    public static string MaxChildrenReached(string pool, int max) =>
        $"[pool {pool}] server reached pm.max_children setting ({max}), consider raising it";

    /// <summary>ondemand's wording (fpm_pctl_on_socket_accept) lacks the "pm.".</summary>
    public static string MaxChildrenReachedOndemand(string pool, int max) =>
        $"[pool {pool}] server reached max_children setting ({max}), consider raising it";

    public static string SeemsBusy(string pool, int rate, int idle, int total) =>
        $"[pool {pool}] seems busy (you may need to increase pm.start_servers, or pm.min/max_spare_servers), spawning {rate} children, there are {idle} idle, and {total} total children";

    public static string ExecutionTimedOut(string pool, int pid, string script, string method, string uri, double seconds) =>
        $"[pool {pool}] child {pid}, script '{script}' (request: \"{method} {uri}\") execution timed out ({Seconds(seconds)} sec), terminating";

    /// <summary>What php-fpm logs of a child's stderr with catch_workers_output = yes.</summary>
    public static string ChildSaidIntoStderr(string pool, int pid, string text) =>
        $"[pool {pool}] child {pid} said into stderr: \"{text}\"";

    /// <summary>
    /// The whole stderr line a php-fpm child writes for a PHP fatal error (fpm_main.c's
    /// sapi_cgi_log_message prefixes "PHP message: " at NOTICE); the master logs it as
    /// ChildSaidIntoStderr. Example: NOTICE: PHP message: PHP Fatal error:  Allowed memory size of
    /// 134217728 bytes exhausted (tried to allocate 20480 bytes) in /lab/php/leak.php on line 3
    /// </summary>
    public static string PhpFatalMemoryLimit(long limitBytes, long triedBytes, string script, int line = 1) =>
        $"NOTICE: PHP message: PHP Fatal error:  {AllowedMemoryExhausted(limitBytes, triedBytes)} in {script} on line {line}";

    /// <summary>PHP's memory_limit fatal error (Zend/zend_alloc.c).</summary>
    public static string AllowedMemoryExhausted(long limitBytes, long triedBytes) =>
        $"Allowed memory size of {limitBytes} bytes exhausted (tried to allocate {triedBytes} bytes)";

    public static string SignalName(int signal) => signal switch
    {
        1 => "SIGHUP", 2 => "SIGINT", 3 => "SIGQUIT", 4 => "SIGILL", 6 => "SIGABRT", 7 => "SIGBUS",
        8 => "SIGFPE", 9 => "SIGKILL", 10 => "SIGUSR1", 11 => "SIGSEGV", 12 => "SIGUSR2", 13 => "SIGPIPE",
        14 => "SIGALRM", 15 => "SIGTERM", _ => $"SIG{signal}",
    };

    /// <summary>A signal number from its name (KILL, SIGKILL, 9); -1 if unknown.</summary>
    public static int SignalNumber(string name)
    {
        if (int.TryParse(name, NumberStyles.None, Inv, out int n)) return n;
        string up = name.ToUpperInvariant();
        if (!up.StartsWith("SIG", StringComparison.Ordinal)) up = "SIG" + up;
        for (int i = 1; i <= 15; i++) if (SignalName(i) == up) return i;
        return -1;
    }

    /// <summary>php-fpm's line prefix: "[25-Nov-2026 04:32:10] NOTICE: ".</summary>
    public static string FormatLine(DateTime utc, FpmLogLevel level, string message) =>
        $"[{utc.ToString("dd-MMM-yyyy HH:mm:ss", Inv)}] {LevelName(level)}: {message}";

    public static string LevelName(FpmLogLevel level) => level switch
    {
        FpmLogLevel.Debug => "DEBUG",
        FpmLogLevel.Notice => "NOTICE",
        FpmLogLevel.Warning => "WARNING",
        FpmLogLevel.Error => "ERROR",
        _ => "ALERT",
    };
}
