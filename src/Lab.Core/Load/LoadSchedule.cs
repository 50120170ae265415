using Lab.Core.Randomness;
using Lab.Core.Scenarios;

namespace Lab.Core.Load;

/// <summary>A stretch of open-model load whose rate goes linearly from RateStart to RateEnd (req/s).</summary>
public readonly record struct OpenSegment(double Start, double End, double RateStart, double RateEnd)
{
    public double Expected => (RateStart + RateEnd) / 2 * (End - Start);
}

/// <summary>A stretch of closed-model load: the user count goes linearly from UsersStart to UsersEnd.</summary>
public readonly record struct ClosedSegment(double Start, double End, int UsersStart, int UsersEnd, double ThinkS);

/// <summary>
/// The load plan turned into time: intended send times of the open model (even spacing or a
/// Poisson process, over a piecewise-linear rate) and the closed model's user count over time.
/// Times in seconds from the start of the load. Pure and deterministic for a seed.
/// </summary>
public sealed class LoadSchedule
{
    public IReadOnlyList<OpenSegment> Open { get; }
    public IReadOnlyList<ClosedSegment> Closed { get; }
    public double End { get; }
    public ArrivalProcess Arrivals { get; }
    public ulong Seed { get; }

    public LoadSchedule(LoadPlan plan, ulong seed, double? endOverride = null)
    {
        Arrivals = plan.Arrivals;
        Seed = seed;
        var open = new List<OpenSegment>();
        var closed = new List<ClosedSegment>();
        double t = 0, lastRate = 0;
        int lastUsers = 0;
        for (int pi = 0; pi < plan.Phases.Count; pi++)
        {
            var p = plan.Phases[pi];
            double d = p.During.TotalSeconds;
            double end = t + d;
            switch (p.Kind)
            {
                case LoadPhaseKind.Inject:
                    open.Add(new OpenSegment(t, end, p.Rate, p.Rate));
                    lastRate = p.Rate; lastUsers = 0;
                    break;
                case LoadPhaseKind.RampingInject:
                    open.Add(new OpenSegment(t, end, lastRate, p.Rate));
                    lastRate = p.Rate; lastUsers = 0;
                    break;
                case LoadPhaseKind.InjectRandom:
                {
                    double step = Math.Max(p.RandomInterval.TotalSeconds, 1e-3);
                    int j = 0;
                    for (double s = t; s < end - 1e-12; s += step, j++)
                    {
                        double u = LabRandom.Uniform(seed, LabRandom.Streams.InjectRandom, (ulong)pi * 1_000_003UL + (ulong)j);
                        double r = p.MinRate + (p.MaxRate - p.MinRate) * u;
                        open.Add(new OpenSegment(s, Math.Min(end, s + step), r, r));
                        lastRate = r;
                    }
                    lastUsers = 0;
                    break;
                }
                case LoadPhaseKind.KeepConstant:
                    closed.Add(new ClosedSegment(t, end, p.Copies, p.Copies, p.Think.TotalSeconds));
                    lastUsers = p.Copies; lastRate = 0;
                    break;
                case LoadPhaseKind.RampingConstant:
                    closed.Add(new ClosedSegment(t, end, lastUsers, p.Copies, p.Think.TotalSeconds));
                    lastUsers = p.Copies; lastRate = 0;
                    break;
                default:
                    lastRate = 0; lastUsers = 0;
                    break;
            }
            t = end;
        }
        End = endOverride is { } e ? Math.Min(e, t) : t;
        Open = open.Where(s => s.Start < End).Select(s => s with { End = Math.Min(s.End, End), RateEnd = s.End <= End ? s.RateEnd : s.RateStart + (s.RateEnd - s.RateStart) * (End - s.Start) / (s.End - s.Start) }).ToList();
        Closed = closed.Where(s => s.Start < End).Select(s => s with { End = Math.Min(s.End, End) }).ToList();
    }

