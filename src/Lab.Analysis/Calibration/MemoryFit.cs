using Lab.Core.Scenarios;

namespace Lab.Analysis.Calibration;

/// <summary>A fitted quantity: its value, its uncertainty (a standard error, or half the plausible range), and how it was had.</summary>
public sealed record Estimate(double Value, double Uncertainty, string How);

/// <summary>The simulator's memory model fitted to the children of a real run.</summary>
/// <param name="RmsResidualKb">Root mean square of (real RSS − the replayed sim's RSS) over the fitted child states.</param>
/// <param name="States">How many (child, requests served) states the fit used.</param>
public sealed record MemoryFitResult(
    Estimate ChildBaseline, Estimate ChildVsz, Estimate MasterRss, Estimate MasterVsz,
    Estimate LeakScale, Estimate PerRequest,
    Estimate RetainFraction, Estimate RetainMax, Estimate RetainShrink,
    double RmsResidualKb, int States, IReadOnlyList<string> Notes)
{
    /// <summary>The fitted values on top of a model (the rest — spawn time, host memory — kept).</summary>
    public MemoryModel Apply(MemoryModel m) => m with
    {
        ChildBaselineKb = (long)Math.Round(ChildBaseline.Value),
        ChildVszKb = (long)Math.Round(ChildVsz.Value),
        MasterRssKb = (long)Math.Round(MasterRss.Value),
        MasterVszKb = (long)Math.Round(MasterVsz.Value),
        LeakScale = Math.Round(LeakScale.Value, 4),
        PerRequestKb = Math.Round(PerRequest.Value),
        RetainFraction = Math.Round(RetainFraction.Value, 3),
        RetainMaxKb = (long)Math.Round(RetainMax.Value),
        RetainShrink = Math.Round(RetainShrink.Value, 3),
    };
}

/// <summary>
/// Fits <see cref="MemoryModel"/> to a real run's children.
/// <list type="number">
/// <item>Baseline: the RSS of fresh children (0 requests served, sampled between requests),
/// their median; VSZ likewise; the master's RSS and VSZ: medians of its samples.</item>
/// <item>The allocator and the leak together. For every candidate allocator (retain_fraction ×
/// retain_shrink × retain_max on a grid) the sim's retention is replayed over the requests each
/// real child served, with the sim's own random draws (<see cref="SimMemoryReplay"/>). The leak
/// per request comes from a per-PID regression (fixed effects, as
/// <see cref="Lab.Core.Fitting.LeakFit"/>: each child's own level does not bias the slope) of RSS
/// against the KiB the child had leaked so far, over its states after ≥ 1 request — on RSS minus
/// the replayed retention (right when the sim's allocator can follow the real one) and on RSS
/// alone (right when the real allocator keeps a step the sim's cannot follow, as php-fpm's heap
/// after the first request); leak_scale is that slope, per_request is fitted alongside when the
/// leak varies per request, alone when the run leaks nothing. What is chosen minimises the
/// squared error of RSS − baseline − leak − retention plus a term that makes the replayed
/// retention wobble as much as the real one (equal spread between children at the same number of
/// requests served): the sim's sawtooth gets the real one's height and its wobble.</item>
/// </list>
/// Uncertainties: standard errors for the baseline and the leak; for the allocator's
/// parameters, half the range of grid values within 10% of the best objective.
/// </summary>
public static class MemoryFit
{
    private sealed record State(long Served, double RssKb, double Weight, double Leak, int Child, int Index);

