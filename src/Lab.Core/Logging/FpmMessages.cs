using System.Globalization;
using System.Text;
using Lab.Core.Records;

namespace Lab.Core.Logging;

/// <summary>One line wording of php-fpm's log: its kind and its template (see <see cref="FpmMessages.Table"/>).</summary>
/// <param name="Source">Where php-src writes it (sapi/fpm/fpm/FILE: function).</param>
public sealed record FpmMessage(FpmLogKind Kind, string Template, string Source)
{
    /// <summary>The template cut into literal text and {placeholders}.</summary>
    public IReadOnlyList<(bool Placeholder, string Text)> Segments { get; } = Cut(Template);

    private static List<(bool, string)> Cut(string template)
    {
        var segments = new List<(bool, string)>();
        int i = 0;
        while (i < template.Length)
        {
            int open = template.IndexOf('{', i);
            if (open < 0) { segments.Add((false, template[i..])); break; }
            int close = template.IndexOf('}', open);
            if (open > i) segments.Add((false, template[i..open]));
            segments.Add((true, template[(open + 1)..close]));
            i = close + 1;
        }
        return segments;
    }
}

/// <summary>
/// php-fpm's log wording (php-src sapi/fpm), in ONE table: every line the lab's engines write
/// in php-fpm's name, and every line the lab reads back from a real php-fpm, is a template
/// here. The simulator and the dotnet master render <see cref="FpmLogFact"/>s with it; the real
/// engines' lines are parsed back with it (Lab.Engines' FpmLogParser builds its patterns from
/// these templates), so the wording is written once.
/// <para>Placeholders: {pool} {pid} {code} {signal} {signame} {core} {seconds} {n} {m} {k} {text}
/// {script} {method} {uri} — the fields of <see cref="FpmLogFact"/>.</para>
/// </summary>
public static class FpmMessages
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Every line wording, by kind.</summary>
    public static IReadOnlyList<FpmMessage> Table { get; } =
    [
        new(FpmLogKind.MasterStarted, "fpm is running, pid {pid}", "fpm.c: fpm_init"),
        new(FpmLogKind.Ready, "ready to handle connections", "fpm_events.c: fpm_event_loop"),
        new(FpmLogKind.ReceivedSignal, "received {signame}", "fpm_events.c: fpm_got_signal"),
        new(FpmLogKind.Terminating, "Terminating ...", "fpm_events.c: fpm_got_signal (SIGTERM, SIGINT)"),
        new(FpmLogKind.Finishing, "Finishing ...", "fpm_events.c: fpm_got_signal (SIGQUIT)"),
        new(FpmLogKind.Reloading, "Reloading in progress ...", "fpm_events.c: fpm_got_signal (SIGUSR2)"),
        new(FpmLogKind.SwitchingState, "switching to '{text}' state", "fpm_process_ctl.c: fpm_pctl"),
        new(FpmLogKind.NotSwitchingState, "not switching to '{text}' state, because already in '{script}' state", "fpm_process_ctl.c: fpm_pctl"),
        new(FpmLogKind.Exiting, "exiting, bye-bye!", "fpm_process_ctl.c: fpm_pctl_exit"),
        new(FpmLogKind.ReloadingExecvp, "reloading: execvp({text})", "fpm_process_ctl.c: fpm_pctl_exec"),
        new(FpmLogKind.UsingInheritedSocket, "using inherited socket fd={n}, \"{text}\"", "fpm_sockets.c: fpm_sockets_init_main"),
        new(FpmLogKind.HeartbeatSetUp, "heartbeat have been set up with a timeout of {n}ms", "fpm_process_ctl.c: fpm_pctl_heartbeat"),
        new(FpmLogKind.ErrorLogReopened, "error log file re-opened", "fpm_events.c: fpm_got_signal (SIGUSR1)"),
        new(FpmLogKind.FailedProcessesThreshold, "failed processes threshold ({n} in {m} sec) is reached, initiating reload", "fpm_children.c: fpm_children_bury"),
        new(FpmLogKind.StartServersNotSet, "[pool {pool}] pm.start_servers is not set. It's been set to {n}.", "fpm_conf.c: fpm_conf_process_all_pools"),
        new(FpmLogKind.SlowlogRequired, "[pool {pool}] 'slowlog' must be specified for use with 'request_slowlog_timeout'", "fpm_conf.c: fpm_conf_process_all_pools"),
        new(FpmLogKind.SlowlogAfterTerminate, "[pool {pool}] 'request_slowlog_timeout' ({n}) can't be greater than 'request_terminate_timeout' ({m})", "fpm_conf.c: fpm_conf_process_all_pools"),
        new(FpmLogKind.InitializationFailed, "FPM initialization failed", "fpm_main.c: main"),
        new(FpmLogKind.ChildStarted, "[pool {pool}] child {pid} started", "fpm_children.c: fpm_children_make"),
        new(FpmLogKind.ChildExitedCode, "[pool {pool}] child {pid} exited with code {code} after {seconds} seconds from start", "fpm_children.c: fpm_children_bury"),
        new(FpmLogKind.ChildExitedSignal, "[pool {pool}] child {pid} exited on signal {signal} ({signame}{core}) after {seconds} seconds from start", "fpm_children.c: fpm_children_bury"),
        new(FpmLogKind.ChildKilledByPm, "[pool {pool}] child {pid} has been killed by the process management after {seconds} seconds from start", "fpm_children.c: fpm_children_bury"),
        new(FpmLogKind.SendingSignal, "[pool {pool}] sending signal {signal} {signame} to child {pid}", "fpm_process_ctl.c: fpm_pctl_kill_all"),
        new(FpmLogKind.ChildrenStillAlive, "{n} child(ren) still alive", "fpm_process_ctl.c: fpm_pctl_kill_all"),
        new(FpmLogKind.ChildStoppedForTracing, "child {pid} stopped for tracing", "fpm_children.c: fpm_children_bury"),
        new(FpmLogKind.AboutToTrace, "about to trace {pid}", "fpm_php_trace.c: fpm_php_trace"),
        new(FpmLogKind.FinishedTrace, "finished trace of {pid}", "fpm_php_trace.c: fpm_php_trace"),
        new(FpmLogKind.ChildStderr, "[pool {pool}] child {pid} said into stderr: \"{text}\"", "fpm_stdio.c: fpm_stdio_child_said"),
        new(FpmLogKind.ChildStdout, "[pool {pool}] child {pid} said into stdout: \"{text}\"", "fpm_stdio.c: fpm_stdio_child_said"),
        new(FpmLogKind.CurrentlyDynamic, "[pool {pool}] currently {n} active children, {m} spare children, {k} running children. Spawning rate {code}", "fpm_process_ctl.c: fpm_pctl_perform_idle_server_maintenance"),
        new(FpmLogKind.CurrentlyOndemand, "[pool {pool}] currently {n} active children, {m} spare children", "fpm_process_ctl.c: fpm_pctl_perform_idle_server_maintenance"),
        new(FpmLogKind.CreatedDynamically, "[pool {pool}] {n} child(ren) have been created dynamically", "fpm_process_ctl.c: fpm_pctl_perform_idle_server_maintenance"),
        new(FpmLogKind.ForkedOnAccept, "[pool {pool}] got accept without idle child available .... I forked", "fpm_process_ctl.c: fpm_pctl_on_socket_accept"),
        new(FpmLogKind.MaxChildrenReached, "[pool {pool}] server reached pm.max_children setting ({n}), consider raising it", "fpm_process_ctl.c: fpm_pctl_perform_idle_server_maintenance"),
        new(FpmLogKind.MaxChildrenReachedOndemand, "[pool {pool}] server reached max_children setting ({n}), consider raising it", "fpm_process_ctl.c: fpm_pctl_on_socket_accept"),
        new(FpmLogKind.SeemsBusy, "[pool {pool}] seems busy (you may need to increase pm.start_servers, or pm.min/max_spare_servers), spawning {n} children, there are {m} idle, and {k} total children", "fpm_process_ctl.c: fpm_pctl_perform_idle_server_maintenance"),
        new(FpmLogKind.ExecutingTooSlow, "[pool {pool}] child {pid}, script '{script}' (request: \"{method} {uri}\") executing too slow ({seconds} sec), logging", "fpm_request.c: fpm_request_check_timed_out"),
        new(FpmLogKind.ExecutionTimedOut, "[pool {pool}] child {pid}, script '{script}' (request: \"{method} {uri}\") execution timed out ({seconds} sec), terminating", "fpm_request.c: fpm_request_check_timed_out"),
    ];

    /// <summary>
    /// PHP's fatal error for memory_limit (Zend/zend_alloc.c), as a php-fpm child writes it to its
    /// stderr after <see cref="ChildLogPrefix"/> (main.c's php_log_err, fpm_main.c's
    /// sapi_cgi_log_message); the master relays it as <see cref="FpmLogKind.ChildStderr"/>.
    /// {n} limit, {m} tried, {k} line.
    /// </summary>
    public static readonly FpmMessage PhpMemoryLimit = new(FpmLogKind.Other,
        "PHP Fatal error:  Allowed memory size of {n} bytes exhausted (tried to allocate {m} bytes) in {script} on line {k}", "Zend/zend_alloc.c: zend_mm_safe_error");

    /// <summary>What a php-fpm child's log line starts with at log_level notice (at debug, the function and line come between).</summary>
    public const string ChildLogPrefix = "NOTICE: PHP message: ";

    private static readonly FpmMessage?[] ByKind = IndexByKind();

    private static FpmMessage?[] IndexByKind()
    {
        var byKind = new FpmMessage?[Enum.GetValues<FpmLogKind>().Length];
        foreach (var m in Table) byKind[(int)m.Kind] = m;
        return byKind;
    }

    /// <summary>The wording of a kind (null for <see cref="FpmLogKind.Other"/>).</summary>
    public static FpmMessage? Of(FpmLogKind kind) => ByKind[(int)kind];

    /// <summary>A fact as php-fpm writes it (the message, after the level).</summary>
    public static string Render(in FpmLogFact fact)
    {
        var message = Of(fact.Kind) ?? throw new ArgumentException($"no wording for {fact.Kind}", nameof(fact));
        return Fill(message, fact);
    }

    /// <summary>Fills a template's placeholders from a fact's fields.</summary>
    public static string Fill(FpmMessage message, in FpmLogFact f)
    {
        var sb = new StringBuilder(message.Template.Length + 32);
        foreach (var (placeholder, text) in message.Segments)
        {
            if (!placeholder) { sb.Append(text); continue; }
            switch (text)
            {
                case "pool": sb.Append(f.Pool); break;
                case "pid": sb.Append(f.Pid.ToString(Inv)); break;
                case "code": sb.Append(f.Code.ToString(Inv)); break;
                case "signal": sb.Append(f.Signal.ToString(Inv)); break;
                case "signame": sb.Append(SignalName(f.Signal)); break;
                case "core": if (f.Core) sb.Append(" - core dumped"); break;
                case "seconds": sb.Append(Seconds(f.Seconds)); break;
                case "n": sb.Append(f.N.ToString(Inv)); break;
                case "m": sb.Append(f.M.ToString(Inv)); break;
                case "k": sb.Append(f.K.ToString(Inv)); break;
                case "text": sb.Append(f.Text); break;
                case "script": sb.Append(f.Script); break;
                case "method": sb.Append(f.Method); break;
                case "uri": sb.Append(f.Uri); break;
                default: throw new InvalidOperationException($"unknown placeholder {{{text}}} in \"{message.Template}\"");
            }
        }
        return sb.ToString();
    }

    /// <summary>php-fpm's "%ld.%06d" seconds of a timeval.</summary>
    public static string Seconds(double s) => s.ToString("0.000000", Inv);

    // ---- the lines by name (renderings of the table, for the engines and tests) ----

    public static string FpmIsRunning(int pid) => Render(FpmLogFact.MasterStarted(pid));
    public static readonly string ReadyToHandle = Render(FpmLogFact.Ready);
    public static readonly string Terminating = Render(FpmLogFact.Terminating);
    public static readonly string Finishing = Render(FpmLogFact.Finishing);
    public static readonly string ExitingByeBye = Render(FpmLogFact.Exiting);
    public static readonly string Reloading = Render(FpmLogFact.Reloading);
    public static string ChildStarted(string pool, int pid) => Render(FpmLogFact.ChildStarted(pool, pid));
    public static string ChildExited(string pool, int pid, int code, double secondsFromStart) => Render(FpmLogFact.ChildExited(pool, pid, code, secondsFromStart));
    public static string ChildSignaled(string pool, int pid, int signal, double secondsFromStart, bool core = false) =>
        Render(FpmLogFact.ChildSignaled(pool, pid, signal, secondsFromStart, core));
    public static string KilledByProcessManagement(string pool, int pid, double secondsFromStart) => Render(FpmLogFact.ChildKilledByPm(pool, pid, secondsFromStart));
    public static string MaxChildrenReached(string pool, int max) => Render(FpmLogFact.MaxChildrenReached(pool, max));
    public static string MaxChildrenReachedOndemand(string pool, int max) => Render(FpmLogFact.MaxChildrenReachedOndemand(pool, max));
    public static string SeemsBusy(string pool, int rate, int idle, int total) => Render(FpmLogFact.SeemsBusy(pool, rate, idle, total));
    public static string ExecutionTimedOut(string pool, int pid, string script, string method, string uri, double seconds) =>
        Render(FpmLogFact.ExecutionTimedOut(pool, pid, script, method, uri, seconds));
    public static string ChildSaidIntoStderr(string pool, int pid, string text) => Render(FpmLogFact.ChildStderr(pool, pid, text));

    /// <summary>PHP's memory_limit fatal error (Zend/zend_alloc.c).</summary>
    public static string AllowedMemoryExhausted(long limitBytes, long triedBytes) =>
        $"Allowed memory size of {limitBytes.ToString(Inv)} bytes exhausted (tried to allocate {triedBytes.ToString(Inv)} bytes)";

    /// <summary>
    /// The whole stderr line a php-fpm child writes for a memory_limit fatal error, e.g.
    /// NOTICE: PHP message: PHP Fatal error:  Allowed memory size of 134217728 bytes exhausted
    /// (tried to allocate 20480 bytes) in /lab/php/leak.php on line 3
    /// </summary>
    public static string PhpFatalMemoryLimit(long limitBytes, long triedBytes, string script, int line = 1) =>
        ChildLogPrefix + PhpFatalMemoryLimitError(limitBytes, triedBytes, script, line);

    /// <summary>PHP's fatal error itself ("PHP Fatal error:  Allowed memory size ... on line N"), as a web server receives it.</summary>
    public static string PhpFatalMemoryLimitError(long limitBytes, long triedBytes, string script, int line = 1) =>
        Fill(PhpMemoryLimit, new FpmLogFact(FpmLogKind.Other, N: limitBytes, M: triedBytes, K: line, Script: script));

    // ---- the master's command lines (Debian's php8.2-fpm), as ps and a reload show them ----

    /// <summary>The config file php-fpm runs with (Debian's php8.2-fpm), as the master's command line shows it.</summary>
    public const string ConfigFile = "/etc/php/8.2/fpm/php-fpm.conf";
    public const string Binary = "/usr/sbin/php-fpm8.2";
    public const string MasterCommand = "php-fpm: master process (" + ConfigFile + ")";
    public static string PoolCommand(string pool) => $"php-fpm: pool {pool}";

    /// <summary>execvp's arguments as fpm_pctl_exec prints them: "\"bin\", {\"bin\", \"arg\", ...}".</summary>
    public static string ExecvpArguments(string binary, IEnumerable<string> argv)
    {
        var sb = new StringBuilder().Append('"').Append(binary).Append("\", {");
        bool first = true;
        foreach (var a in argv)
        {
            if (!first) sb.Append(", ");
            first = false;
            sb.Append('"').Append(a).Append('"');
        }
        return sb.Append('}').ToString();
    }

    // ---- signals and levels ----

    public static string SignalName(int signal) => signal switch
    {
        1 => "SIGHUP", 2 => "SIGINT", 3 => "SIGQUIT", 4 => "SIGILL", 5 => "SIGTRAP", 6 => "SIGABRT", 7 => "SIGBUS",
        8 => "SIGFPE", 9 => "SIGKILL", 10 => "SIGUSR1", 11 => "SIGSEGV", 12 => "SIGUSR2", 13 => "SIGPIPE",
        14 => "SIGALRM", 15 => "SIGTERM", 17 => "SIGCHLD", 18 => "SIGCONT", 19 => "SIGSTOP", _ => $"SIG{signal}",
    };

    /// <summary>A signal number from its name (KILL, SIGKILL, 9); -1 if unknown.</summary>
    public static int SignalNumber(string name)
    {
        if (int.TryParse(name, NumberStyles.None, Inv, out int n)) return n;
        string up = name.ToUpperInvariant();
        if (!up.StartsWith("SIG", StringComparison.Ordinal)) up = "SIG" + up;
        for (int i = 1; i <= 19; i++) if (SignalName(i) == up) return i;
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
