namespace Lab.Core.Fitting;

/// <summary>
/// "RSS growth per request over these lives": within each child's life, its RSS against the
/// requests it had served; the slopes pooled (a fixed-effects regression, so recycling does not
/// bias it). This is what the RSS did — the leak AND the allocator's retention filling up — not
/// the leak alone (<see cref="LeakFit"/> tells them apart). Streaming: points arrive per life, a
/// life is folded into the totals when it ends, so memory holds only the lives in progress.
/// </summary>
public sealed class RssGrowthFit
{
    private sealed class Acc { public double N, Sx, Sy, Sxx, Sxy, Syy; }
    private readonly Dictionary<int, Acc> _open = new();
    private double _cxx, _cxy, _cyy, _n;
    private int _groups;

    /// <summary>A point of the life in progress of key (a child's life).</summary>
    public void Add(int key, double requestsServed, double rssKb)
    {
        ref var slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_open, key, out _);
        var a = slot ??= new Acc();
        a.N++; a.Sx += requestsServed; a.Sy += rssKb; a.Sxx += requestsServed * requestsServed; a.Sxy += requestsServed * rssKb; a.Syy += rssKb * rssKb;
    }

    /// <summary>The life of key ended: its centred sums join the totals.</summary>
    public void End(int key)
    {
        if (!_open.Remove(key, out var a)) return;
        Fold(a, ref _cxx, ref _cxy, ref _cyy, ref _n, ref _groups);
    }

    private static void Fold(Acc a, ref double cxx, ref double cxy, ref double cyy, ref double n, ref int groups)
    {
        if (a.N < 2) return;
        double xx = a.Sxx - a.Sx * a.Sx / a.N;
        if (xx <= 1e-12) return;
        cxx += xx;
        cxy += a.Sxy - a.Sx * a.Sy / a.N;
        cyy += Math.Max(0, a.Syy - a.Sy * a.Sy / a.N);
        n += a.N;
        groups++;
    }

    /// <summary>The pooled slope (KiB per request), its ordinary standard error, and the points used; NaN when no life has two request counts.</summary>
    public (double SlopeKb, double StdErrKb, long Points) Result()
    {
        double cxx = _cxx, cxy = _cxy, cyy = _cyy, n = _n;
        int groups = _groups;
        foreach (var a in _open.Values) Fold(a, ref cxx, ref cxy, ref cyy, ref n, ref groups);
        if (cxx <= 0) return (double.NaN, double.NaN, (long)n);
        double slope = cxy / cxx;
        double sse = Math.Max(0, cyy - slope * cxy);
        double dof = n - groups - 1;
        double se = dof > 0 ? Math.Sqrt(sse / dof / cxx) : double.NaN;
        return (slope, se, (long)n);
    }
}
