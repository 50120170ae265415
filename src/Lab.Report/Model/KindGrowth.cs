using Lab.Core.Records;
using Lab.Results.Reading;

namespace Lab.Report.Model;

/// <summary>One kind of request's part in the children's memory growth.</summary>
/// <param name="Requests">Requests of the kind a child served (200 and memory_limit's 500).</param>
/// <param name="Share">Its share of all requests served.</param>
/// <param name="KbPerRequest">RSS growth per request of this kind (KiB), fitted.</param>
/// <param name="StdErrKb">Its standard error (NaN when the fit has no spare degree of freedom).</param>
/// <param name="AskedLeakKb">The mean leak the lab asked of this kind (requests.csv leak_kb; 0 for scripts of your own).</param>
/// <param name="GrowthKb">KbPerRequest × Requests: the growth the kind accounts for.</param>
internal sealed record KindShare(string Kind, long Requests, double Share, double KbPerRequest, double StdErrKb, double AskedLeakKb, double GrowthKb);

/// <summary>
/// The children's memory growth broken down by request kind ([[request.kinds]]): which kind
/// leaks. Two ways, the exact one when the folder allows it:
/// <list type="bullet">
/// <item>per request: with requests.csv's rss_kb (the serving child's RSS right after each request),
/// a request's growth is that RSS minus the RSS after the same child's previous request
/// (a child's first request has no "before" and is left out); a kind's growth per request is the
/// mean of its requests';</item>
/// <item>from the samples: at a tick where no request of the child is in flight, its RSS is its
/// own level plus what the requests it finished leaked, rss = a_child + Σₖ Lₖ·nₖ(t); the Lₖ
/// (KiB per request of kind k) are fitted by least squares with a level per child (fixed
/// effects, as the summary's leak fit), with their standard errors.</item>
/// </list>
/// </summary>
internal sealed class KindGrowth
{
    public required IReadOnlyList<KindShare> Kinds { get; init; }
    /// <summary>"per request" (rss_kb) or "samples" (the regression).</summary>
    public required string Method { get; init; }
    /// <summary>The requests or sample intervals the figures came from.</summary>
    public required long Points { get; init; }

    public double TotalGrowthKb => Kinds.Where(k => double.IsFinite(k.GrowthKb) && k.GrowthKb > 0).Sum(k => k.GrowthKb);

    /// <summary>The kind that accounts for the most growth, or null when nothing grew.</summary>
    public KindShare? Leading => Kinds.Where(k => double.IsFinite(k.GrowthKb) && k.GrowthKb > 0).MaxBy(k => k.GrowthKb);

    /// <summary>The breakdown of a run whose requests have kinds; null when they have none (or nothing was served).</summary>
    /// <param name="exactTimes">The samples were taken exactly at their tick (the simulator); else a sample may be read a moment late.</param>
    public static KindGrowth? Of(SampleTable samples, RequestTable requests, bool exactTimes = false)
    {
        var names = new List<string>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        long served = 0;
        for (int i = 0; i < requests.Count; i++)
        {
            if (requests.Kind[i] is not { } k || !Served(requests, i)) continue;
            if (!index.ContainsKey(k)) { index[k] = names.Count; names.Add(k); }
            served++;
        }
        if (names.Count == 0) return null;

        var counts = new long[names.Count];
        var asked = new double[names.Count];
        for (int i = 0; i < requests.Count; i++)
        {
            if (requests.Kind[i] is not { } k || !Served(requests, i)) continue;
            counts[index[k]]++;
            asked[index[k]] += requests.LeakKb[i];
        }

        var (perKind, stderr, points, method) = UsesRequestRss(requests)
            ? PerRequest(requests, index)
            : FromSamples(samples, requests, index, exactTimes);

        var kinds = new List<KindShare>();
        for (int k = 0; k < names.Count; k++)
            kinds.Add(new KindShare(names[k], counts[k], (double)counts[k] / served, perKind[k], stderr[k],
                asked[k] / counts[k], perKind[k] * counts[k]));
        return new KindGrowth { Kinds = kinds.OrderByDescending(k => k.Requests).ToList(), Method = method, Points = points };
    }

