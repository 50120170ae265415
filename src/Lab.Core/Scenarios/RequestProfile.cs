namespace Lab.Core.Scenarios;

/// <summary>
/// What each request does, drawn per request from the scenario's seed:
/// leak (KiB kept by the process forever: a C-level leak), transient (KiB allocated as
/// PHP values and freed at the end of the request; this is what memory_limit counts),
/// work (ms of CPU burnt) and wait (ms asleep, like waiting for a database: busy, no CPU).
/// With <see cref="Kinds"/>, each request is first given a kind (weighted), and the kind's
/// own quantities, script and query apply.
/// </summary>
public sealed record RequestProfile
{
    public Distribution LeakKb { get; init; } = Distribution.Const(0);
    public Distribution TransientKb { get; init; } = Distribution.Const(0);
    public Distribution WorkMs { get; init; } = Distribution.Const(10);
    public Distribution WaitMs { get; init; } = Distribution.Const(0);
    /// <summary>The script the request asks for (SCRIPT_NAME / request URI).</summary>
    public string Script { get; init; } = "/leak.php";
    /// <summary>The request's own query string (without '?'), sent to any script; "" = none.</summary>
    public string Query { get; init; } = "";
    /// <summary>
    /// Application code each request loads, in KiB (0: none): shared by the children (php-fpm:
    /// generated PHP classes through opcache; dotnet: the master's shared mapping), so it counts
    /// in every child's RSS and once in the pool's PSS.
    /// </summary>
    public long CodeKb { get; init; }
    /// <summary>Kinds of request ([[request.kinds]]); empty: every request is this profile.</summary>
    public IReadOnlyList<RequestKind> Kinds { get; init; } = [];

    // The kinds compare by value, so two equal scenarios are equal records.
    public bool Equals(RequestProfile? other) =>
        other is not null && LeakKb == other.LeakKb && TransientKb == other.TransientKb && WorkMs == other.WorkMs
        && WaitMs == other.WaitMs && Script == other.Script && Query == other.Query && CodeKb == other.CodeKb && Kinds.SequenceEqual(other.Kinds);

    public override int GetHashCode() => HashCode.Combine(LeakKb, TransientKb, WorkMs, WaitMs, Script, Query, Kinds.Count);
}

/// <summary>
/// One kind of request of a mix ("99 % pages, 1 % an export that leaks 50M"): its share of the
/// requests and what it does. A kind has either a <see cref="Share"/> (a fixed fraction of all
/// requests) or a <see cref="Weight"/> (the kinds with weights split what the shares leave, in
/// proportion).
/// </summary>
public sealed record RequestKind
{
    /// <summary>Its name in requests.csv and the reports: letters, digits, '_', '-', '.'.</summary>
    public required string Name { get; init; }
    /// <summary>Relative weight (&gt; 0) among the kinds without a share; ignored when Share is set.</summary>
    public double Weight { get; init; } = 1;
    /// <summary>Fixed fraction of all requests (0 &lt; share ≤ 1), or null.</summary>
    public double? Share { get; init; }
    public required Distribution LeakKb { get; init; }
    public required Distribution TransientKb { get; init; }
    public required Distribution WorkMs { get; init; }
    public required Distribution WaitMs { get; init; }
    public required string Script { get; init; }
    public string Query { get; init; } = "";

    /// <summary>
    /// Each kind's probability, in order: shares as given, the rest split by weight. The caller
    /// has checked that the shares add up to at most 1 (exactly 1 when every kind has one).
    /// </summary>
    public static double[] Probabilities(IReadOnlyList<RequestKind> kinds)
    {
        var p = new double[kinds.Count];
        double shares = 0, weights = 0;
        foreach (var k in kinds)
        {
            if (k.Share is double s) shares += s;
            else weights += k.Weight;
        }
        double rest = Math.Max(0, 1 - shares);
        for (int i = 0; i < kinds.Count; i++)
            p[i] = kinds[i].Share ?? (weights > 0 ? rest * kinds[i].Weight / weights : 0);
        return p;
    }
}

public enum DistributionKind { Constant, Uniform, Normal, Exponential, Choice, LogNormal }

