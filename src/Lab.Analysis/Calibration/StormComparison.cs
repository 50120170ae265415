using Lab.Results.Storm;

namespace Lab.Analysis.Calibration;

/// <summary>One recycle-storm figure (summary.json's "storm") of the real run against the calibrated sim's.</summary>
public sealed record StormFigure(string Name, string Label, double Real, double Sim)
{
    /// <summary>(sim − real) / real in percent; 0 when both are 0.</summary>
    public double DifferencePercent => Real == 0 ? (Sim == 0 ? 0 : double.PositiveInfinity) : (Sim - Real) / Real * 100;
    public bool Within(double percent) => Math.Abs(DifferencePercent) <= percent;
}

/// <summary>
/// The recycle storm as the real run and the calibrated sim drew it: the most recycles in any
/// second, the most children starting at once, the pool's peak / mean RSS (and PSS), the p99
/// latency near recycles and elsewhere. Compared only when the real run recycled a child.
/// </summary>
public static class StormComparison
{
    /// <summary>The agreement asked of the calibrated sim's storm figures (percent).</summary>
    public const double TolerancePercent = 20;

    public static IReadOnlyList<StormFigure> Compare(StormSummary? real, StormSummary? sim)
    {
        if (real is null || sim is null || real.MaxRecyclesPerSecond == 0) return [];
        var figures = new List<StormFigure>
        {
            new("max_recycles_per_s", "most recycles in a second", real.MaxRecyclesPerSecond, sim.MaxRecyclesPerSecond),
            new("max_starting_at_once", "most children starting at once", real.MaxStartingAtOnce, sim.MaxStartingAtOnce),
        };
        void Add(string name, string label, double? r, double? s)
        {
            if (r is { } rv && s is { } sv) figures.Add(new StormFigure(name, label, rv, sv));
        }
        Add("pool_rss_peak_to_mean", "pool RSS peak / mean", real.PoolRssPeakToMean, sim.PoolRssPeakToMean);
        Add("pool_pss_peak_to_mean", "pool PSS peak / mean", real.PoolPssPeakToMean, sim.PoolPssPeakToMean);
        Add("p99_near_recycles_ms", "p99 latency near recycles (ms)", real.P99NearRecyclesMs, sim.P99NearRecyclesMs);
        Add("p99_elsewhere_ms", "p99 latency elsewhere (ms)", real.P99ElsewhereMs, sim.P99ElsewhereMs);
        return figures;
    }
}
