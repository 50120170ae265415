using Lab.Core.Randomness;
using Lab.Core.Scenarios;

namespace Lab.Sim;

/// <summary>
/// The simulator's memory arithmetic per request (MemoryModel): what a request leaks for good,
/// the allocator's retention after it, the wobble draw, and ps's page rounding. Public so that
/// whatever replays the model outside the simulator (the calibration) applies the very same
/// rules, with the same floating-point steps.
/// </summary>
public static class SimMemory
{
    /// <summary>ps counts RSS and VSZ in 4 KiB pages.</summary>
    public const long PageKb = 4;

    /// <summary>KiB rounded up to whole pages.</summary>
    public static long Pages(double kb) => kb <= 0 ? 0 : ((long)Math.Ceiling(kb - 1e-9) + PageKb - 1) / PageKb * PageKb;

    /// <summary>What a request leaks for good: its C-level leak × LeakScale, plus PerRequestKb.</summary>
    public static double KeptKb(long leakKb, MemoryModel m) => leakKb * m.LeakScale + m.PerRequestKb;

    /// <summary>The wobble u of request <paramref name="requestId"/>: the share u × RetainShrink of the retention given back after it.</summary>
    public static double Wobble(ulong seed, long requestId) => LabRandom.Uniform(seed, LabRandom.Streams.SimWobble, (ulong)requestId);

    /// <summary>
    /// The allocator's retention after a request whose transient memory was <paramref name="transientKb"/>
    /// (0 for a request that failed on memory_limit): it gives back u × retainShrink of what it
    /// kept and keeps retainFraction of the freed transient memory, up to retainMaxKb.
    /// </summary>
    public static double RetainedAfter(double retainedKb, long transientKb, double u, double retainFraction, double retainMaxKb, double retainShrink) =>
        Math.Min(retainMaxKb, retainedKb * (1 - u * retainShrink) + transientKb * retainFraction);
}
