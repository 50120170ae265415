using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.Results;

namespace Lab.Analysis.Calibration;

/// <summary>memory.exit_time fitted to a real run.</summary>
/// <param name="ExitTime">The distribution the sim draws from: normal(median, spread), or the scenario's when kept.</param>
/// <param name="Ms">The median way out (ms), with its uncertainty (1.25 × spread / √n).</param>
/// <param name="SpreadMs">Its spread (ms): 1.4826 × the median absolute deviation.</param>
/// <param name="Exits">How many recycles were measured.</param>
public sealed record ExitTimeFitResult(Distribution ExitTime, Estimate Ms, Estimate SpreadMs, int Exits, IReadOnlyList<string> Notes);

/// <summary>
/// A recycled child's way out fitted to a real run: for every child that pm.max_requests (or
/// another recycling rule after a request) ended, the time from its last answer (the request's
/// end in requests.csv) to the fork of its replacement (the next respawn in events.csv). That is
/// the child's shutdown (PHP's, its leaked heap freed, exit), the master's SIGCHLD and its fork,
/// during which the old child holds its memory and the pool is a child short. Its spread is
/// what staggers a storm's forks by a few ms, child by child. The sim draws it from
/// normal(median, 1.4826 × MAD); with fewer than 5 recycles measured the scenario's value is kept.
/// </summary>
public static class ExitTimeFit
{
    public static ExitTimeFitResult Fit(RunFolder run, Scenario scenario)
    {
        var notes = new List<string>();
        var r = run.Requests;
        var lastEnd = new Dictionary<int, double>();
        for (int i = 0; i < r.Count; i++)
            if (r.Pid[i] > 0 && double.IsFinite(r.TEnd[i]) && (!lastEnd.TryGetValue(r.Pid[i], out double t) || r.TEnd[i] > t)) lastEnd[r.Pid[i]] = r.TEnd[i];
        var events = run.Events.OrderBy(e => e.T).ToList();
        var used = new HashSet<int>();
        var ways = new List<double>();
        for (int k = 0; k < events.Count; k++)
        {
            var e = events[k];
            if (e.Kind != PoolEventKind.Exit || !PoolEvent.IsRecycleAfterRequest(e.Why) || !lastEnd.TryGetValue(e.Pid, out double end)) continue;
            for (int j = k + 1; j < events.Count && events[j].T - e.T < 1.0; j++)
            {
                if (events[j].Kind != PoolEventKind.Spawn || events[j].Spawned != SpawnCause.Respawn || !used.Add(j)) continue;
                double ms = (events[j].T - end) * 1000.0;
                if (ms >= 0 && ms < 1000) ways.Add(ms);
                break;
            }
        }
        var keep = scenario.Memory.ExitTimeMs;
        if (ways.Count < 5)
        {
            notes.Add($"only {ways.Count} recycled child(ren) with a last answer and a respawn: memory.exit_time is kept from the scenario");
            return new ExitTimeFitResult(keep, new Estimate(keep.Mean, double.NaN, "kept: too few recycles"), new Estimate(0, double.NaN, "kept"), ways.Count, notes);
        }
        double median = Stats.Median(ways);
        double spread = Stats.RobustSpread(ways, median);
        double m = Math.Round(median, 3), s = Math.Round(spread, 3);
        string how = $"median of {ways.Count} recycles, from the child's last answer to its replacement's fork";
        return new ExitTimeFitResult(s > 0 ? Distribution.Normal(m, s) : Distribution.Const(m),
            new Estimate(m, Math.Round(1.25 * spread / Math.Sqrt(ways.Count), 3), how),
            new Estimate(s, Math.Round(spread / Math.Sqrt(2.0 * (ways.Count - 1)), 3), "1.4826 × the median absolute deviation of the same"), ways.Count, notes);
    }
}
