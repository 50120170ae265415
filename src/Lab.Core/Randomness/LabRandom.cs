namespace Lab.Core.Randomness;

/// <summary>
/// Counter-based randomness: every draw is a pure function of (seed, stream, index), so
/// request 17's leak is the same whatever order requests run in, on any engine.
/// SplitMix64 finalizer over a combined key.
/// </summary>
public static class LabRandom
{
    /// <summary>Well-known streams, so engines draw the same numbers for the same purpose.</summary>
    public static class Streams
    {
        public const ulong Leak = 1, Transient = 2, Work = 3, Arrivals = 4, InjectRandom = 5,
            SimWobble = 6, SimMisc = 7, Wait = 8, Kind = 9, RecycleJitter = 10, ExitTime = 11, StartSpread = 12;
    }

    public static ulong Hash(ulong seed, ulong stream, ulong index)
    {
        ulong z = seed * 0x9E3779B97F4A7C15UL ^ (stream + 0x632BE59BD9B4E019UL) * 0xBF58476D1CE4E5B9UL;
        z ^= index * 0x94D049BB133111EBUL + 0x2545F4914F6CDD1DUL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        // a second round decorrelates neighbouring indices further
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A uniform double in [0, 1).</summary>
    public static double Uniform(ulong seed, ulong stream, ulong index) =>
        (Hash(seed, stream, index) >> 11) * (1.0 / (1UL << 53));
}