    /// <summary>A request a child served: answered ok, or PHP's memory_limit error (the child lives on, its leak kept).</summary>
    private static bool Served(RequestTable r, int i) => r.Pid[i] > 0 && r.Status[i] is RequestStatus.Ok or RequestStatus.MemoryLimit;

    /// <summary>Does requests.csv carry the serving child's RSS for (almost) every request served?</summary>
    private static bool UsesRequestRss(RequestTable r)
    {
        if (!r.HasRss) return false;
        long served = 0, withRss = 0;
        for (int i = 0; i < r.Count; i++)
        {
            if (!Served(r, i)) continue;
            served++;
            if (r.RssKb[i] >= 0) withRss++;
        }
        return served > 0 && withRss >= 0.95 * served;
    }

    private static (double[] PerKind, double[] StdErr, long Points, string Method) PerRequest(RequestTable r, Dictionary<string, int> index)
    {
        int n = index.Count;
        var sum = new double[n];
        var sumSq = new double[n];
        var count = new long[n];
        var order = Enumerable.Range(0, r.Count).Where(i => Served(r, i) && r.RssKb[i] >= 0).OrderBy(i => r.TEnd[i]).ToList();
        var last = new Dictionary<int, long>();
        long points = 0;
        foreach (int i in order)
        {
            int pid = r.Pid[i];
            if (last.TryGetValue(pid, out long before) && r.Kind[i] is { } k)
            {
                double d = r.RssKb[i] - before;
                int j = index[k];
                sum[j] += d; sumSq[j] += d * d; count[j]++;
                points++;
            }
            last[pid] = r.RssKb[i];
        }
        var mean = new double[n];
        var se = new double[n];
        for (int j = 0; j < n; j++)
        {
            mean[j] = count[j] > 0 ? sum[j] / count[j] : double.NaN;
            se[j] = count[j] > 1 ? Math.Sqrt(Math.Max(0, (sumSq[j] - count[j] * mean[j] * mean[j]) / (count[j] - 1)) / count[j]) : double.NaN;
        }
        return (mean, se, points, "per request");
    }