    /// <summary>
    /// Intended send times of the open model, in order. Even: the k-th request is sent when the
    /// cumulative intensity reaches k (k = 0, 1, ...), so requests are evenly spaced at the current
    /// rate and the count is exact. Poisson: when it reaches the running sum of Exp(1) draws.
    /// </summary>
    public IEnumerable<double> OpenArrivals()
    {
        double lambdaAtStart = 0; // cumulative intensity at the start of the current segment
        ulong k = 0;
        double target = Arrivals == ArrivalProcess.Even ? 0 : NextExp(0);
        foreach (var s in Open)
        {
            double lambdaAtEnd = lambdaAtStart + s.Expected;
            while (target < lambdaAtEnd)
            {
                double need = target - lambdaAtStart;
                double t = s.Start + SolveWithin(s, need);
                if (t >= s.End) break;
                yield return t;
                k++;
                target = Arrivals == ArrivalProcess.Even ? k : target + NextExp(k);
            }
            lambdaAtStart = lambdaAtEnd;
        }
    }

    private double NextExp(ulong k) => -Math.Log(1.0 - LabRandom.Uniform(Seed, LabRandom.Streams.Arrivals, k));

    /// <summary>Time into segment s at which its cumulative intensity reaches need.</summary>
    private static double SolveWithin(OpenSegment s, double need)
    {
        if (need <= 0) return 0;
        double d = s.End - s.Start;
        double r0 = s.RateStart;
        double c = (s.RateEnd - s.RateStart) / (2 * d);
        if (Math.Abs(c) < 1e-15) return r0 > 0 ? need / r0 : double.PositiveInfinity;
        double disc = r0 * r0 + 4 * c * need;
        if (disc < 0) return double.PositiveInfinity;
        double denom = r0 + Math.Sqrt(disc);
        return denom > 0 ? 2 * need / denom : double.PositiveInfinity;
    }

    /// <summary>Closed-model users wanted at time t (0 outside closed phases).</summary>
    public int UsersAt(double t)
    {
        foreach (var s in Closed)
        {
            if (t < s.Start || t >= s.End) continue;
            if (s.UsersStart == s.UsersEnd) return s.UsersEnd;
            double f = (t - s.Start) / (s.End - s.Start);
            return (int)Math.Floor(s.UsersStart + (s.UsersEnd - s.UsersStart) * f + 1e-9);
        }
        return 0;
    }

    /// <summary>Think time of the closed phase active at t.</summary>
    public double ThinkAt(double t)
    {
        foreach (var s in Closed)
            if (t >= s.Start && t < s.End) return s.ThinkS;
        return 0;
    }

    /// <summary>
    /// The times the closed-model user count changes, with the new count, in order (including
    /// the drop to 0 at the end of a closed phase). An engine starts new users on a rise; users
    /// whose index is above UsersAt(now) stop after their current request.
    /// </summary>
    public IEnumerable<(double T, int Users)> UserChanges()
    {
        int current = 0;
        foreach (var s in Closed)
        {
            if (s.UsersStart != current) { current = s.UsersStart; yield return (s.Start, current); }
            if (s.UsersEnd != s.UsersStart)
            {
                int step = s.UsersEnd > s.UsersStart ? 1 : -1;
                double d = s.End - s.Start;
                for (int u = s.UsersStart + step; u != s.UsersEnd + step; u += step)
                {
                    double t = s.Start + d * (u - s.UsersStart) / (double)(s.UsersEnd - s.UsersStart);
                    if (step < 0) t = s.Start + d * (u + 1 - s.UsersStart) / (double)(s.UsersEnd - s.UsersStart);
                    if (t >= s.End) break;
                    current = u;
                    yield return (t, current);
                }
            }
            bool nextContinues = Closed.Any(n => Math.Abs(n.Start - s.End) < 1e-9);
            if (!nextContinues && current != 0) { current = 0; yield return (s.End, 0); }
        }
    }
}
