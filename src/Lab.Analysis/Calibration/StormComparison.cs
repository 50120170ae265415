using Lab.Core.Engines;
using Lab.Core.Scenarios;
using Lab.Results;
using Lab.Results.Storm;
using Lab.Sim;

namespace Lab.Analysis.Calibration;

/// <summary>
/// One recycle-storm figure (summary.json's "storm") of the real run against the calibrated sim's,
/// the sim run under several seeds: <see cref="Sim"/> is the median over them, <see cref="SimMin"/>
/// and <see cref="SimMax"/> their range.
/// </summary>
public sealed record StormFigure(string Name, string Label, double Real, double Sim, double SimMin, double SimMax, int Seeds = 1)
{
    public StormFigure(string name, string label, double real, double sim) : this(name, label, real, sim, sim, sim) { }

    /// <summary>(sim − real) / real in percent; 0 when both are 0.</summary>
    public double DifferencePercent => Real == 0 ? (Sim == 0 ? 0 : double.PositiveInfinity) : (Sim - Real) / Real * 100;
    public bool Within(double percent) => Math.Abs(DifferencePercent) <= percent;
    /// <summary>The real figure is one the sim drew under one of its seeds, or between two.</summary>
    public bool InSimRange => Real >= SimMin && Real <= SimMax;
    /// <summary>Within the tolerance of the sim's median, or inside the range its seeds drew.</summary>
    public bool Agrees(double percent) => Within(percent) || InSimRange;
}

/// <summary>
/// The recycle storm as the real run and the calibrated sim drew it: the most recycles in any
/// second, the most children starting at once, the pool's peak / mean RSS (and PSS), the p99
/// latency near recycles and elsewhere. Compared only when the real run recycled a child.
/// A storm's figures are maxima over a few storms of a short run and move from run to run (the
/// real php-fpm's "most children starting at once" ranged from 3 to 8 over six runs of the same
/// command): the calibrated sim is run under <see cref="Seeds"/> seeds, and each real figure is
/// set against their median and their range.
/// </summary>
public static class StormComparison
{
    /// <summary>The agreement asked of the calibrated sim's storm figures (percent of the real figure).</summary>
    public const double TolerancePercent = 20;

    /// <summary>How many seeds the calibrated sim runs under (its own and the next ones).</summary>
    public const int Seeds = 10;

    public static IReadOnlyList<StormFigure> Compare(StormSummary? real, StormSummary? sim) =>
        sim is null ? [] : Compare(real, [sim]);

    public static IReadOnlyList<StormFigure> Compare(StormSummary? real, IReadOnlyList<StormSummary> sims)
    {
        if (real is null || sims.Count == 0 || real.MaxRecyclesPerSecond == 0) return [];
        var figures = new List<StormFigure>();
        void Add(string name, string label, double? r, Func<StormSummary, double?> of)
        {
            var values = sims.Select(of).Where(v => v is not null).Select(v => v!.Value).ToList();
            if (r is not { } rv || values.Count == 0) return;
            figures.Add(new StormFigure(name, label, rv, Math.Round(Stats.Median(values), 3), values.Min(), values.Max(), values.Count));
        }
        Add("max_recycles_per_s", "most recycles in a second", real.MaxRecyclesPerSecond, s => s.MaxRecyclesPerSecond);
        Add("max_starting_at_once", "most children starting at once", real.MaxStartingAtOnce, s => s.MaxStartingAtOnce);
        Add("pool_rss_peak_to_mean", "pool RSS peak / mean", real.PoolRssPeakToMean, s => s.PoolRssPeakToMean);
        Add("pool_pss_peak_to_mean", "pool PSS peak / mean", real.PoolPssPeakToMean, s => s.PoolPssPeakToMean);
        Add("p99_near_recycles_ms", "p99 latency near recycles (ms)", real.P99NearRecyclesMs, s => s.P99NearRecyclesMs);
        Add("p99_elsewhere_ms", "p99 latency elsewhere (ms)", real.P99ElsewhereMs, s => s.P99ElsewhereMs);
        return figures;
    }

    /// <summary>
    /// The calibrated scenario's storm under the seeds after its own (seed + 1, seed + 2, ...), run
    /// in memory: nothing is written; each run's figures are computed as its summary.json's would be.
    /// </summary>
    public static IReadOnlyList<StormSummary> OtherSeeds(Scenario calibrated, int count, IProgress<string>? progress = null, CancellationToken cancel = default)
    {
        var storms = new List<StormSummary>();
        for (int k = 1; k <= count; k++)
        {
            var s = calibrated with { Seed = calibrated.Seed + (ulong)k };
            progress?.Report($"the calibrated sim's storm under seed {s.Seed} ({k} of {count})");
            var summary = new SummaryBuilder(RunHeader.For(s, "sim", DateTime.UnixEpoch, s.Memory.HostMemKb, flushEveryTick: false));
            var outcome = SimEngine.Run(s, summary, cancel);
            cancel.ThrowIfCancellationRequested();
            if (outcome.Status == RunStatus.Failed)
                throw new CalibrationException($"the sim failed under seed {s.Seed}: {outcome.Reason}");
            if (summary.Build(outcome).Storm is { } storm) storms.Add(storm);
        }
        return storms;
    }
}
