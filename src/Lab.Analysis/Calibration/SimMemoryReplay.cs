using Lab.Core.Php;
using Lab.Core.Randomness;
using Lab.Core.Scenarios;

namespace Lab.Analysis.Calibration;

/// <summary>
/// The simulator's memory model of one child, replayed over the requests a real child served:
/// what the sim's RSS of that child would be after each of them, with a given
/// <see cref="MemoryModel"/>. It mirrors Lab.Sim (Pool/ChildMemory.cs and the request handling):
/// each request leaks LeakKb × LeakScale + PerRequestKb for good; a request over memory_limit
/// frees nothing to the allocator; otherwise the allocator keeps RetainFraction of its
/// transient memory, up to RetainMaxKb, and after each request gives back a share
/// u × RetainShrink of what it kept, u drawn from the scenario's seed for that request's id
/// (LabRandom stream SimWobble) — the very draw the sim makes. RSS = baseline + pages(kept +
/// retained), pages of 4 KiB as ps counts them. A test checks the replay against the sim.
/// </summary>
public static class SimMemoryReplay
{
    private const long PageKb = 4;

    /// <summary>The sim's page rounding (Lab.Sim ChildMemory.Pages).</summary>
    public static long Pages(double kb) => kb <= 0 ? 0 : ((long)Math.Ceiling(kb - 1e-9) + PageKb - 1) / PageKb * PageKb;

    /// <summary>The sim's wobble draw for a request (the share of the retention it gives back is u × RetainShrink).</summary>
    public static double Wobble(ulong seed, long requestId) => LabRandom.Uniform(seed, LabRandom.Streams.SimWobble, (ulong)requestId);

    /// <summary>
    /// What the replay needs of each request that no allocator parameter changes: the transient
    /// KiB the allocator is handed (0 for a request over memory_limit) and the wobble draw u.
    /// </summary>
    public sealed record ReplayDraws(long[] TransientKb, double[] U);

    public static ReplayDraws Draws(IReadOnlyList<ServedRequest> requests, ulong seed, long memoryLimitBytes)
    {
        var transient = new long[requests.Count];
        var u = new double[requests.Count];
        for (int i = 0; i < requests.Count; i++)
        {
            var q = requests[i];
            transient[i] = MemoryLimit.Exceeds(memoryLimitBytes, q.TransientKb) ? 0 : q.TransientKb;
            u[i] = Wobble(seed, q.Id);
        }
        return new ReplayDraws(transient, u);
    }

    /// <summary>
    /// The retention after each request (index k = after k requests; [0] = 0), with the
    /// allocator's parameters.
    /// </summary>
    public static double[] Retained(IReadOnlyList<ServedRequest> requests, ulong seed, long memoryLimitBytes,
        double retainFraction, double retainMaxKb, double retainShrink) =>
        Retained(Draws(requests, seed, memoryLimitBytes), retainFraction, retainMaxKb, retainShrink);

    /// <summary>The same from the requests' draws (a fit tries many allocators over the same requests).</summary>
    public static double[] Retained(ReplayDraws draws, double retainFraction, double retainMaxKb, double retainShrink)
    {
        var r = new double[draws.U.Length + 1];
        double kept = 0;
        for (int i = 0; i < draws.U.Length; i++)
        {
            kept = Math.Min(retainMaxKb, kept * (1 - draws.U[i] * retainShrink) + draws.TransientKb[i] * retainFraction);
            r[i + 1] = kept;
        }
        return r;
    }

    /// <summary>Cumulative leaked KiB (before LeakScale) after each request; [0] = 0.</summary>
    public static double[] CumulativeLeak(IReadOnlyList<ServedRequest> requests)
    {
        var l = new double[requests.Count + 1];
        for (int i = 0; i < requests.Count; i++) l[i + 1] = l[i] + requests[i].LeakKb;
        return l;
    }

    /// <summary>The sim's RSS of the child after each request ([0] = the fresh child) with the whole model.</summary>
    public static long[] Rss(IReadOnlyList<ServedRequest> requests, ulong seed, long memoryLimitBytes, MemoryModel m)
    {
        var retained = Retained(requests, seed, memoryLimitBytes, m.RetainFraction, m.RetainMaxKb, m.RetainShrink);
        var rss = new long[requests.Count + 1];
        double kept = 0;
        rss[0] = m.ChildBaselineKb;
        for (int i = 0; i < requests.Count; i++)
        {
            kept += requests[i].LeakKb * m.LeakScale + m.PerRequestKb;
            rss[i + 1] = m.ChildBaselineKb + Pages(kept + retained[i + 1]);
        }
        return rss;
    }
}
