using Lab.Core.Records;
using Lab.Core.Scenarios;

namespace Lab.Core.Engines;

/// <summary>How a run ended (manifest.json's status).</summary>
public enum RunStatus { Complete, Incomplete, Failed }

/// <summary>What an engine reports when its run ends.</summary>
/// <param name="Reason">Why it is incomplete or failed (null when complete).</param>
/// <param name="Versions">Versions of what ran (e.g. "php-fpm": "8.2.29"), for manifest.json.</param>
/// <param name="PoolStatus">php-fpm status-page counters scraped at the end (accepted conn, max listen queue, ...), for summary.json.</param>
public sealed record RunOutcome(
    RunStatus Status,
    string? Reason = null,
    IReadOnlyDictionary<string, string>? Versions = null,
    IReadOnlyDictionary<string, long>? PoolStatus = null,
    IReadOnlyList<string>? Notes = null)
{
    public static readonly RunOutcome Complete = new(RunStatus.Complete);
}

/// <summary>
/// One way of running a scenario (sim, dotnet, php-fpm). It sends everything it observes to
/// the sink, in time order per stream, from one thread at a time, and returns how the run ended.
/// Cancelling the token (Ctrl-C) ends the run early: the engine stops the load, ends every
/// process it started and returns Incomplete.
/// </summary>
public interface IEngine
{
    /// <summary>The wall-clock time that t = 0 of the run maps to (fixed for the simulator, so its output is reproducible).</summary>
    DateTime EpochUtc { get; }

    Task<RunOutcome> RunAsync(Scenario scenario, IRunSink sink, CancellationToken cancel);
}
