using Lab.Core.Records;
using Lab.Core.Requests;
using Lab.Core.Scenarios;
using Lab.Results;

namespace Lab.Analysis.Calibration;

/// <summary>
/// The cost of a new child fitted to a real run: the median of (latency from the actual send −
/// work − wait) of the first request of every child forked after the start (a respawn, the process
/// manager's fork), less the same median over every other answered request (warm children). A
/// first request that waited in the listen queue for its child to start counts that wait too:
/// calibrate at a load that leaves the queue mostly empty. Uncertainty: both medians' MAD / √n × 1.25,
/// added in quadrature. With fewer than 5 such first requests the scenario's value is kept.
/// </summary>
public static class ColdStartFit
{
    public static (TimeSpan ColdStart, Estimate Ms, IReadOnlyList<string> Notes) Fit(RunFolder run, Scenario scenario)
    {
        var notes = new List<string>();
        var forked = run.Events.Where(e => e.Kind == PoolEventKind.Spawn && e.Spawned is SpawnCause.Respawn or SpawnCause.Maintenance or SpawnCause.Ondemand)
            .Select(e => e.Pid).ToHashSet();
        var r = run.Requests;
        var stream = new RequestStream(scenario.Request, scenario.Seed);
        var firstOf = new Dictionary<int, int>();
        for (int i = 0; i < r.Count; i++)
        {
            if (r.Status[i] != RequestStatus.Ok || r.Pid[i] <= 0) continue;
            if (!firstOf.TryGetValue(r.Pid[i], out int f) || r.TStart[i] < r.TStart[f]) firstOf[r.Pid[i]] = i;
        }
        var cold = new List<double>();
        var warm = new List<double>();
        var firsts = firstOf.Values.ToHashSet();
        for (int i = 0; i < r.Count; i++)
        {
            if (r.Status[i] != RequestStatus.Ok || r.Pid[i] <= 0) continue;
            var spec = stream.For(r.Id[i]);
            double overhead = (r.TEnd[i] - r.TStart[i]) * 1000.0 - spec.WorkMs - spec.WaitMs;
            if (firsts.Contains(i)) { if (forked.Contains(r.Pid[i])) cold.Add(overhead); }
            else warm.Add(overhead);
        }
        if (cold.Count < 5 || warm.Count < 5)
        {
            notes.Add($"only {cold.Count} first request(s) of a child forked after the start: the cold start is kept from the scenario ({scenario.Memory.ColdStart.TotalMilliseconds:0.###} ms)");
            return (scenario.Memory.ColdStart, new Estimate(scenario.Memory.ColdStart.TotalMilliseconds, double.NaN, "kept: too few respawned children"), notes);
        }
        double c = Stats.Median(cold), w = Stats.Median(warm);
        double Err(List<double> xs, double m) => 1.25 * Stats.RobustSpread(xs, m) / Math.Sqrt(xs.Count);
        double ms = Math.Max(0, Math.Round(c - w, 3));
        if (c < w) notes.Add($"first requests of new children were not slower than warm ones ({c:0.###} ms against {w:0.###} ms): cold start 0");
        return (TimeSpan.FromMilliseconds(ms), new Estimate(ms, Math.Sqrt(Math.Pow(Err(cold, c), 2) + Math.Pow(Err(warm, w), 2)),
            $"median overhead of {cold.Count} first requests of children forked after the start ({c:0.###} ms) − of {warm.Count} warm requests ({w:0.###} ms)"), notes);
    }
}
