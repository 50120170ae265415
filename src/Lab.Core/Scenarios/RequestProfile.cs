namespace Lab.Core.Scenarios;

/// <summary>
/// What each request does, drawn per request from the scenario's seed:
/// leak (KiB kept by the process forever: a C-level leak), transient (KiB allocated as
/// PHP values and freed at the end of the request; this is what memory_limit counts),
/// work (ms of CPU burnt) and wait (ms asleep, like waiting for a database: busy, no CPU).
/// </summary>
public sealed record RequestProfile
{
    public Distribution LeakKb { get; init; } = Distribution.Const(0);
    public Distribution TransientKb { get; init; } = Distribution.Const(0);
    public Distribution WorkMs { get; init; } = Distribution.Const(10);
    public Distribution WaitMs { get; init; } = Distribution.Const(0);
    /// <summary>The script the request asks for (SCRIPT_NAME / request URI).</summary>
    public string Script { get; init; } = "/leak.php";
}

public enum DistributionKind { Constant, Uniform, Normal, Exponential }

/// <summary>A non-negative quantity: a constant or a seeded distribution. Draws are clamped at 0.</summary>
public sealed record Distribution(DistributionKind Kind, double A, double B = 0)
{
    public static Distribution Const(double value) => new(DistributionKind.Constant, value);
    public static Distribution Uniform(double min, double max) => new(DistributionKind.Uniform, min, max);
    public static Distribution Normal(double mean, double stddev) => new(DistributionKind.Normal, mean, stddev);
    public static Distribution Exponential(double mean) => new(DistributionKind.Exponential, mean);

    public double Mean => Kind switch
    {
        DistributionKind.Constant => A,
        DistributionKind.Uniform => (A + B) / 2,
        DistributionKind.Normal => A,
        DistributionKind.Exponential => A,
        _ => A,
    };

    /// <summary>Turns two uniform draws in [0,1) into a value of this distribution (clamped at 0).</summary>
    public double Draw(double u1, double u2)
    {
        double v = Kind switch
        {
            DistributionKind.Constant => A,
            DistributionKind.Uniform => A + (B - A) * u1,
            DistributionKind.Normal => A + B * Math.Sqrt(-2.0 * Math.Log(1.0 - u1)) * Math.Cos(2.0 * Math.PI * u2),
            DistributionKind.Exponential => -A * Math.Log(1.0 - u1),
            _ => A,
        };
        return v < 0 ? 0 : v;
    }
}
