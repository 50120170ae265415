using Lab.Core.Scenarios;

namespace Lab.Core.Status;

/// <summary>One child's scoreboard slot (php-fpm's struct fpm_scoreboard_proc_s), copied out consistently.</summary>
/// <param name="StartNs">Fork time on CLOCK_MONOTONIC (ns); AcceptedNs, LastActivityNs likewise.</param>
/// <param name="DurationUs">The last request's duration (µs).</param>
/// <param name="LastCpu">The last request's %CPU.</param>
/// <param name="Memory">The last request's peak memory (bytes).</param>
public readonly record struct SlotSnapshot(
    int Index, bool Used, int Pid, RequestStage Stage, long StartEpoch, long StartNs, long Requests,
    long AcceptedNs, long DurationUs, long LastActivityNs, long ContentLength, long Memory, double LastCpu,
    string Method, string Uri, string Query, string Script, string User)
{
    public bool Idle => Stage == RequestStage.Idle;
    /// <summary>A child holds the slot (used, its pid known).</summary>
    public bool IsProcess => Used && Pid != 0;
    /// <summary>php-fpm's requests_stages names (fpm_request.c).</summary>
    public static string StageName(RequestStage s) => s switch
    {
        RequestStage.Idle => "Idle",
        RequestStage.ReadingHeaders => "Reading headers",
        RequestStage.GettingRequestInfo => "Getting request information",
        RequestStage.Running => "Running",
        RequestStage.Ending => "Ending",
        RequestStage.Finishing => "Finishing",
        _ => "Starting",
    };
}

/// <summary>The pool's counters and slots (php-fpm's struct fpm_scoreboard_s), copied out: what the status page shows.</summary>
public sealed record ScoreboardSnapshot(
    string Pool, ProcessManagerStyle Pm, long StartEpoch, long AcceptedConn, int ListenQueue, int MaxListenQueue,
    int ListenQueueLen, int MaxActiveProcesses, int MaxChildrenReached, long SlowRequests,
    IReadOnlyList<SlotSnapshot> Slots)
{
    /// <summary>The children: used slots with a pid (php-fpm: procs[i].used).</summary>
    public IEnumerable<SlotSnapshot> Processes => Slots.Where(s => s.IsProcess);
    public int IdleProcesses => Slots.Count(s => s.IsProcess && s.Idle);
    public int ActiveProcesses => Slots.Count(s => s.IsProcess && !s.Idle);
}
