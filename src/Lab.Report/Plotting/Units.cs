namespace Lab.Report.Plotting;

/// <summary>The unit of a memory axis, chosen by the range shown: KiB under 2 MiB, GiB from 10 GiB, else MiB.</summary>
public sealed record SizeUnit(string Name, double KbPerUnit)
{
    public static readonly SizeUnit KiB = new("KiB", 1);
    public static readonly SizeUnit MiB = new("MiB", 1024);
    public static readonly SizeUnit GiB = new("GiB", 1024 * 1024);

    public static SizeUnit For(double maxKb) =>
        maxKb >= 10.0 * 1024 * 1024 ? GiB : maxKb >= 2048 ? MiB : KiB;

    public double Of(double kb) => kb / KbPerUnit;
}

/// <summary>The unit of a time axis, chosen by the run's length: seconds, minutes past 20 minutes, hours past 5 hours.</summary>
internal sealed record TimeUnit(string Name, double Seconds)
{
    public static TimeUnit For(double runS) =>
        runS > 5 * 3600 ? new("h", 3600) : runS > 1200 ? new("min", 60) : new("s", 1);

    public double Of(double s) => s / Seconds;
}

/// <summary>The unit of a latency axis: ms, or s when the values pass 10 s.</summary>
internal sealed record LatencyUnit(string Name, double Ms)
{
    public static LatencyUnit For(double maxMs) => maxMs >= 10_000 ? new("s", 1000) : new("ms", 1);

    public double Of(double ms) => ms / Ms;
}
