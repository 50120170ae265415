using Lab.Core.Records;
using Lab.Report;
using Lab.Results;

namespace Lab.Analysis.Advice;

/// <summary>Bad input to advise (a folder with too few samples to fit, a bad ram=, margin= or max_children=): exit 2, nothing written.</summary>
public sealed class AdviseException(string message) : Exception(message);

/// <summary>A fitted figure: its value, its uncertainty (a standard error; NaN when it cannot be told) and how it was had.</summary>
public sealed record Fitted(double Value, double Uncertainty, string How);

/// <summary>
/// The numbers advise needs, fitted from a run (KiB):
/// <list type="bullet">
/// <item>baseline B: the RSS of fresh children (sampled before their first request), their median
/// (else the leak fit's own baseline);</item>
/// <item>leak L per request: Lab.Core's LeakFit — each child's RSS after each request against the
/// requests it had served, the allocator's bounded retention apart — with its 95% interval, as
/// summary.json's (the RSS growth per request over these lives, retention filling up included,
/// would over-state a leak seen over short lives);</item>
/// <item>retained R: what children hold above B + L × requests served — the allocator's residue
/// and the request in flight — its 99th percentile over every reading (samples and request ends);</item>
/// <item>the master's RSS, its median.</item>
/// </list>
/// An imported ps log has no requests: advise needs import --requests-per-block N or --rate R to
/// turn its snapshots into requests, or --per-block to answer per snapshot.
/// </summary>
public sealed record PoolFit(string Unit, Fitted Baseline, Fitted Leak, Fitted Retained, Fitted Master,
    long ChildSamples, int Children, long FitPoints, IReadOnlyList<string> Notes)
{
    private readonly double? _leakUpper;

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


    /// <summary>
    /// The upper end of the leak's 95% interval (Student's t from the fit; else L + 1.96 × its
    /// standard error), never below 0: what the advice plans with.
    /// </summary>
    public double LeakUpperKb
    {
        get => _leakUpper ?? Math.Max(0, Leak.Value + PoolFitZ * (double.IsFinite(Leak.Uncertainty) ? Leak.Uncertainty : 0));
        init => _leakUpper = value;
    }

    /// <summary>Fitted from an imported ps log (the pool's settings are not known).</summary>
    public bool FromImport { get; init; }

    /// <summary>One child's RSS after n requests, for a leak per request: B + leak × n + R.</summary>
    public double ChildKb(double requests, double leakKb) => Baseline.Value + leakKb * requests + Retained.Value;

    /// <summary>The unit of an import answered per snapshot of its log (ps, smem, smaps_rollup; advise --per-block).</summary>
    public const string PerSnapshot = "snapshot";

    /// <summary>Fits a results folder (a run of any engine, or an import).</summary>
    /// <param name="perBlock">For an import without a request rate: answer per snapshot (else it is refused).</param>
    /// <exception cref="AdviseException">No child sample, too few to fit the leak with its uncertainty, or an import without requests.</exception>
    public static PoolFit Of(RunFolder run, bool perBlock = false)
    {
        var s = run.Samples;
        bool import = run.Manifest.Engine == "import";
        bool snapshots = import && run.Import is not { HasRequests: true };
        if (snapshots && !perBlock)
            throw new AdviseException(
                $"{run.Directory} is an imported log (ps, smem or smaps_rollup) without a request rate: a snapshot is not a request, so advise cannot turn snapshots into requests " +
                "(pm.max_requests counts requests). Import it again with the rate you know — ./run.sh import FILE --requests-per-block N (requests the pool served between two snapshots) " +
                "or --rate R (requests per second) — or add --per-block to answer per snapshot (max_requests then counts snapshots, not requests).");
        string unit = snapshots ? PerSnapshot : "request";
        string dir = run.Directory;
        var notes = new List<string>();

        var childRows = Enumerable.Range(0, s.Count).Where(i => s.Role[i] == ProcessRole.Child).ToList();
        var r = run.Requests;
        var readings = Enumerable.Range(0, r.Count).Where(i => r.RssKb[i] >= 0 && r.Pid[i] != 0).ToList();
        if (childRows.Count == 0 && readings.Count == 0)
            throw new AdviseException($"{dir}: neither samples.csv nor requests.csv hold a child's RSS ({s.Count} samples, all of the master). advise fits the children's RSS: it needs a run (or an imported ps log) that measured php-fpm's children.");

        // The leak, as summary.json fits it (the folder replayed through the same SummaryBuilder).
        var (summary, leakFit) = run.ComputeSummaryAndFit();
        var byPid = childRows.Select(i => s.Pid[i]).Concat(readings.Select(i => r.Pid[i])).Distinct().Count();
        double leakKb, se, upper;
        string leakHow;
        if (summary.LeakKbPerRequest is { } l && summary.LeakKbPerRequestStderr is { } e && double.IsFinite(e))
        {
            (leakKb, se) = (l, e);
            upper = Math.Max(0, summary.LeakKbPerRequestHigh95 ?? leakKb + PoolFitZ * se);
            leakHow = $"LeakFit over {summary.FitPoints} readings of {ChildCount(childRows, readings, s, r)} child(ren): RSS after each {unit} against the {unit}s served, per child, the allocator's bounded retention apart; 95% interval {Fmt.SizeFine(summary.LeakKbPerRequestLow95 ?? double.NaN)} … {Fmt.SizeFine(upper)}";
        }
        else if (summary.RssGrowthKbPerRequest is { } g && summary.RssGrowthKbPerRequestStderr is { } ge && double.IsFinite(ge))
        {
            // the leak cannot be told from the retention here: plan with the growth, leak and retention filling up together (at least the leak)
            (leakKb, se) = (g, ge);
            upper = Math.Max(0, g + PoolFitZ * ge);
            leakHow = $"the RSS growth per {unit} over these lives (the children's lives are too short to tell the leak from the allocator's retention filling up: the growth holds both, so it over-states the leak, never under-states it)";
            notes.Add($"the leak could not be told apart from the allocator's retention over lives this short: the advice plans with the RSS growth per {unit}, {Fmt.SizeFine(g)}, an upper bound of the leak");
        }
        else
        {
            throw new AdviseException(
                $"{dir}: too few readings to fit the leak per {unit}: {childRows.Count} child sample(s) and {readings.Count} request(s) with the child's RSS, from {byPid} child(ren). " +
                $"advise needs children measured after several consecutive {unit}s each, to tell the leak from what the allocator keeps. " +
                $"Run longer, send more requests, or sample more often (sample_interval).");
        }

        // -- baseline: fresh children. In an import the first block's children were not seen start: not fresh.
        var firstBlock = import && s.Count > 0 ? Enumerable.Range(0, s.Count).Where(i => s.T[i] == s.T[0]).Select(i => s.Pid[i]).ToHashSet() : [];
        var freshPerChild = childRows.GroupBy(i => s.Pid[i]).Where(g => !firstBlock.Contains(g.Key))
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
            baseline = new Fitted(leakFit.BaselineKb, double.NaN, $"no child was sampled fresh: the leak fit's baseline (its children's RSS taken back to 0 {unit}s)");
            notes.Add($"no child was sampled before its first {unit}: the baseline is extrapolated from the fit");
        }

        // -- retained: the residue above baseline + leak (the allocator's, and the request in flight)
        var residue = childRows.Where(i => s.Requests[i] >= 1).Select(i => (double)s.RssKb[i] - baseline.Value - leakKb * s.Requests[i])
            .Concat(RequestResidues(run, baseline.Value, leakKb))
            .Select(v => Math.Max(0, v)).Order().ToList();
        Fitted retained = residue.Count == 0
            ? new Fitted(0, double.NaN, $"no child measured after a {unit}")
            : new Fitted(Stats.Percentile(residue, 0.99), double.NaN,
                $"99th percentile of what {residue.Count} readings of children held above B + L × {unit}s (median {Fmt.Size(Stats.Percentile(residue, 0.5))}): the allocator's residue and the {unit} in flight");

        // -- the master
        var master = Enumerable.Range(0, s.Count).Where(i => s.Role[i] == ProcessRole.Master).Select(i => (double)s.RssKb[i]).ToList();
        Fitted masterFit = master.Count == 0
            ? new Fitted(0, double.NaN, "no master in the samples: counted as 0")
            : new Fitted(Stats.Median(master), master.Count > 1 ? Stats.StdDev(master) : double.NaN, $"median of the master's {master.Count} samples");
        if (master.Count == 0) notes.Add("the samples hold no master process: its RSS is counted as 0 in the budget");
        if (snapshots) notes.Add("an imported log without a request rate, answered per snapshot (--per-block): every figure \"per request\" here is per snapshot, and max_requests counts snapshots — not what php-fpm counts");
        else if (import) notes.Add($"an imported ps log: requests estimated from the rate given at import ({(run.Import!.RateRps is { } rate ? $"{Fmt.Num(rate)} requests per second" : $"{Fmt.Num(run.Import.RequestsPerBlock ?? 0)} request{(run.Import.RequestsPerBlock == 1 ? "" : "s")} per snapshot")}, shared by the children present)");
        if (leakKb < 0) notes.Add($"the fitted leak is negative ({Fmt.Size(leakKb)} per {unit}): the children do not grow; the advice plans with the upper end of its confidence interval");
        if (summary.LeakKbPerRequest is not null && summary.RssGrowthKbPerRequest is { } growth && Math.Abs(growth - leakKb) > 0.05 * Math.Max(1, Math.Abs(leakKb)))
            notes.Add($"the children's RSS grew {Fmt.SizeFine(growth)} per {unit} over their lives, of which {Fmt.SizeFine(leakKb)} is the leak and the rest the allocator's retention filling up (bounded: R holds it)");

        return new PoolFit(unit, baseline, new Fitted(leakKb, se, leakHow), retained, masterFit, childRows.Count, byPid, summary.FitPoints, notes)
        {
            LeakUpperKb = upper,
            FromImport = import,
            MasterRssKb = masterFit.Value,
        };
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
            LeakUpperKb = rss.LeakUpperKb,
            FromImport = rss.FromImport,
        };
    }


    private const double PoolFitZ = 1.96;

    private static int ChildCount(List<int> childRows, List<int> readings, Lab.Results.Reading.SampleTable s, Lab.Results.Reading.RequestTable r) =>
        childRows.Select(i => s.Pid[i]).Concat(readings.Select(i => r.Pid[i])).Distinct().Count();

    /// <summary>What each request's reading held above B + L × the requests its child had served.</summary>
    private static IEnumerable<double> RequestResidues(RunFolder run, double baseline, double leak)
    {
        var r = run.Requests;
        var served = new Dictionary<int, long>();
        foreach (int i in Enumerable.Range(0, r.Count).OrderBy(i => Lab.Results.Reading.RunReplay.RequestTime(r, i)))
        {
            if (r.Pid[i] == 0 || r.Status[i] is not (RequestStatus.Ok or RequestStatus.MemoryLimit)) continue;
            long n = served[r.Pid[i]] = served.GetValueOrDefault(r.Pid[i]) + 1;
            if (r.RssKb[i] >= 0) yield return r.RssKb[i] - baseline - leak * n;
        }
    }
}
