using Lab.Core.Records;

namespace Lab.Results;

/// <summary>
/// What a run has shown so far, for a progress display: a snapshot taken when asked (safe to
/// ask from another thread than the engine's).
/// </summary>
/// <param name="LastTickT">Run time of the last sample tick; NaN before the first.</param>
/// <param name="LastTickSamples">The processes sampled at that tick.</param>
/// <param name="RequestsByStatus">Requests seen so far by status (0 = dropped).</param>
public sealed record LiveStats(
    double LastTickT,
    IReadOnlyList<Sample> LastTickSamples,
    IReadOnlyDictionary<int, long> RequestsByStatus,
    long Requests,
    long ChildrenSpawned,
    long Recycles)
{
    public long RequestsOk => RequestsByStatus.GetValueOrDefault(RequestStatus.Ok);
    public long Dropped => RequestsByStatus.GetValueOrDefault(RequestStatus.Dropped);
    public long RequestsFailed => Requests - RequestsOk - Dropped;

    /// <summary>Sum of the RSS of the last tick's processes (KiB).</summary>
    public long PoolRssKb => LastTickSamples.Sum(s => s.RssKb);

    /// <summary>The largest child RSS at the last tick (KiB), 0 if none.</summary>
    public long LargestChildRssKb => LastTickSamples.Where(s => s.Role == ProcessRole.Child).Select(s => s.RssKb).DefaultIfEmpty(0).Max();
}
