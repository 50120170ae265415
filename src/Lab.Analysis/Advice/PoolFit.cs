using Lab.Core.Fitting;
using Lab.Core.Records;
using Lab.Report;
using Lab.Results;

namespace Lab.Analysis.Advice;

/// <summary>Bad input to advise (a folder with too few samples to fit, a bad ram=, margin= or max_children=): exit 2, nothing written.</summary>
public sealed class AdviseException(string message) : Exception(message);

/// <summary>A fitted figure: its value, its uncertainty (a standard error; NaN when it cannot be told) and how it was had.</summary>
public sealed record Fitted(double Value, double Uncertainty, string How);

/// <summary>
/// The numbers advise needs, fitted from a run's samples (KiB):
/// <list type="bullet">
/// <item>baseline B: the RSS of fresh children (sampled before their first request), their median;</item>
/// <item>leak L per request: Lab.Core's LeakFit (each child's RSS against the requests it had
/// served, from its first request on — a fresh child's first request also pays one-time costs,
/// which R then holds — the slopes pooled), with its standard error, as summary.json's;</item>
/// <item>retained R: what children hold above B + L × requests served — the allocator's
/// residue and the request in flight — its 99th percentile over the samples;</item>
/// <item>the master's RSS, its median.</item>
/// </list>
/// For an imported ps log, "per request" is per observation (one ps block).
/// </summary>
public sealed record PoolFit(string Unit, Fitted Baseline, Fitted Leak, Fitted Retained, Fitted Master,
    long ChildSamples, int Children, long FitPoints, IReadOnlyList<string> Notes)
{
    /// <summary>
    /// The pool's shared memory S, counted once for the pool (what the children pay together for
    /// the pages they share: summed PSS − summed USS of the children), when the fit is in private
    /// and shared memory (<see cref="PrivateOf"/>); null for a fit in RSS, which counts shared
    /// pages in every child's baseline.
    /// </summary>
    public Fitted? Shared { get; init; }

    /// <summary>The master's RSS (a fit in private and shared memory plans with its PSS, in <see cref="Master"/>).</summary>
    public double MasterRssKb { get; init; }

    /// <summary>In private and shared memory (PSS/USS), or in RSS.</summary>
    public bool InPss => Shared is not null;

    /// <summary>What the pool pays whatever its number of children: the master, and the shared memory once.</summary>
    public double FixedKb => Master.Value + (Shared?.Value ?? 0);

    /// <summary>The normal quantile of a two-sided 95% confidence interval.</summary>
    public const double Z95 = 1.96;

    /// <summary>The upper end of the leak's 95% confidence interval (never below 0): what the advice plans with.</summary>
    public double LeakUpperKb => Math.Max(0, Leak.Value + Z95 * (double.IsFinite(Leak.Uncertainty) ? Leak.Uncertainty : 0));

    /// <summary>One child's RSS after n requests, for a leak per request: B + leak × n + R.</summary>
    public double ChildKb(double requests, double leakKb) => Baseline.Value + leakKb * requests + Retained.Value;

    /// <summary>Fewest child samples at distinct request counts the leak's fit needs (a slope and its error).</summary>
    public const int MinFitPoints = 3;

    /// <summary>Fits a results folder (a run of any engine, or an import).</summary>
    /// <exception cref="AdviseException">No child sample, or too few to fit the leak with its uncertainty.</exception>
    public static PoolFit Of(RunFolder run)
    {
        var s = run.Samples;
        bool import = run.Manifest.Engine == "import";
        string unit = import ? "observation" : "request";
        string dir = run.Directory;
        var notes = new List<string>();

        var childRows = Enumerable.Range(0, s.Count).Where(i => s.Role[i] == ProcessRole.Child).ToList();
        if (childRows.Count == 0)
            throw new AdviseException($"{dir}: samples.csv has no child sample ({s.Count} samples, all of the master). advise fits the children's RSS: it needs a run (or an imported ps log) that sampled php-fpm's children.");

        var fit = new LeakFit();
        foreach (int i in childRows)
            if (s.Requests[i] >= 1) fit.Add(s.Pid[i], s.Requests[i], s.RssKb[i]);
        var (slope, se, points) = fit.Result();
        var byPid = childRows.GroupBy(i => s.Pid[i]).ToList();
        if (!double.IsFinite(slope) || !double.IsFinite(se) || points < MinFitPoints)
        {
            int most = byPid.Max(g => g.Select(i => s.Requests[i]).Distinct().Count());
            throw new AdviseException(
                $"{dir}: too few samples to fit the leak per {unit}: {childRows.Count} child sample(s) from {byPid.Count} child(ren), " +
                $"at most {most} different {unit} count(s) in one child. advise needs children sampled at {MinFitPoints} or more different " +
                $"{unit} counts (more samples than children, so the slope's uncertainty can be told). Run longer, send more requests, or sample more often (sample_interval).");
        }

        // -- baseline: fresh children. In an import the first block's children were not seen start: not fresh.
        var firstBlock = import && s.Count > 0 ? Enumerable.Range(0, s.Count).Where(i => s.T[i] == s.T[0]).Select(i => s.Pid[i]).ToHashSet() : [];
        var freshPerChild = byPid.Where(g => !firstBlock.Contains(g.Key))
            .Select(g => g.Where(i => s.Requests[i] == 0).Select(i => (double)s.RssKb[i]).ToList())
            .Where(l => l.Count > 0).Select(Stats.Median).ToList();
        Fitted baseline;
        if (freshPerChild.Count > 0)
        {
            baseline = new Fitted(Stats.Median(freshPerChild), freshPerChild.Count > 1 ? Stats.StdDev(freshPerChild) / Math.Sqrt(freshPerChild.Count) : double.NaN,
                $"median RSS of {Fmt.Count(freshPerChild.Count, "fresh child", "fresh children")} (sampled before their first {unit})");
        }
        else
        {
            // Each child's own line, RSS = a + L × served, taken back to 0 served.
            var intercepts = byPid.Where(g => g.Count() >= 1)
                .Select(g => g.Average(i => (double)s.RssKb[i]) - slope * g.Average(i => (double)s.Requests[i])).ToList();
            baseline = new Fitted(Stats.Median(intercepts), intercepts.Count > 1 ? Stats.StdDev(intercepts) / Math.Sqrt(intercepts.Count) : double.NaN,
                $"no child was sampled fresh: the children's fitted lines at 0 {unit}s, their median");
            notes.Add($"no child was sampled before its first {unit}: the baseline is extrapolated from the fit");
        }

        // -- retained: the residue above baseline + leak (the allocator's, and the request in flight)
        var residue = childRows.Where(i => s.Requests[i] >= 1)
            .Select(i => Math.Max(0, s.RssKb[i] - baseline.Value - slope * s.Requests[i])).Order().ToList();
        Fitted retained = residue.Count == 0
            ? new Fitted(0, double.NaN, "no child sampled after a request")
            : new Fitted(Stats.Percentile(residue, 0.99), double.NaN,
                $"99th percentile of what {residue.Count} child samples held above B + L × {unit}s (median {Fmt.Size(Stats.Percentile(residue, 0.5))}): the allocator's residue and the {unit} in flight");

        // -- the master
        var master = Enumerable.Range(0, s.Count).Where(i => s.Role[i] == ProcessRole.Master).Select(i => (double)s.RssKb[i]).ToList();
        Fitted masterFit = master.Count == 0
            ? new Fitted(0, double.NaN, "no master in the samples: counted as 0")
            : new Fitted(Stats.Median(master), master.Count > 1 ? Stats.StdDev(master) : double.NaN, $"median of the master's {master.Count} samples");
        if (master.Count == 0) notes.Add("the samples hold no master process: its RSS is counted as 0 in the budget");
        if (import) notes.Add("an imported ps log: \"per request\" is per observation (one ps block); the advice assumes one observation per request, as the article's log");
        if (slope < 0) notes.Add($"the fitted slope is negative ({Fmt.Size(slope)} per {unit}): the children do not grow; the advice plans with the upper end of its confidence interval");

        return new PoolFit(unit, baseline, new Fitted(slope, se, $"LeakFit over {points} child samples of {byPid.Count} child(ren): RSS against {unit}s served, per child, slopes pooled"),
            retained, masterFit, childRows.Count, byPid.Count, points, notes) { MasterRssKb = masterFit.Value };
    }

    /// <summary>
    /// The fit in private and shared memory, from the samples that read smaps_rollup; null when
    /// none did (an imported ps log, RSS only). B_private: the USS of fresh children (their median;
    /// else the children's USS lines taken back to 0 requests); the leak L: the RSS fit's (a leak
    /// is private memory); R: the 99th percentile of what children's USS holds above
    /// B_private + L × requests; the master: its PSS (median); the shared S, counted once for the
    /// pool: at each tick that read them, the children's summed PSS − summed USS, their median.
    /// </summary>
    public static PoolFit? PrivateOf(RunFolder run, PoolFit rss)
    {
        var s = run.Samples;
        if (!s.HasPss) return null;
        string unit = rss.Unit;
        double slope = rss.Leak.Value;
        var notes = new List<string>();
        var childRows = Enumerable.Range(0, s.Count).Where(i => s.Role[i] == ProcessRole.Child && s.UssKb[i] >= 0 && s.PssKb[i] >= 0).ToList();
        if (childRows.Count == 0) return null;
        var byPid = childRows.GroupBy(i => s.Pid[i]).ToList();

        var fresh = byPid.Select(g => g.Where(i => s.Requests[i] == 0).Select(i => (double)s.UssKb[i]).ToList())
            .Where(l => l.Count > 0).Select(Stats.Median).ToList();
        Fitted baseline;
        if (fresh.Count > 0)
            baseline = new Fitted(Stats.Median(fresh), fresh.Count > 1 ? Stats.StdDev(fresh) / Math.Sqrt(fresh.Count) : double.NaN,
                $"median USS of {Fmt.Count(fresh.Count, "fresh child", "fresh children")} (private memory, sampled before their first {unit})");
        else
        {
            var intercepts = byPid.Select(g => g.Average(i => (double)s.UssKb[i]) - slope * g.Average(i => (double)s.Requests[i])).ToList();
            baseline = new Fitted(Stats.Median(intercepts), intercepts.Count > 1 ? Stats.StdDev(intercepts) / Math.Sqrt(intercepts.Count) : double.NaN,
                $"no child's USS was read fresh: the children's USS at 0 {unit}s, from the leak's slope, their median");
        }

        var residue = childRows.Where(i => s.Requests[i] >= 1)
            .Select(i => Math.Max(0, s.UssKb[i] - baseline.Value - slope * s.Requests[i])).Order().ToList();
        Fitted retained = residue.Count == 0
            ? new Fitted(0, double.NaN, "no child's USS read after a request")
            : new Fitted(Stats.Percentile(residue, 0.99), double.NaN,
                $"99th percentile of what {residue.Count} child USS readings held above B_private + L × {unit}s (median {Fmt.Size(Stats.Percentile(residue, 0.5))})");

        var master = Enumerable.Range(0, s.Count).Where(i => s.Role[i] == ProcessRole.Master && s.PssKb[i] >= 0).Select(i => (double)s.PssKb[i]).ToList();
        Fitted masterFit = master.Count == 0
            ? new Fitted(0, double.NaN, "no master's PSS in the samples: counted as 0")
            : new Fitted(Stats.Median(master), master.Count > 1 ? Stats.StdDev(master) : double.NaN, $"median PSS of the master's {master.Count} readings");

        var sharedPerTick = childRows.GroupBy(i => s.T[i]).Select(g => (double)g.Sum(i => s.PssKb[i] - s.UssKb[i])).ToList();
        var shared = new Fitted(Stats.Median(sharedPerTick), sharedPerTick.Count > 1 ? Stats.StdDev(sharedPerTick) : double.NaN,
            $"median over {Fmt.Count(sharedPerTick.Count, "reading", "readings")} of the children's summed PSS − summed USS: the pages they share, paid once by the pool");

        return new PoolFit(unit, baseline, rss.Leak, retained, masterFit, childRows.Count, byPid.Count, rss.FitPoints, notes)
        {
            Shared = shared,
            MasterRssKb = rss.Master.Value,
        };
    }
}