    /// <param name="leakFit">The run's own leak fit (LeakFit, as summary.json's): a third candidate for the leak, beside the per-PID regressions.</param>
    public static MemoryFitResult Fit(IReadOnlyList<ChildHistory> children, IReadOnlyList<(long RssKb, long VszKb)> masterSamples,
        ulong seed, long memoryLimitBytes, MemoryModel prior, Lab.Core.Fitting.LeakFitResult? leakFit = null)
    {
        var notes = new List<string>();

        // -- fresh children, the master
        var fresh = children.SelectMany(c => c.Samples.Where(s => s.Served == 0 && !s.Busy).Select(s => (c.Pid, s.RssKb, s.VszKb))).ToList();
        var freshPerChild = fresh.GroupBy(f => f.Pid).Select(g => Stats.Median(g.Select(x => (double)x.RssKb))).ToList();
        var masterRss = Describe(masterSamples.Select(m => (double)m.RssKb).ToList(), prior.MasterRssKb, "median of the master's samples", notes, "master RSS");
        var masterVsz = Describe(masterSamples.Select(m => (double)m.VszKb).ToList(), prior.MasterVszKb, "median of the master's samples", notes, "master VSZ");
        var childVsz = Describe(fresh.Select(f => (double)f.VszKb).ToList(), prior.ChildVszKb, "median VSZ of fresh children (0 requests)", notes, "child VSZ");

        // -- the child states after ≥ 1 request: mean RSS per (child, requests served), between requests
        var histories = children.Where(c => c.Requests.Count > 0).ToList();
        var leakSums = histories.Select(c => SimMemoryReplay.CumulativeLeak(c.Requests)).ToList();
        var states = new List<State>();
        for (int ci = 0; ci < histories.Count; ci++)
        {
            var c = histories[ci];
            // The child's readings right after each request when it has them (exact, no request in
            // flight), else its samples between requests.
            bool exact = c.HasReadings;
            foreach (var g in c.Samples.Where(s => !s.Busy && s.Served >= 1 && s.Served <= c.Requests.Count && (!exact || s.FromRequest)).GroupBy(s => s.Served))
            {
                int k = (int)g.Key;
                states.Add(new State(k, g.Average(s => (double)s.RssKb), g.Count(), leakSums[ci][k], ci, k));
            }
        }

        Estimate baseline;
        if (freshPerChild.Count > 0)
        {
            double b = Stats.Median(freshPerChild);
            baseline = new Estimate(b, freshPerChild.Count > 1 ? Stats.StdDev(freshPerChild) / Math.Sqrt(freshPerChild.Count) : 0,
                $"median RSS of {freshPerChild.Count} fresh children (0 requests)");
        }
        else
        {
            baseline = new Estimate(prior.ChildBaselineKb, double.NaN, "no fresh child was sampled: the scenario's value is kept");
            notes.Add("no child was sampled before its first request: child_baseline kept from the scenario");
        }

        if (states.Count == 0)
        {
            notes.Add("no child was sampled after serving a request: the leak and the allocator are kept from the scenario");
            return new MemoryFitResult(baseline, childVsz, masterRss, masterVsz,
                new Estimate(prior.LeakScale, double.NaN, "kept"), new Estimate(prior.PerRequestKb, double.NaN, "kept"),
                new Estimate(prior.RetainFraction, double.NaN, "kept"), new Estimate(prior.RetainMaxKb, double.NaN, "kept"),
                new Estimate(prior.RetainShrink, double.NaN, "kept"), double.NaN, 0, notes);
        }

        // -- the leak: which terms the data can tell apart, then the per-PID regression
        var leaks = histories.SelectMany(c => c.Requests.Select(r => (double)r.LeakKb)).ToList();
        bool anyLeak = leaks.Any(l => l > 0);
        bool leakVaries = anyLeak && Stats.StdDev(leaks) > 1e-9 * Math.Max(1, leaks.Average());
        var mode = !anyLeak ? LeakTerms.PerRequestOnly : leakVaries ? LeakTerms.Both : LeakTerms.ScaleOnly;
        if (mode == LeakTerms.PerRequestOnly) notes.Add("the run leaks nothing: RSS growth per request is fitted as per_request, leak_scale kept at 1");
        if (mode == LeakTerms.ScaleOnly) notes.Add("every request leaks the same: leak_scale and per_request cannot be told apart; per_request = 0");
        double b0 = baseline.Value;
        bool anyTransient = histories.Any(c => c.Requests.Any(r => r.TransientKb > 0));

        // Fixed for the whole grid search: the states grouped by child and by requests served.
        var byChild = states.GroupBy(s => s.Child).Where(g => g.Count() >= 2).Select(g => g.ToArray()).ToList();
        var levels = states.Select((s, i) => (s.Served, i)).GroupBy(x => x.Served).Select(g => g.Select(x => x.i).ToArray()).ToList();
        var weights = states.Select(s => s.Weight).ToArray();

        // The run's own leak fit, the allocator's bounded retention apart (LeakFit): as leak_scale
        // when every request leaks alike, as per_request when none leaks; not a candidate when
        // the leak varies per request (it gives one mean, not the two terms).
        LeakSolution? runFit = null;
        if (leakFit is { HasLeak: true } lf && mode != LeakTerms.Both)
        {
            double meanLeak = leaks.Count > 0 ? leaks.Average() : 0;
            runFit = mode == LeakTerms.ScaleOnly && meanLeak > 0
                ? new LeakSolution(Math.Max(0, lf.LeakKb / meanLeak), 0, lf.StdErrKb / meanLeak, double.NaN, mode, byChild.Count, FromRunFit: true)
                : mode == LeakTerms.PerRequestOnly ? new LeakSolution(1, Math.Max(0, lf.LeakKb), double.NaN, lf.StdErrKb, mode, byChild.Count, FromRunFit: true) : null;
        }

        // A first look without retention bounds retain_max's grid: what is left above the leak.
        var noRetention = PerPidRegression(states, byChild, _ => 0, mode, b0);
        var noRetentionKept = states.Select(s => s.RssKb - b0 - noRetention.Predict(s)).ToArray();
        double noRetentionWobble = Wobble(noRetentionKept, weights, levels);
        double top = Math.Max(0, states.Max(s => s.RssKb - b0 - noRetention.Predict(s)));
        var fractions = anyTransient ? Grid(0, 1, 20) : [0.0];
        var shrinks = anyTransient ? Grid(0, 1, 20) : [prior.RetainShrink];
        var maxes = anyTransient && top > 0 ? Grid(0, 1.5 * top, 30) : [0.0];

        // For each candidate allocator: its replayed retention, the leak, the error. The leak is
        // regressed within each child on RSS − the replayed retention (right when the sim's
        // allocator fits the real one), and on RSS alone (right when the real allocator keeps a
        // step the sim's cannot follow, as php-fpm's first request does): the better fit wins.
        var results = new List<(double F, double S, double M, double Objective, double Rms, LeakSolution Leak)>();
        // The requests' draws (transient memory, wobble) are the same for every candidate: drawn once.
        var draws = histories.Select(c => SimMemoryReplay.Draws(c.Requests, seed, memoryLimitBytes)).ToList();
        var retained = new double[histories.Count][];
        var replayed = new double[states.Count];
        var realKept = new double[states.Count];
        foreach (double f in fractions)
        foreach (double sh in shrinks)
        foreach (double mx in maxes)
        {
            for (int ci = 0; ci < histories.Count; ci++)
                retained[ci] = SimMemoryReplay.Retained(draws[ci], f, mx, sh);
            for (int k = 0; k < states.Count; k++) replayed[k] = retained[states[k].Child][states[k].Index];
            double replayedWobble = Wobble(replayed, weights, levels);
            foreach (var leak in new[] { PerPidRegression(states, byChild, s => retained[s.Child][s.Index], mode, b0), noRetention, runFit }.OfType<LeakSolution>())
            {
                double sse = 0, w = 0;
                for (int k = 0; k < states.Count; k++)
                {
                    var s = states[k];
                    double r = replayed[k];
                    double e = s.RssKb - b0 - leak.Predict(s); // what the allocator keeps in the real child
                    sse += s.Weight * (e - r) * (e - r);
                    w += s.Weight;
                    realKept[k] = e;
                }
                double dsd = (ReferenceEquals(leak, noRetention) ? noRetentionWobble : Wobble(realKept, weights, levels)) - replayedWobble;
                results.Add((f, sh, mx, sse + w * dsd * dsd, Math.Sqrt(sse / w), leak));
            }
        }
        var best = results.MinBy(r => r.Objective);
        var near = results.Where(r => r.Objective <= best.Objective * 1.1 + 1e-9).ToList();
        static double HalfRange(IEnumerable<double> v) { var l = v.ToList(); return (l.Max() - l.Min()) / 2; }
        var bestLeak = best.Leak;
        if (bestLeak.Children == 0)
            notes.Add("no child was sampled at two request counts: the leak is fitted across children instead of within each");
        if (!anyTransient)
        {
            double kept = states.Average(s => s.RssKb - b0 - bestLeak.Predict(s));
            notes.Add("no request allocated transient memory: the allocator's retention cannot be fitted (retain_fraction = 0)" +
                (kept > 0 ? $"; the {kept:0} KiB the real children keep beyond baseline + leak are not modelled" : ""));
        }

        var chosen = best.Leak;
        string leakHow = chosen.FromRunFit
            ? "the run's leak fit (each child's RSS after each request against the requests it had served, the allocator's bounded retention apart), as summary.json's"
            : chosen.Children > 0
            ? $"per-PID regression (fixed effects) of RSS{(ReferenceEquals(chosen, noRetention) ? "" : " − retention")} on the KiB leaked, {chosen.Children} children, states after ≥ 1 request"
            : "regression of RSS − baseline on the KiB leaked, across children";
        string retentionHow = anyTransient
            ? "grid search, replaying the sim's allocator over the real children's requests; ± half the range within 10% of the best fit"
            : "not fitted (no transient memory)";
        return new MemoryFitResult(
            baseline, childVsz, masterRss, masterVsz,
            new Estimate(chosen.Scale, chosen.ScaleErr, mode == LeakTerms.PerRequestOnly ? "kept (no leak in the run)" : leakHow),
            new Estimate(chosen.PerRequest, chosen.PerRequestErr,
                mode == LeakTerms.ScaleOnly ? "0 (not separable from leak_scale)" : leakHow.Replace("the KiB leaked", "requests served", StringComparison.Ordinal)),
            new Estimate(best.F, anyTransient ? HalfRange(near.Select(n => n.F)) : double.NaN, retentionHow),
            new Estimate(best.M, anyTransient ? HalfRange(near.Select(n => n.M)) : double.NaN, retentionHow),
            new Estimate(best.S, anyTransient ? HalfRange(near.Select(n => n.S)) : double.NaN, retentionHow),
            best.Rms, states.Count, notes);
    }