    private static (double[] PerKind, double[] StdErr, long Points, string Method) FromSamples(SampleTable s, RequestTable r, Dictionary<string, int> index, bool exactTimes)
    {
        int n = index.Count;
        // each child's requests: when sent, when answered, which kind
        var byPid = new Dictionary<int, List<(double Start, double End, int Kind)>>();
        for (int i = 0; i < r.Count; i++)
        {
            if (!Served(r, i) || r.Kind[i] is not { } k) continue;
            if (!byPid.TryGetValue(r.Pid[i], out var list)) byPid[r.Pid[i]] = list = [];
            list.Add((double.IsFinite(r.TStart[i]) ? r.TStart[i] : r.TIntended[i], r.TEnd[i], index[k]));
        }
        var rowsByPid = new Dictionary<int, List<int>>();
        for (int i = 0; i < s.Count; i++)
        {
            if (s.Role[i] != ProcessRole.Child) continue;
            if (!rowsByPid.TryGetValue(s.Pid[i], out var rows)) rowsByPid[s.Pid[i]] = rows = [];
            rows.Add(i);
        }

        var xtx = new double[n, n];
        var xty = new double[n];
        double yy = 0;
        long points = 0;
        int groups = 0;
        foreach (var (pid, rows) in rowsByPid)
        {
            if (!byPid.TryGetValue(pid, out var served) || rows.Count < 2) continue;
            // The "clean" ticks: no request of the child in flight (a request's leak happens
            // somewhere between its send and its answer). A real sample is read a moment after
            // its tick (later on a loaded machine): a request sent within a quarter interval
            // after the tick may already show in it, so such a tick is not clean either. The
            // simulator's samples are exact (a tick sees the pool just before a request sent at
            // that very instant). At a clean tick the child's RSS is its own level plus what the
            // requests it finished leaked: rss = a_child + Σₖ Lₖ·nₖ(t).
            double interval = (s.T[rows[^1]] - s.T[rows[0]]) / (rows.Count - 1);
            double early = exactTimes ? 0 : 0.05 * interval, late = exactTimes ? 0 : 0.25 * interval;
            var clean = new List<(double[] N, double Rss)>();
            foreach (int row in rows)
            {
                double t = s.T[row];
                if (served.Any(q => q.Start < t + late && q.End > t - early)) continue;
                // a child's first request also pays one-time costs (PHP's heap, caches), not the leak: from its second on, as the summary's fit
                if (s.Requests[row] < 1) continue;
                var count = new double[n];
                foreach (var q in served) if (q.End <= t) count[q.Kind]++;
                clean.Add((count, s.RssKb[row]));
            }
            if (clean.Count < 2) continue;
            // fixed effects: each child's levels around its own means
            var meanN = new double[n];
            double meanY = clean.Average(p => p.Rss);
            for (int a = 0; a < n; a++) meanN[a] = clean.Average(p => p.N[a]);
            foreach (var (count, level) in clean)
            {
                double y = level - meanY;
                for (int a = 0; a < n; a++)
                {
                    double xa = count[a] - meanN[a];
                    xty[a] += xa * y;
                    for (int b = 0; b < n; b++) xtx[a, b] += xa * (count[b] - meanN[b]);
                }
                yy += y * y;
                points++;
            }
            groups++;
        }
        var beta = new double[n];
        var se = new double[n];
        Array.Fill(beta, double.NaN);
        Array.Fill(se, double.NaN);
        var inverse = Invert(xtx);
        if (inverse is null) return (beta, se, points, "samples");
        for (int a = 0; a < n; a++)
        {
            beta[a] = 0;
            for (int b = 0; b < n; b++) beta[a] += inverse[a, b] * xty[b];
        }
        // residual sum of squares: y'y − β'X'y
        double rss = yy;
        for (int a = 0; a < n; a++) rss -= beta[a] * xty[a];
        long dof = points - n - groups;
        if (dof > 0)
            for (int a = 0; a < n; a++) se[a] = Math.Sqrt(Math.Max(0, rss / dof * inverse[a, a]));
        return (beta, se, points, "samples");
    }

    /// <summary>The inverse of a small symmetric matrix (Gauss–Jordan, partial pivoting); null when it is singular.</summary>
    private static double[,]? Invert(double[,] m)
    {
        int n = m.GetLength(0);
        var a = (double[,])m.Clone();
        var inv = new double[n, n];
        for (int i = 0; i < n; i++) inv[i, i] = 1;
        double scale = 0;
        for (int i = 0; i < n; i++) scale = Math.Max(scale, Math.Abs(a[i, i]));
        if (scale == 0) return null;
        for (int c = 0; c < n; c++)
        {
            int p = c;
            for (int r = c + 1; r < n; r++) if (Math.Abs(a[r, c]) > Math.Abs(a[p, c])) p = r;
            if (Math.Abs(a[p, c]) <= 1e-12 * scale) return null;
            if (p != c)
                for (int k = 0; k < n; k++)
                {
                    (a[p, k], a[c, k]) = (a[c, k], a[p, k]);
                    (inv[p, k], inv[c, k]) = (inv[c, k], inv[p, k]);
                }
            double d = a[c, c];
            for (int k = 0; k < n; k++) { a[c, k] /= d; inv[c, k] /= d; }
            for (int r = 0; r < n; r++)
            {
                if (r == c || a[r, c] == 0) continue;
                double f = a[r, c];
                for (int k = 0; k < n; k++) { a[r, k] -= f * a[c, k]; inv[r, k] -= f * inv[c, k]; }
            }
        }
        return inv;
    }
}
