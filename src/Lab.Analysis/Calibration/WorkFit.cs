using Lab.Core.Records;
using Lab.Core.Requests;
using Lab.Core.Scenarios;
using Lab.Results;

namespace Lab.Analysis.Calibration;

/// <summary>The work time fitted to a real run.</summary>
/// <param name="Work">The work distribution for the sim: the scenario's, plus the overhead.</param>
/// <param name="OverheadMs">What a request costs on the real stack beyond the scenario's work and wait (FastCGI, nginx, PHP's start-up of the script, the leak's malloc and memset).</param>
/// <param name="IdleRequests">How many requests the fit used: answered with 200 while no other request was in flight.</param>
/// <param name="SpreadMs">The overhead's standard deviation (robust: 1.4826 × its median absolute deviation), added to the work's.</param>
public sealed record WorkFitResult(Distribution Work, Estimate OverheadMs, int IdleRequests, IReadOnlyList<string> Notes)
{
    public Estimate SpreadMs { get; init; } = new(0, double.NaN, "not fitted");
}

/// <summary>
/// Fits the sim's work time to a real run. The sim serves a request in exactly work + wait; the
/// real stack takes longer. The overhead is measured on requests that met an idle pool (no other
/// request in flight while they were): the median of (latency from the actual send − the
/// request's own work − its wait). The calibrated work is the scenario's plus that overhead
/// (shifted for a constant, uniform or normal work; scaled to the same mean for an exponential
/// one). Uncertainty: the median absolute deviation / √n × 1.25.
/// The real stack's requests also vary where the sim's take exactly their work: the overhead's
/// spread (1.4826 × its median absolute deviation, a standard deviation robust to the few slow
/// ones) makes a constant work normal with that deviation, and widens a normal one in quadrature
/// (a uniform or exponential work keeps its own spread). It matters for the order in which
/// children take connections (AcceptWakeupFit) and for the latency percentiles.
/// </summary>
public static class WorkFit
{
    public static WorkFitResult Fit(RunFolder run, Scenario scenario)
    {
        var notes = new List<string>();
        var r = run.Requests;
        var order = Enumerable.Range(0, r.Count).Where(i => r.Status[i] != RequestStatus.Dropped).OrderBy(i => r.TStart[i]).ToList();
        var idle = new List<int>();
        double latestEnd = double.NegativeInfinity;
        for (int n = 0; n < order.Count; n++)
        {
            int i = order[n];
            bool overlapsBefore = latestEnd > r.TStart[i];
            bool overlapsAfter = n + 1 < order.Count && r.TStart[order[n + 1]] < r.TEnd[i];
            if (!overlapsBefore && !overlapsAfter && r.Status[i] == RequestStatus.Ok) idle.Add(i);
            latestEnd = Math.Max(latestEnd, r.TEnd[i]);
        }
        var stream = new RequestStream(scenario.Request, scenario.Seed);
        var sample = idle;
        if (sample.Count < 5)
        {
            sample = order.Where(i => r.Status[i] == RequestStatus.Ok).ToList();
            notes.Add($"only {idle.Count} request(s) met an idle pool: the overhead is measured on all {sample.Count} answered requests (queueing included)");
        }
        if (sample.Count == 0)
        {
            notes.Add("no request was answered: the work is kept from the scenario");
            return new WorkFitResult(scenario.Request.WorkMs, new Estimate(0, double.NaN, "no answered request"), 0, notes);
        }
        var overheads = sample.Select(i =>
        {
            var spec = stream.For(r.Id[i]);
            return (r.TEnd[i] - r.TStart[i]) * 1000.0 - spec.WorkMs - spec.WaitMs;
        }).ToList();
        double median = Stats.Median(overheads);
        double robust = Stats.RobustSpread(overheads, median);
        double err = 1.25 * robust / Math.Sqrt(overheads.Count);
        double o = Math.Round(median, 3);
        var w = scenario.Request.WorkMs;
        static double Ms(double v) => Math.Max(0, Math.Round(v, 3)); // whole microseconds, as scenario files write them
        double sd = Math.Round(robust, 3);
        bool spread = sd >= 0.01;
        var work = w.Kind switch
        {
            DistributionKind.Constant when spread => Distribution.Normal(Ms(w.A + o), sd),
            DistributionKind.Constant => Distribution.Const(Ms(w.A + o)),
            DistributionKind.Uniform => Distribution.Uniform(Ms(w.A + o), Ms(w.B + o)),
            DistributionKind.Normal => Distribution.Normal(Ms(w.A + o), spread ? Math.Round(Math.Sqrt(w.B * w.B + sd * sd), 3) : w.B),
            _ => Distribution.Exponential(Math.Max(0.001, Ms(w.A + o))),
        };
        if (median < 0) notes.Add($"the real stack answered faster than the scenario's work + wait (by {-median:0.###} ms): the work is shortened");
        return new WorkFitResult(work, new Estimate(o, err,
            $"median of (latency from the actual send − work − wait) over {sample.Count} requests that met an idle pool"), idle.Count, notes)
        {
            SpreadMs = new Estimate(sd, Math.Round(sd / Math.Sqrt(2.0 * Math.Max(1, sample.Count - 1)), 4),
                w.Kind is DistributionKind.Constant or DistributionKind.Normal
                    ? $"1.4826 × the median absolute deviation of the same overheads: the work's standard deviation{(w.Kind == DistributionKind.Normal ? " (in quadrature with the scenario's)" : "")}"
                    : $"1.4826 × the median absolute deviation of the same overheads (the scenario's {w.Kind.ToString().ToLowerInvariant()} work keeps its own spread)"),
        };
    }
}