/// <summary>
/// A non-negative quantity: a constant or a seeded distribution. Draws are clamped at 0.
/// Uniform(A = min, B = max), Normal(A = mean, B = stddev), Exponential(A = mean),
/// LogNormal(A = mean, B = stddev of the quantity itself), Choice(<see cref="Values"/> with
/// their <see cref="Weights"/>).
/// </summary>
public sealed record Distribution(DistributionKind Kind, double A, double B = 0)
{
    /// <summary>Choice: the values drawn from.</summary>
    public IReadOnlyList<double> Values { get; init; } = [];
    /// <summary>Choice: their relative weights (&gt; 0), one per value.</summary>
    public IReadOnlyList<double> Weights { get; init; } = [];

    public static Distribution Const(double value) => new(DistributionKind.Constant, value);
    public static Distribution Uniform(double min, double max) => new(DistributionKind.Uniform, min, max);
    public static Distribution Normal(double mean, double stddev) => new(DistributionKind.Normal, mean, stddev);
    public static Distribution Exponential(double mean) => new(DistributionKind.Exponential, mean);
    public static Distribution LogNormal(double mean, double stddev) => new(DistributionKind.LogNormal, mean, stddev);
    public static Distribution Choice(IReadOnlyList<double> values, IReadOnlyList<double> weights) =>
        new(DistributionKind.Choice, 0) { Values = values.ToArray(), Weights = weights.ToArray() };

    public double Mean => Kind switch
    {
        DistributionKind.Constant => A,
        DistributionKind.Uniform => (A + B) / 2,
        DistributionKind.Choice => ChoiceMean(),
        _ => A, // normal, exponential and log-normal are given by their mean
    };

    /// <summary>Draw <paramref name="index"/> of a seeded stream (LabRandom): uniforms 2 × index and 2 × index + 1.</summary>
    public double Draw(ulong seed, ulong stream, ulong index) =>
        Draw(Randomness.LabRandom.Uniform(seed, stream, 2 * index), Randomness.LabRandom.Uniform(seed, stream, 2 * index + 1));

    /// <summary>Turns two uniform draws in [0,1) into a value of this distribution (clamped at 0).</summary>
    public double Draw(double u1, double u2)
    {
        double v = Kind switch
        {
            DistributionKind.Constant => A,
            DistributionKind.Uniform => A + (B - A) * u1,
            DistributionKind.Normal => A + B * Gaussian(u1, u2),
            DistributionKind.Exponential => -A * Math.Log(1.0 - u1),
            DistributionKind.LogNormal => DrawLogNormal(u1, u2),
            DistributionKind.Choice => DrawChoice(u1),
            _ => A,
        };
        return v < 0 ? 0 : v;
    }

    private static double Gaussian(double u1, double u2) => Math.Sqrt(-2.0 * Math.Log(1.0 - u1)) * Math.Cos(2.0 * Math.PI * u2);

    /// <summary>exp(μ + σZ) with σ² = ln(1 + s²/m²), μ = ln m − σ²/2: mean m and standard deviation s.</summary>
    private double DrawLogNormal(double u1, double u2)
    {
        if (A <= 0) return 0;
        double sigma2 = Math.Log(1 + B * B / (A * A));
        return Math.Exp(Math.Log(A) - sigma2 / 2 + Math.Sqrt(sigma2) * Gaussian(u1, u2));
    }

    private double DrawChoice(double u)
    {
        if (Values.Count == 0) return 0;
        double total = 0;
        foreach (var w in Weights) total += w;
        double x = u * total, acc = 0;
        for (int i = 0; i < Values.Count; i++)
        {
            acc += Weights[i];
            if (x < acc) return Values[i];
        }
        return Values[^1];
    }

    private double ChoiceMean()
    {
        double total = 0, sum = 0;
        for (int i = 0; i < Values.Count; i++) { total += Weights[i]; sum += Weights[i] * Values[i]; }
        return total > 0 ? sum / total : 0;
    }

    // A choice's lists compare by value, so two equal scenarios are equal records.
    public bool Equals(Distribution? other) =>
        other is not null && Kind == other.Kind && A.Equals(other.A) && B.Equals(other.B)
        && Values.SequenceEqual(other.Values) && Weights.SequenceEqual(other.Weights);

    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(Kind); h.Add(A); h.Add(B);
        foreach (var v in Values) h.Add(v);
        foreach (var w in Weights) h.Add(w);
        return h.ToHashCode();
    }
}
