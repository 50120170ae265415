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
            SimWobble = 6, SimMisc = 7, Wait = 8;
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

/// <summary>A small, fast sequential generator (xoshiro256**), seeded through SplitMix64.</summary>
public struct SequenceRandom
{
    private ulong _s0, _s1, _s2, _s3;

    public SequenceRandom(ulong seed, ulong stream)
    {
        _s0 = LabRandom.Hash(seed, stream, 0);
        _s1 = LabRandom.Hash(seed, stream, 1);
        _s2 = LabRandom.Hash(seed, stream, 2);
        _s3 = LabRandom.Hash(seed, stream, 3);
        if ((_s0 | _s1 | _s2 | _s3) == 0) _s0 = 1;
    }

    public ulong NextUInt64()
    {
        ulong result = RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A uniform double in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>An exponential draw with the given mean.</summary>
    public double NextExponential(double mean) => -mean * Math.Log(1.0 - NextDouble());

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}