    private enum LeakTerms { ScaleOnly, PerRequestOnly, Both }

    private sealed record LeakSolution(double Scale, double PerRequest, double ScaleErr, double PerRequestErr, LeakTerms Mode, int Children, bool FromRunFit = false)
    {
        public double Predict(State s) => Scale * s.Leak + PerRequest * s.Served;
    }

    /// <summary>
    /// The leak terms by a per-PID regression: within each child (its states demeaned), RSS on
    /// the KiB leaked so far (and/or the requests served). Coefficients kept ≥ 0. Falls back to a
    /// regression across children (on RSS − baseline, no intercept) when no child has two states.
    /// </summary>
    /// <param name="byChild">The states of each child that has two or more, in their order.</param>
    private static LeakSolution PerPidRegression(List<State> states, IReadOnlyList<State[]> byChild, Func<State, double> retention, LeakTerms mode, double baseline)
    {
        var rows = new List<(double L, double K, double Y, double W)>();
        int children = byChild.Count;
        if (children > 0)
        {
            foreach (var g in byChild)
            {
                double w = g.Sum(s => s.Weight);
                double mL = g.Sum(s => s.Weight * s.Leak) / w, mK = g.Sum(s => s.Weight * s.Served) / w;
                double mY = g.Sum(s => s.Weight * (s.RssKb - retention(s))) / w;
                foreach (var s in g) rows.Add((s.Leak - mL, s.Served - mK, s.RssKb - retention(s) - mY, s.Weight));
            }
        }
        else
        {
            // one state per child: across children, RSS − baseline through the origin
            foreach (var s in states) rows.Add((s.Leak, s.Served, s.RssKb - baseline - retention(s), s.Weight));
        }
        if (mode == LeakTerms.PerRequestOnly)
            rows = rows.Select(r => (r.L, r.K, r.Y - r.L, r.W)).ToList(); // the leak at scale 1 (none here anyway)

        double sLL = 0, sLK = 0, sKK = 0, sLy = 0, sKy = 0, n = 0;
        foreach (var r in rows)
        {
            sLL += r.W * r.L * r.L; sLK += r.W * r.L * r.K; sKK += r.W * r.K * r.K;
            sLy += r.W * r.L * r.Y; sKy += r.W * r.K * r.Y; n += r.W;
        }
        double scale = 0, per = 0;
        switch (mode)
        {
            case LeakTerms.ScaleOnly:
                scale = sLL > 0 ? Math.Max(0, sLy / sLL) : 0;
                break;
            case LeakTerms.PerRequestOnly:
                per = sKK > 0 ? Math.Max(0, sKy / sKK) : 0;
                break;
            default:
                double det = sLL * sKK - sLK * sLK;
                bool solved = det > 1e-9 * sLL * sKK;
                if (solved)
                {
                    scale = (sLy * sKK - sKy * sLK) / det;
                    per = (sKy * sLL - sLy * sLK) / det;
                }
                if (!solved || scale < 0 || per < 0)
                {
                    // one term only: the one that explains more
                    double sc = sLL > 0 ? Math.Max(0, sLy / sLL) : 0, pr = sKK > 0 ? Math.Max(0, sKy / sKK) : 0;
                    if (sc * sLy >= pr * sKy) { scale = sc; per = 0; } else { scale = 0; per = pr; }
                }
                break;
        }
        double sse = rows.Sum(r => r.W * Math.Pow(r.Y - scale * r.L - per * r.K, 2));
        int p = (mode == LeakTerms.Both ? 2 : 1) + children; // the children's own levels are parameters too
        double sigma2 = n > p ? sse / (n - p) : double.NaN;
        double scaleErr = mode == LeakTerms.PerRequestOnly ? double.NaN : sLL > 0 ? Math.Sqrt(sigma2 / sLL) : double.NaN;
        double perErr = mode == LeakTerms.ScaleOnly ? double.NaN : sKK > 0 ? Math.Sqrt(sigma2 / sKK) : double.NaN;
        if (mode == LeakTerms.Both)
        {
            double det = sLL * sKK - sLK * sLK;
            if (det > 0) { scaleErr = Math.Sqrt(sigma2 * sKK / det); perErr = Math.Sqrt(sigma2 * sLL / det); }
        }
        return new LeakSolution(mode == LeakTerms.PerRequestOnly ? 1 : scale, per, scaleErr, perErr, mode, children);
    }

