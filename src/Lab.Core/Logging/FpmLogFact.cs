namespace Lab.Core.Logging;

/// <summary>
/// What a php-fpm log line says, one kind per line wording of <see cref="FpmMessages.Table"/>.
/// The engines that write php-fpm's log (the simulator, the lab's dotnet master) build a fact
/// and render it; the real engines' log lines are parsed back into facts (Lab.Engines'
/// FpmLogParser, from the same table); <see cref="Events.FpmLogFollower"/> turns facts into events.
/// </summary>
public enum FpmLogKind
{
    Other,
    // the master (fpm.c, fpm_events.c, fpm_signals.c, fpm_process_ctl.c, fpm_sockets.c)
    MasterStarted, Ready, ReceivedSignal, Terminating, Finishing, Reloading, SwitchingState, NotSwitchingState,
    Exiting, ReloadingExecvp, UsingInheritedSocket, HeartbeatSetUp, ErrorLogReopened, FailedProcessesThreshold,
    // the configuration (fpm_conf.c)
    StartServersNotSet, SlowlogRequired, SlowlogAfterTerminate, InitializationFailed,
    // children (fpm_children.c, fpm_process_ctl.c, fpm_stdio.c)
    ChildStarted, ChildExitedCode, ChildExitedSignal, ChildKilledByPm, SendingSignal, ChildrenStillAlive,
    ChildStoppedForTracing, AboutToTrace, FinishedTrace, ChildStderr, ChildStdout,
    // the process manager (fpm_process_ctl.c)
    CurrentlyDynamic, CurrentlyOndemand, CreatedDynamically, ForkedOnAccept, MaxChildrenReached,
    MaxChildrenReachedOndemand, SeemsBusy,
    // requests (fpm_request.c)
    ExecutingTooSlow, ExecutionTimedOut,
}

