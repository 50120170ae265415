using Lab.Core.Records;
using Lab.Results;

namespace Lab.Analysis.Calibration;

/// <summary>
/// One point where a real run and its calibrated sim are compared: a recycle boundary (the k-th
/// child that pm.max_requests recycled, at the most requests it was seen having served: the top
/// of the k-th tooth of the sawtooth), or — in a run without recycling — a checkpoint in requests
/// served by the pool.
/// </summary>
/// <param name="Index">1-based.</param>
/// <param name="Served">Requests the child had served at that sample (a checkpoint: requests served by the pool).</param>
/// <param name="RssKb">The largest child's RSS there.</param>
public readonly record struct Boundary(int Index, int Pid, long Served, double T, long RssKb);

/// <summary>A boundary of the real run against the same boundary of the sim.</summary>
public readonly record struct BoundaryComparison(int Index, Boundary Real, Boundary Sim)
{
    /// <summary>(sim − real) / real, in percent.</summary>
    public double DifferencePercent => Real.RssKb == 0 ? double.NaN : 100.0 * (Sim.RssKb - Real.RssKb) / Real.RssKb;
    public bool Within(double percent) => Math.Abs(DifferencePercent) <= percent;
}

/// <summary>Finds the boundaries of a run and pairs those of two runs.</summary>
public static class RecycleBoundaries
{
    /// <summary>The kind of boundaries a run has: recycles (pm.max_requests), or checkpoints when no child was recycled.</summary>
    public static bool HasRecycles(RunFolder run) => run.Events.Any(e => e.Kind == PoolEventKind.Exit && e.Why == ExitCause.MaxRequests);

    /// <summary>
    /// Every recycled child, in the order of their exits: its RSS at the most requests it was
    /// seen having served (the last such sample between two requests) — the largest child's RSS
    /// at the recycle.
    /// </summary>
    public static IReadOnlyList<Boundary> Recycles(RunFolder run, IReadOnlyList<long>? servedWanted = null)
    {
        var list = new List<Boundary>();
        foreach (var c in ChildHistory.Of(run).Where(c => c.Recycled && c.Samples.Any(s => !s.Busy)).OrderBy(c => c.ExitT))
        {
            var between = c.Samples.Where(s => !s.Busy).ToList();
            long most = between.Max(s => s.Served);
            // Compare like with like: when the other run's child was last seen at fewer requests
            // served (a sample tick fell inside its last request), take this child at that count too.
            if (servedWanted is not null && list.Count < servedWanted.Count && between.Any(s => s.Served == servedWanted[list.Count]))
                most = servedWanted[list.Count];
            var top = between.Last(s => s.Served == most);
            list.Add(new Boundary(list.Count + 1, c.Pid, top.Served, top.T, top.RssKb));
        }
        return list;
    }

    /// <summary>
    /// For a run without recycling: the largest child's RSS at the first sample tick after the
    /// pool had served 10%, 20%, ... 100% of its requests. A recording (no requests.csv rows)
    /// counts them from the samples' requests column instead.
    /// </summary>
    public static IReadOnlyList<Boundary> Checkpoints(RunFolder run, int count = 10)
    {
        var r = run.Requests;
        var ends = Enumerable.Range(0, r.Count).Where(i => r.Status[i] is RequestStatus.Ok or RequestStatus.MemoryLimit)
            .Select(i => r.TEnd[i]).OrderBy(t => t).ToList();
        var s = run.Samples;
        var ticks = Enumerable.Range(0, s.Count).Where(i => s.Role[i] == ProcessRole.Child).GroupBy(i => s.T[i]).OrderBy(g => g.Key).ToList();
        if (ends.Count == 0) return CheckpointsFromSamples(s, ticks, count);
        var list = new List<Boundary>();
        for (int k = 1; k <= count; k++)
        {
            long served = (long)Math.Ceiling(ends.Count * k / (double)count);
            double t = ends[(int)served - 1];
            var tick = ticks.FirstOrDefault(g => g.Key >= t);
            if (tick is null) break;
            int top = tick.MaxBy(i => s.RssKb[i]);
            list.Add(new Boundary(k, s.Pid[top], served, s.T[top], s.RssKb[top]));
        }
        return list;
    }

    /// <summary>The checkpoints by the requests the samples count: served by the pool since the first tick (each child's count then, a child born since from 0).</summary>
    private static IReadOnlyList<Boundary> CheckpointsFromSamples(Lab.Results.Reading.SampleTable s, IReadOnlyList<IGrouping<double, int>> ticks, int count)
    {
        var list = new List<Boundary>();
        if (ticks.Count == 0) return list;
        var first = new Dictionary<int, long>();
        foreach (int i in ticks[0]) first[s.Pid[i]] = s.Requests[i];
        var servedAt = ticks.Select(g => g.Sum(i => Math.Max(0, s.Requests[i] - first.GetValueOrDefault(s.Pid[i])))).ToList();
        long total = servedAt.Max();
        if (total <= 0) return list;
        for (int k = 1; k <= count; k++)
        {
            long served = (long)Math.Ceiling(total * k / (double)count);
            int at = servedAt.FindIndex(n => n >= served);
            if (at < 0) break;
            int top = ticks[at].MaxBy(i => s.RssKb[i]);
            list.Add(new Boundary(k, s.Pid[top], served, s.T[top], s.RssKb[top]));
        }
        return list;
    }

    /// <summary>
    /// Pairs the boundaries of the real run with the sim's, in order: recycles if the real run has
    /// any, else checkpoints. Boundaries only one side has are left out (the caller says so).
    /// </summary>
    public static IReadOnlyList<BoundaryComparison> Compare(RunFolder real, RunFolder sim) => Pair(Find(real, sim));

    /// <summary>The boundaries of each run, of the kind the real run has (recycles if any, else checkpoints), each found once.</summary>
    public static (bool Recycles, IReadOnlyList<Boundary> Real, IReadOnlyList<Boundary> Sim) Find(RunFolder real, RunFolder sim)
    {
        bool recycles = HasRecycles(real);
        var a = recycles ? Recycles(real) : Checkpoints(real);
        var b = recycles ? Recycles(sim, a.Select(x => x.Served).ToList()) : Checkpoints(sim);
        return (recycles, a, b);
    }

    /// <summary>The boundaries both runs have, side by side, in order.</summary>
    public static IReadOnlyList<BoundaryComparison> Pair((bool Recycles, IReadOnlyList<Boundary> Real, IReadOnlyList<Boundary> Sim) found) =>
        found.Real.Zip(found.Sim, (x, y) => new BoundaryComparison(x.Index, x, y)).ToList();
}
