namespace Lab.Core.Fitting;

/// <summary>
/// Fits the leak per request from samples: within each child PID, RSS against the requests it
/// has served; the slopes are pooled (a fixed-effects regression), so recycling does not bias
/// the fit. Streaming: add samples one by one, in any order.
/// </summary>
public sealed class LeakFit
{
    private sealed class Acc { public double N, Sx, Sy, Sxx, Sxy, Syy; }
    private readonly Dictionary<int, Acc> _byPid = new();

    public void Add(int pid, double requestsServed, double rssKb)
    {
        if (!_byPid.TryGetValue(pid, out var a)) _byPid[pid] = a = new Acc();
        a.N++; a.Sx += requestsServed; a.Sy += rssKb; a.Sxx += requestsServed * requestsServed; a.Sxy += requestsServed * rssKb; a.Syy += rssKb * rssKb;
    }

    /// <summary>The fitted KiB per request, its standard error, and the points used.</summary>
    public (double SlopeKb, double StdErrKb, long Points) Result()
    {
        double sxx = 0, sxy = 0, n = 0; int groups = 0;
        foreach (var a in _byPid.Values)
        {
            if (a.N < 2) continue;
            double cxx = a.Sxx - a.Sx * a.Sx / a.N;
            double cxy = a.Sxy - a.Sx * a.Sy / a.N;
            if (cxx <= 1e-12) continue;
            sxx += cxx; sxy += cxy; n += a.N; groups++;
        }
        if (sxx <= 0) return (double.NaN, double.NaN, (long)n);
        double slope = sxy / sxx;
        // residual variance (needs the per-group y sums of squares, approximated by a second pass-free bound)
        double sse = 0;
        foreach (var a in _byPid.Values)
        {
            if (a.N < 2) continue;
            double cxx = a.Sxx - a.Sx * a.Sx / a.N;
            if (cxx <= 1e-12) continue;
            double cxy = a.Sxy - a.Sx * a.Sy / a.N;
            double cyy = a.Syy - a.Sy * a.Sy / a.N;
            sse += Math.Max(0, cyy - 2 * slope * cxy + slope * slope * cxx);
        }
        double dof = n - groups - 1;
        double se = dof > 0 ? Math.Sqrt(sse / dof / sxx) : double.NaN;
        return (slope, se, (long)n);
    }
}