/// <summary>
/// One log line's content, typed. Which fields a kind uses is given by its template in
/// <see cref="FpmMessages.Table"/> ({pool} → Pool, {pid} → Pid, {n} → N, ...).
/// </summary>
/// <param name="Signal">A signal number ({signal}; its name {signame} follows from it).</param>
/// <param name="Core">"- core dumped" after the signal's name.</param>
/// <param name="Seconds">Seconds with six decimals ({seconds}), as php-fpm prints timevals.</param>
/// <param name="Text">Free text ({text}): a child's output, the state a master switches to, execvp's arguments, a socket's address.</param>
public readonly record struct FpmLogFact(
    FpmLogKind Kind, string Pool = "", int Pid = 0, int Code = 0, int Signal = 0, bool Core = false, double Seconds = 0,
    long N = 0, long M = 0, long K = 0, string Text = "", string Script = "", string Method = "", string Uri = "")
{
    // ---- the master ----
    public static FpmLogFact MasterStarted(int pid) => new(FpmLogKind.MasterStarted, Pid: pid);
    public static readonly FpmLogFact Ready = new(FpmLogKind.Ready);
    public static FpmLogFact ReceivedSignal(int signal) => new(FpmLogKind.ReceivedSignal, Signal: signal);
    public static readonly FpmLogFact Terminating = new(FpmLogKind.Terminating);
    public static readonly FpmLogFact Finishing = new(FpmLogKind.Finishing);
    public static readonly FpmLogFact Reloading = new(FpmLogKind.Reloading);
    /// <param name="state">normal, reloading, terminating, finishing (fpm_state_names).</param>
    public static FpmLogFact SwitchingState(string state) => new(FpmLogKind.SwitchingState, Text: state);
    public static FpmLogFact NotSwitchingState(string state, string current) => new(FpmLogKind.NotSwitchingState, Text: state, Script: current);
    public static readonly FpmLogFact Exiting = new(FpmLogKind.Exiting);
    /// <param name="arguments">execvp's arguments as php-fpm prints them: "\"php-fpm8.2\", {\"php-fpm8.2\", \"-F\"}".</param>
    public static FpmLogFact ReloadingExecvp(string arguments) => new(FpmLogKind.ReloadingExecvp, Text: arguments);
    public static FpmLogFact UsingInheritedSocket(int fd, string address) => new(FpmLogKind.UsingInheritedSocket, N: fd, Text: address);
    public static FpmLogFact HeartbeatSetUp(long ms) => new(FpmLogKind.HeartbeatSetUp, N: ms);
    public static readonly FpmLogFact ErrorLogReopened = new(FpmLogKind.ErrorLogReopened);
    public static FpmLogFact FailedProcessesThreshold(int threshold, long intervalSeconds) =>
        new(FpmLogKind.FailedProcessesThreshold, N: threshold, M: intervalSeconds);

    // ---- the configuration ----
    public static FpmLogFact StartServersNotSet(string pool, int startServers) => new(FpmLogKind.StartServersNotSet, pool, N: startServers);
    public static FpmLogFact SlowlogRequired(string pool) => new(FpmLogKind.SlowlogRequired, pool);
    public static FpmLogFact SlowlogAfterTerminate(string pool, long slowlogSeconds, long terminateSeconds) =>
        new(FpmLogKind.SlowlogAfterTerminate, pool, N: slowlogSeconds, M: terminateSeconds);
    public static readonly FpmLogFact InitializationFailed = new(FpmLogKind.InitializationFailed);

    // ---- children ----
    public static FpmLogFact ChildStarted(string pool, int pid) => new(FpmLogKind.ChildStarted, pool, pid);
    public static FpmLogFact ChildExited(string pool, int pid, int code, double seconds) => new(FpmLogKind.ChildExitedCode, pool, pid, Code: code, Seconds: seconds);
    public static FpmLogFact ChildSignaled(string pool, int pid, int signal, double seconds, bool core = false) =>
        new(FpmLogKind.ChildExitedSignal, pool, pid, Signal: signal, Core: core, Seconds: seconds);
    public static FpmLogFact ChildKilledByPm(string pool, int pid, double seconds) => new(FpmLogKind.ChildKilledByPm, pool, pid, Seconds: seconds);
    public static FpmLogFact SendingSignal(string pool, int signal, int pid) => new(FpmLogKind.SendingSignal, pool, pid, Signal: signal);
    public static FpmLogFact ChildrenStillAlive(int n) => new(FpmLogKind.ChildrenStillAlive, N: n);
    public static FpmLogFact ChildStoppedForTracing(int pid) => new(FpmLogKind.ChildStoppedForTracing, Pid: pid);
    public static FpmLogFact AboutToTrace(int pid) => new(FpmLogKind.AboutToTrace, Pid: pid);
    public static FpmLogFact FinishedTrace(int pid) => new(FpmLogKind.FinishedTrace, Pid: pid);
    /// <summary>A child's stderr line, caught with catch_workers_output (decorate_workers_output = yes).</summary>
    public static FpmLogFact ChildStderr(string pool, int pid, string text) => new(FpmLogKind.ChildStderr, pool, pid, Text: text);
    public static FpmLogFact ChildStdout(string pool, int pid, string text) => new(FpmLogKind.ChildStdout, pool, pid, Text: text);
    /// <summary>A child's stderr line that is PHP's memory_limit fatal error (<see cref="FpmMessages.PhpMemoryLimit"/>): N limit, M tried, K line.</summary>
    public static FpmLogFact ChildStderrMemoryLimit(string pool, int pid, long limitBytes, long triedBytes, string script, int line) =>
        new(FpmLogKind.ChildStderr, pool, pid, N: limitBytes, M: triedBytes, K: line, Script: script,
            Text: FpmMessages.PhpFatalMemoryLimit(limitBytes, triedBytes, script, line));

    // ---- the process manager ----
    public static FpmLogFact CurrentlyDynamic(string pool, int active, int idle, int running, int rate) =>
        new(FpmLogKind.CurrentlyDynamic, pool, N: active, M: idle, K: running, Code: rate);
    public static FpmLogFact CurrentlyOndemand(string pool, int active, int idle) => new(FpmLogKind.CurrentlyOndemand, pool, N: active, M: idle);
    public static FpmLogFact CreatedDynamically(string pool, int n) => new(FpmLogKind.CreatedDynamically, pool, N: n);
    public static FpmLogFact ForkedOnAccept(string pool) => new(FpmLogKind.ForkedOnAccept, pool);
    public static FpmLogFact MaxChildrenReached(string pool, int max) => new(FpmLogKind.MaxChildrenReached, pool, N: max);
    public static FpmLogFact MaxChildrenReachedOndemand(string pool, int max) => new(FpmLogKind.MaxChildrenReachedOndemand, pool, N: max);
    public static FpmLogFact SeemsBusy(string pool, int rate, int idle, int total) => new(FpmLogKind.SeemsBusy, pool, N: rate, M: idle, K: total);

    // ---- requests ----
    public static FpmLogFact ExecutingTooSlow(string pool, int pid, string script, string method, string uri, double seconds) =>
        new(FpmLogKind.ExecutingTooSlow, pool, pid, Seconds: seconds, Script: script, Method: method, Uri: uri);
    public static FpmLogFact ExecutionTimedOut(string pool, int pid, string script, string method, string uri, double seconds) =>
        new(FpmLogKind.ExecutionTimedOut, pool, pid, Seconds: seconds, Script: script, Method: method, Uri: uri);

    /// <summary>The line's text, php-fpm's wording.</summary>
    public string Message => FpmMessages.Render(this);
}