    private static Estimate Describe(List<double> values, double prior, string how, List<string> notes, string what)
    {
        if (values.Count == 0)
        {
            notes.Add($"no sample for the {what}: the scenario's value is kept");
            return new Estimate(prior, double.NaN, "kept (no sample)");
        }
        return new Estimate(Stats.Median(values), values.Count > 1 ? Stats.StdDev(values) : 0, how + " (± their standard deviation)");
    }

    private static double[] Grid(double from, double to, int steps) =>
        Enumerable.Range(0, steps + 1).Select(i => from + (to - from) * i / steps).ToArray();

    /// <summary>
    /// The wobble: how much the retained memory differs between children that served the same
    /// number of requests (the pooled standard deviation within each requests-served level) —
    /// the teeth of the sawtooth not all being the same height.
    /// </summary>
    /// <param name="levels">The indices of the values at each number of requests served.</param>
    private static double Wobble(double[] values, double[] weights, IReadOnlyList<int[]> levels)
    {
        double ss = 0, w = 0;
        foreach (var level in levels)
        {
            double lw = 0, sum = 0, dev = 0;
            foreach (int i in level) lw += weights[i];
            if (lw <= 0) continue;
            foreach (int i in level) sum += values[i] * weights[i];
            double mean = sum / lw;
            foreach (int i in level) dev += weights[i] * (values[i] - mean) * (values[i] - mean);
            ss += dev;
            w += lw;
        }
        return w > 0 ? Math.Sqrt(ss / w) : 0;
    }
}
