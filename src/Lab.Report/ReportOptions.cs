namespace Lab.Report;

/// <summary>
/// The x axis of the memory plots (rss-per-pid, pool-rss): run time, or requests served by the
/// pool so far, where a leak per request reads as a straight slope.
/// </summary>
public enum XAxis { Time, Requests }

/// <summary>
/// What each child's line of rss-per-pid shows: its RSS (as ps, every tick; the default) or its
/// USS (private memory only, from smaps_rollup every pss_interval: what ending it gives back).
/// </summary>
public enum ChildMemory { Rss, Uss }

/// <summary>How a report is made.</summary>
/// <param name="X">The x axis of the memory plots.</param>
/// <param name="Progress">Told of each step (fraction 0..1 of the whole report, and what is being done).</param>
/// <param name="Memory">What each child's line of rss-per-pid shows.</param>
public sealed record ReportOptions(XAxis X = XAxis.Time, IProgress<ReportProgress>? Progress = null, ChildMemory Memory = ChildMemory.Rss);

/// <summary>Where a report's making is: the fraction done (0..1) and the step under way.</summary>
public readonly record struct ReportProgress(double Fraction, string Step);

/// <summary>The file names a report writes (into a run's folder, or a compare's folder).</summary>
public static class ReportFiles
{
    public const string RssPerPid = "rss-per-pid";
    public const string PoolRss = "pool-rss";
    public const string Latency = "latency";
    /// <summary>Runs with many child PIDs: RSS by scoreboard slot (a heatmap).</summary>
    public const string RssBySlot = "rss-by-slot";
    /// <summary>Runs with recycles: recycles per second under the pool's RSS (the recycle storm).</summary>
    public const string Recycles = "recycles";
    /// <summary>compare only: the largest child's RSS against requests served by the pool.</summary>
    public const string LargestChild = "largest-child";
    public const string Html = "report.html";
    public const string Markdown = "report.md";
}
