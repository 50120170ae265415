using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.Results;
using Lab.Results.Reading;

namespace Lab.Analysis.Calibration;

/// <summary>memory.start_spread fitted to a real run.</summary>
/// <param name="Real">The real run's repeats at the start (<see cref="StartSpreadFit.Repeats"/>); null when every initial child did not serve.</param>
/// <param name="Sim">The calibrated sim's at the fitted value (the median over its seeds; null: no sim was run).</param>
public sealed record StartSpreadFitResult(TimeSpan Value, Estimate Ms, int? Real, int? Sim, IReadOnlyList<string> Notes);

/// <summary>
/// Fits the simulator's memory.start_spread (how far apart the initial children reach accept())
/// to a real run's start: the requests served by an initial child that had already served one,
/// before the last initial child served its first. On an idle pool every child serves once
/// before any serves twice (0); when some children are not yet in accept() as the load begins,
/// the ready ones serve the first requests twice, and those children stay a turn ahead until
/// they recycle, which sets the shape of every later storm. The sim (in memory, the run's
/// start only: 2 s past the real run's last initial child's first request) is run at 0, then at
/// doubling values from 10 ms until the median over 5 seeds repeats at least as many, then
/// bisected three times; the smallest such value is kept. Uncertainty: half the last bracket.
/// </summary>
public static class StartSpreadFit
{
    private const double StartMs = 10, MaxMs = 1280;
    private const int Seeds = 5;

    /// <summary>
    /// Requests served by an initial child that had served before, until every initial child has
    /// served once, with when that was (s); null if some initial child never served.
    /// </summary>
    public static (int Repeats, double At)? Repeats(RequestTable r, IReadOnlySet<int> initial)
    {
        if (initial.Count == 0) return null;
        var order = Enumerable.Range(0, r.Count).Where(i => r.Pid[i] > 0 && double.IsFinite(r.TStart[i]) && initial.Contains(r.Pid[i]))
            .OrderBy(i => r.TStart[i]).ToList();
        var served = new HashSet<int>();
        int repeats = 0;
        foreach (int i in order)
        {
            if (!served.Add(r.Pid[i])) { repeats++; continue; }
            if (served.Count == initial.Count) return (repeats, r.TStart[i]);
        }
        return null;
    }

    /// <summary>The children the master forked at its first start (before any reload or restart).</summary>
    public static HashSet<int> Initial(IEnumerable<PoolEvent> events)
    {
        var pids = new HashSet<int>();
        foreach (var e in events.OrderBy(e => e.T))
        {
            if (e.Kind is PoolEventKind.Reload or PoolEventKind.Restart) break;
            if (e.Kind == PoolEventKind.Spawn && e.Spawned == SpawnCause.Initial) pids.Add(e.Pid);
        }
        return pids;
    }

    public static StartSpreadFitResult Fit(RunFolder real, Scenario calibrated, IProgress<string>? progress = null, CancellationToken cancel = default)
    {
        var notes = new List<string>();
        var keep = calibrated.Memory.StartSpread;
        var found = Repeats(real.Requests, Initial(real.Events));
        if (found is not { } r)
        {
            notes.Add("not every initial child served a request: the start's spread cannot be read; memory.start_spread is kept from the scenario");
            return new StartSpreadFitResult(keep, new Estimate(keep.TotalMilliseconds, double.NaN, "kept: nothing to compare"), null, null, notes);
        }
        // only the start matters: each candidate runs until 2 s past the real run's last first request
        var length = TimeSpan.FromSeconds(Math.Min(calibrated.RunLength.TotalSeconds, r.At + 2));
        int run = 0;
        int SimAt(double ms)
        {
            run++;
            progress?.Report($"fitting memory.start_spread: the sim at {ms:0.###} ms (run {run})");
            var repeats = new List<int>();
            for (int k = 0; k < Seeds; k++)
            {
                var s = calibrated with
                {
                    Seed = calibrated.Seed + (ulong)k,
                    Duration = length,
                    Memory = calibrated.Memory with { StartSpread = TimeSpan.FromMilliseconds(ms) },
                };
                var sim = SimRecords.Run(s, "memory.start_spread", cancel);
                repeats.Add(Repeats(sim.Table(), Initial(sim.Events))?.Repeats ?? int.MaxValue);
            }
            repeats.Sort();
            return repeats[Seeds / 2];
        }

        var search = SimSearch.Smallest(SimAt, r.Repeats, StartMs, MaxMs);
        if (search.Capped)
            notes.Add($"even at {MaxMs:0} ms the sim's initial children repeated fewer requests than the real ones: memory.start_spread stops there");
        string how = $"the sim's initial children serve as many requests twice before the last serves once as the real ones: real {r.Repeats}, " +
                     $"sim {search.Count} (median of {Seeds} seeds; {search.Tried} values tried)";
        return new StartSpreadFitResult(TimeSpan.FromMilliseconds(search.Ms), new Estimate(search.Ms, search.Uncertainty, how), r.Repeats, search.Count, notes);
    }
}
