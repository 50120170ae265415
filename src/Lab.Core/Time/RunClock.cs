using System.Diagnostics;

namespace Lab.Core.Time;

/// <summary>
/// The wall clock of a real run: t = 0 at Start, seconds as double, monotonic (Stopwatch),
/// and the UTC moment t = 0 maps to. Shared by the sampler, the load driver and the pool host
/// so every record of a run is on one time axis.
/// </summary>
public sealed class RunClock
{
    private readonly long _startTicks;

    public RunClock()
    {
        EpochUtc = DateTime.UtcNow;
        _startTicks = Stopwatch.GetTimestamp();
    }

    public DateTime EpochUtc { get; }

    /// <summary>Seconds since the start of the run.</summary>
    public double Now => Stopwatch.GetElapsedTime(_startTicks).TotalSeconds;
}
