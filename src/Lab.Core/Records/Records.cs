namespace Lab.Core.Records;

public enum ProcessRole { Master, Child }

/// <summary>One row of samples.csv: one process at one sample tick.</summary>
/// <param name="T">Seconds since the start of the run.</param>
/// <param name="State">ps's state letter (R, S, D, Z, ...).</param>
/// <param name="Requests">Requests served so far by this PID.</param>
/// <param name="PssKb">Proportional set size from /proc/PID/smaps_rollup (shared pages divided among their sharers); -1 when not read at this tick.</param>
/// <param name="UssKb">Unique set size: Private_Clean + Private_Dirty of smaps_rollup; -1 when not read.</param>
/// <param name="SwapKb">Swap of smaps_rollup; -1 when not read.</param>
public readonly record struct Sample(double T, int Pid, ProcessRole Role, long RssKb, long VszKb, double CpuS, char State, long Requests,
    long PssKb = -1, long UssKb = -1, long SwapKb = -1)
{
    /// <summary>Unknown value of an optional KiB column (written as an empty field).</summary>
    public const long Unknown = -1;
    public bool HasPss => PssKb >= 0;
}

/// <summary>Who a process is, for ps.log (given once per PID, when it is first seen).</summary>
/// <param name="StartT">Seconds since the start of the run when the process started (negative if before).</param>
public sealed record ProcessInfo(int Pid, ProcessRole Role, string User, string Command, double StartT, int ParentPid = 0);

/// <summary>One row of requests.csv. Times in seconds since the start of the run.</summary>
/// <param name="Pid">The child that served it (0 if none).</param>
/// <param name="Status">See <see cref="RequestStatus"/>.</param>
/// <param name="LatencyMs">Coordinated-omission corrected: end minus intended time.</param>
/// <param name="RssKb">The serving child's RSS right after the request (the worker's own /proc/self/statm; exact on the sim); -1 when unknown.</param>
/// <param name="Kind">The request kind's name ([[request.kinds]]); null when the scenario has none.</param>
public readonly record struct RequestRecord(long Id, double TIntended, double TStart, double TEnd, int Pid, int Status,
    double LatencyMs, long LeakKb, long TransientKb, long RssKb = -1, string? Kind = null)
{
    public bool HasRss => RssKb >= 0;
    /// <summary>Latency from the actual send (not corrected for coordinated omission).</summary>
    public double UncorrectedMs => (TEnd - TStart) * 1000.0;
    public bool Ok => Status == RequestStatus.Ok;
    public bool Dropped => Status == RequestStatus.Dropped;
}

/// <summary>Request outcomes, as HTTP statuses where one fits.</summary>
public static class RequestStatus
{
    /// <summary>Could not be started in time (no free slot at its intended send time); never sent.</summary>
    public const int Dropped = 0;
    public const int Ok = 200;
    /// <summary>PHP fatal error: memory_limit exhausted. The child lives on.</summary>
    public const int MemoryLimit = 500;
    /// <summary>The child died mid-request (crash, kill, request_terminate_timeout, restart).</summary>
    public const int ChildDied = 502;
    /// <summary>Refused: the listen queue (listen.backlog) was full, or no pool was listening.</summary>
    public const int Refused = 503;
    /// <summary>The client's timeout passed before a response.</summary>
    public const int ClientTimeout = 504;

    public static string Describe(int status) => status switch
    {
        Dropped => "dropped (not sent in time)",
        Ok => "ok",
        MemoryLimit => "memory_limit exhausted",
        ChildDied => "child died mid-request",
        Refused => "refused (listen queue full / not listening)",
        ClientTimeout => "client timeout",
        _ => $"status {status}",
    };
}

/// <summary>
/// Where an engine sends what it observes. The results folder (Lab.Results) implements it;
/// so can a test. Calls come from one thread at a time.
/// </summary>
public interface IRunSink
{
    void Process(ProcessInfo process);
    void Sample(in Sample sample);
    /// <summary>All samples of the tick at time t were given (one ps block ends here).</summary>
    void EndTick(double t);
    void Event(in PoolEvent e);
    void Request(in RequestRecord r);
    /// <summary>A php-fpm-style log line (level already applied by the engine; line without newline).</summary>
    void Log(double t, FpmLogLevel level, string message);
    /// <summary>A raw log line as a real php-fpm wrote it (already formatted with its timestamp).</summary>
    void RawLog(string line);
}

/// <summary>php-fpm's log levels.</summary>
public enum FpmLogLevel { Debug = 0, Notice = 1, Warning = 2, Error = 3, Alert = 4 }
