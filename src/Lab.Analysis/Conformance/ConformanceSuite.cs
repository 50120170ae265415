using Lab.Core.Logging;
using Lab.Core.Records;

namespace Lab.Analysis.Conformance;

/// <summary>
/// One figure a rule compares: measured on every engine's run, the same on the lab's engines as on
/// php-fpm 8.2 within <see cref="Tolerance"/> (absolute: |engine − php-fpm| ≤ Tolerance), for the
/// reason <see cref="Why"/> says when it is not 0.
/// </summary>
public sealed record Measure(string Name, Func<RunFacts, double> Of, double Tolerance = 0, string? Why = null);

/// <summary>
/// One php-fpm rule held to the real php-fpm: the scenario that shows it (lab/conformance/NAME.toml),
/// where php-src writes it, and the figures compared.
/// </summary>
public sealed record ConformanceRule(string Id, string Rule, string Source, string Scenario, IReadOnlyList<Measure> Measures);

/// <summary>
/// The conformance suite: at least one short scenario per rule of php-fpm the lab reproduces,
/// each compared on the lab's engines against php-fpm 8.2 (`./run.sh conform`). Tolerances are
/// stated per figure: exact for counts the rules decide, ±1 where php-fpm itself varies from run
/// to run (which loop pass a signal lands in, how many simultaneous connections one
/// edge-triggered event gathers), ±0.4 s for times measured on a loaded 2-core machine.
/// </summary>
public static class ConformanceSuite
{
    private static Measure Req(int status, double tol = 0) => new($"requests {status}: {RequestStatus.Describe(status)}", f => f.Requests(status), tol);
    private static Measure Ev(PoolEventKind kind, ExitCause? why = null, SpawnCause? spawned = null, double tol = 0, string? because = null) =>
        new($"{EventNames.Of(kind)} events" + (why is { } w ? $" ({PoolEvent.CauseName(w)})" : "") + (spawned is { } s ? $" ({PoolEvent.SpawnName(s)})" : ""),
            f => f.Count(kind, why, spawned), tol, because);
    private static Measure Exits(bool signaled, ExitCause why, double tol = 0, string? because = null) =>
        new($"exits on a {(signaled ? "signal" : "code")} ({PoolEvent.CauseName(why)})", f => f.Exits(signaled, why), tol, because);
    private static Measure Status(string field, double tol = 0) => new($"status: {field}", f => f.Status(field), tol);
    private static Measure Lines(FpmLogKind kind, double tol = 0, string? because = null) =>
        new($"log lines: {FpmMessages.Of(kind)!.Template}", f => f.LogLines(kind), tol, because);

    public static IReadOnlyList<ConformanceRule> Rules { get; } =
    [
        new("static-max-requests", "A static child serves pm.max_requests requests, exits with code 0 and is respawned (NOTICE lines).",
            "fpm_main.c (request loop), fpm_children.c: fpm_children_bury", "static-max-requests",
            [Req(200), Exits(false, ExitCause.MaxRequests), Ev(PoolEventKind.Spawn, spawned: SpawnCause.Respawn), Ev(PoolEventKind.Spawn, spawned: SpawnCause.Initial),
             Lines(FpmLogKind.ChildExitedCode), Lines(FpmLogKind.ChildStarted)]),

        new("dynamic-spawn-rate", "dynamic: the 1 s maintenance forks 1, 2, 4, … children while spare ones are short (pm.max_spawn_rate), and kills one idle child a second above max_spare_servers.",
            "fpm_process_ctl.c: fpm_pctl_perform_idle_server_maintenance", "dynamic-spare-servers",
            [new("maintenance spawn batches 1, 2, 4, …: the first three", f => Batches(f, 3), 0),
             Ev(PoolEventKind.Spawn, spawned: SpawnCause.Maintenance), Ev(PoolEventKind.Spawn, spawned: SpawnCause.Initial),
             Exits(false, ExitCause.Idle, tol: 1, because: "the last idle kill falls just before or after the end of the run, as the maintenance's phase falls")]),

        new("max-children", "At pm.max_children php-fpm warns once \"server reached pm.max_children setting\" and counts it on the status page.",
            "fpm_process_ctl.c: fpm_pctl_perform_idle_server_maintenance", "dynamic-spare-servers",
            [Ev(PoolEventKind.MaxChildren), Status("max children reached"), Lines(FpmLogKind.MaxChildrenReached)]),

        new("start-servers-default", "pm.start_servers left unset: php-fpm notices it and starts min_spare + (max_spare − min_spare) / 2 children.",
            "fpm_conf.c: fpm_conf_process_all_pools", "dynamic-spare-servers",
            [Lines(FpmLogKind.StartServersNotSet, tol: 1, because: "php-fpm with its log on stderr (as the lab runs it, and the official images) prints the configuration's notices twice: before and after it sets its log up"),
             Ev(PoolEventKind.Spawn, spawned: SpawnCause.Initial)]),

        new("ondemand-burst", "ondemand forks one child per edge-triggered event of the listening socket: simultaneous connections are one event, and the ones left waiting are not looked at again (php bug #69724).",
            "fpm_process_ctl.c: fpm_pctl_on_socket_accept; fpm_events.c (FPM_EV_EDGE)", "ondemand-burst",
            [Ev(PoolEventKind.Spawn, spawned: SpawnCause.Ondemand, tol: 2, because: "how many of eight near-simultaneous connections one edge-triggered event gathers depends on how fast the master forks: php-fpm usually forks once, the dotnet master (posix_spawn of a NativeAOT worker) once or twice, three times on a loaded 2-core machine (seen in the full suite)"),
             Req(200), Ev(PoolEventKind.MaxChildren)]),

        new("ondemand-idle-timeout", "ondemand: a child idle longer than pm.process_idle_timeout is killed (SIGQUIT, \"killed by the process management\") and not replaced.",
            "fpm_process_ctl.c: fpm_pctl_perform_idle_server_maintenance; fpm_children.c: fpm_children_bury", "ondemand-burst",
            [new("idle exits = children forked", f => f.Exits(false, ExitCause.Idle) - f.Count(PoolEventKind.Spawn), 0),
             Ev(PoolEventKind.Spawn, spawned: SpawnCause.Respawn)]),

        new("request-terminate-timeout", "request_terminate_timeout: checked every third of it; the child gets SIGTERM (\"execution timed out\"), its request fails, it is replaced.",
            "fpm_request.c: fpm_request_check_timed_out; fpm_conf.c (heartbeat)", "request-terminate-timeout",
            [Req(502), Ev(PoolEventKind.Timeout), Exits(true, ExitCause.Timeout), Ev(PoolEventKind.Spawn, spawned: SpawnCause.Respawn),
             new("seconds from the first request's start to its end", f => f.Durations(502).DefaultIfEmpty(-1).Min(), 0.7,
                 "the check runs every 666 ms from the master's start: where a request's start falls in that period is chance on a real engine, so the kill comes 2 s to 2.67 s after it")]),

        new("slowlog", "request_slowlog_timeout: the slow child is traced once per request (\"executing too slow\", \"stopped for tracing\", \"about to trace\", \"finished trace\"), counted as a slow request, and goes on.",
            "fpm_request.c: fpm_request_check_timed_out; fpm_php_trace.c: fpm_php_trace", "slowlog",
            [Req(200), Ev(PoolEventKind.Slow), Status("slow requests"), Lines(FpmLogKind.ChildStoppedForTracing), Lines(FpmLogKind.FinishedTrace)]),

        new("reload-default-timeout", "A reload with process_control_timeout = 0 (php-fpm's default): SIGQUIT, then SIGTERM on the master's next loop pass: busy requests are cut.",
            "fpm_process_ctl.c: fpm_pctl_action_next", "reload-default-timeout",
            [Req(502), Req(200), Ev(PoolEventKind.Reload), Exits(true, ExitCause.Reload), Lines(FpmLogKind.ReloadingExecvp)]),

        new("reload-5s-timeout", "A reload with process_control_timeout = 5s: the busy children finish their requests and exit with code 0; nothing is cut.",
            "fpm_process_ctl.c: fpm_pctl_action_next", "reload-timeout-5s",
            [Req(502), Req(200), Exits(false, ExitCause.Reload), Exits(true, ExitCause.Reload)]),

        new("graceful-stop", "A graceful stop (SIGQUIT: \"Finishing ...\"): the request in flight finishes within process_control_timeout, the master exits, later connections find nothing listening.",
            "fpm_events.c: fpm_got_signal; fpm_process_ctl.c: fpm_pctl_exit", "graceful-stop",
            [Req(200), Req(503), Exits(false, ExitCause.Shutdown), Lines(FpmLogKind.Finishing), Lines(FpmLogKind.Exiting)]),

        new("kill-child", "A busy child killed (SIGKILL): its request fails, php-fpm warns \"exited on signal 9 (SIGKILL)\" and respawns.",
            "fpm_children.c: fpm_children_bury", "kill-child",
            [Req(502), Ev(PoolEventKind.Crash), Exits(true, ExitCause.KillChild), Ev(PoolEventKind.Spawn, spawned: SpawnCause.Respawn), Lines(FpmLogKind.ChildExitedSignal)]),

        new("emergency-restart", "emergency_restart_threshold children dying on SIGSEGV within emergency_restart_interval: \"failed processes threshold ... initiating reload\".",
            "fpm_children.c: fpm_children_bury", "emergency-restart",
            [Ev(PoolEventKind.Reload), Ev(PoolEventKind.Crash), Ev(PoolEventKind.Spawn, spawned: SpawnCause.Respawn), Ev(PoolEventKind.Spawn, spawned: SpawnCause.Initial),
             Lines(FpmLogKind.FailedProcessesThreshold)]),

        new("listen-backlog", "A Unix socket holds listen.backlog + 1 waiting connections and refuses the next at once; the status page's listen-queue figures are 0 (TCP_INFO only).",
            "fpm_sockets.c: fpm_socket_get_listening_queue; fpm_process_ctl.c; Linux af_unix.c: unix_recvq_full", "listen-backlog",
            [Req(200), Req(503), Status("listen queue"), Status("max listen queue"), Status("listen queue len")]),

        new("memory-limit", "memory_limit bounds one request: it fails with PHP's fatal error (500, \"said into stderr\"), the child lives on.",
            "Zend/zend_alloc.c; fpm_stdio.c", "memory-limit",
            [Req(500), Ev(PoolEventKind.MemoryLimit), Ev(PoolEventKind.Exit), Ev(PoolEventKind.Spawn, spawned: SpawnCause.Initial), Lines(FpmLogKind.ChildStderr)]),

        new("idle-kill-sigkill", "php 8.2: an idle child that does not act on the process manager's SIGQUIT gets SIGKILL at the next pass, is warned about and replaced.",
            "fpm_process_ctl.c: fpm_pctl_kill_idle_child", "idle-kill-sigkill",
            [Exits(true, ExitCause.Crash), Ev(PoolEventKind.Spawn, spawned: SpawnCause.Respawn), Exits(false, ExitCause.Idle), Lines(FpmLogKind.ChildStoppedForTracing)]),

        new("log-wording", "Every NOTICE, WARNING and ERROR wording php-fpm writes in these scenarios is written by the engine too, and the engine writes no other (php-fpm's Debian build's systemd line aside).",
            "sapi/fpm/fpm/*.c (Lab.Core's FpmMessages table)", "*", []),
    ];

    /// <summary>The first n maintenance batches as one number (1, 2, 4 → 124), -1 when fewer.</summary>
    private static double Batches(RunFacts f, int n)
    {
        var b = f.SpawnBatches(SpawnCause.Maintenance);
        if (b.Count < n) return -1;
        double v = 0;
        for (int i = 0; i < n; i++) v = v * 10 + b[i];
        return v;
    }

    /// <summary>The distinct scenarios the rules run ("*": none of its own).</summary>
    public static IReadOnlyList<string> Scenarios => Rules.Select(r => r.Scenario).Where(s => s != "*").Distinct().ToList();
}
