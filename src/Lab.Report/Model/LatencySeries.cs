using Lab.Core.Records;
using Lab.Results.Reading;

namespace Lab.Report.Model;

/// <summary>
/// Latency percentiles and throughput over time from requests.csv, in buckets of equal width
/// (about a sixtieth of the run, at least one sample interval, and wide enough to hold a few
/// requests each, so one slow request does not make a percentile). Latency is the corrected
/// one (end − intended send) of the requests answered OK (a refusal answers fast and would pull
/// the percentiles down), bucketed by their end time; the rates: OK, failed, dropped per second.
/// </summary>
internal sealed class LatencySeries
{
    public required double BucketS { get; init; }
    /// <summary>Bucket centres of the buckets that have requests answered OK, with their p50 and p99 (ms).</summary>
    public required double[] LatencyT { get; init; }
    public required double[] P50Ms { get; init; }
    public required double[] P99Ms { get; init; }
    /// <summary>
    /// Every bucket's start and, last, the end of the last bucket (one more than the rates: a
    /// step line holds each rate across its bucket), and per second: answered OK (goodput),
    /// failed (sent, not ok), dropped (never sent), the last value repeated at the end.
    /// </summary>
    public required double[] RateT { get; init; }
    public required double[] OkPerS { get; init; }
    public required double[] FailedPerS { get; init; }
    public required double[] DroppedPerS { get; init; }
    public long Failed { get; init; }
    public long Dropped { get; init; }

    public bool IsEmpty => RateT.Length == 0;

    /// <summary>Bucket widths a reader can count in.</summary>
    private static readonly double[] Nice = [1, 2, 2.5, 5];

    public static double ChooseBucket(double runS, double sampleInterval, long requests)
    {
        double want = Math.Max(runS / 60, sampleInterval);
        // At least about 5 requests per bucket on average.
        if (requests > 0 && runS > 0) want = Math.Max(want, runS * 5 / requests);
        if (!(want > 0) || !double.IsFinite(want)) return 1;
        double mag = Math.Pow(10, Math.Floor(Math.Log10(want)));
        foreach (var f in Nice) if (f * mag >= want * 0.999) return f * mag;
        return 10 * mag;
    }

    /// <param name="endT">The run's end (the later of the last record and the planned load).</param>
    public static LatencySeries Build(RequestTable r, double endT, double sampleInterval)
    {
        double runS = endT;
        for (int i = 0; i < r.Count; i++)
        {
            double t = r.Status[i] == RequestStatus.Dropped || !double.IsFinite(r.TEnd[i]) ? r.TIntended[i] : r.TEnd[i];
            if (double.IsFinite(t) && t > runS) runS = t;
        }
        double w = ChooseBucket(runS, sampleInterval, r.Count);
        int n = r.Count == 0 ? 0 : Math.Max(1, (int)Math.Ceiling(runS / w - 1e-9));
        if (n > 100_000) n = 100_000; // a corrupt time cannot make a million buckets
        var answered = new int[n];
        var failed = new double[n];
        var dropped = new double[n];
        int Bucket(double t) => Math.Clamp((int)Math.Floor(Math.Max(0, t) / w), 0, n - 1);

        long failedTotal = 0, droppedTotal = 0;
        for (int i = 0; i < r.Count; i++)
        {
            int st = r.Status[i];
            if (st == RequestStatus.Dropped) { dropped[Bucket(r.TIntended[i])]++; droppedTotal++; continue; }
            double end = double.IsFinite(r.TEnd[i]) ? r.TEnd[i] : r.TIntended[i];
            if (st != RequestStatus.Ok) { failed[Bucket(end)]++; failedTotal++; }
            else if (double.IsFinite(r.LatencyMs[i]) && double.IsFinite(r.TEnd[i])) answered[Bucket(end)]++;
        }
        // The latencies of each bucket, side by side in one array (counting sort by bucket).
        var start = new int[n + 1];
        for (int b = 0; b < n; b++) start[b + 1] = start[b] + answered[b];
        var fill = (int[])start.Clone();
        var lat = new double[start[n]];
        for (int i = 0; i < r.Count; i++)
        {
            int st = r.Status[i];
            if (st != RequestStatus.Ok || !double.IsFinite(r.LatencyMs[i]) || !double.IsFinite(r.TEnd[i])) continue;
            lat[fill[Bucket(r.TEnd[i])]++] = r.LatencyMs[i];
        }

        var lt = new List<double>(); var p50 = new List<double>(); var p99 = new List<double>();
        var rt = new double[n == 0 ? 0 : n + 1]; var ans = new double[rt.Length];
        for (int b = 0; b < n; b++)
        {
            // The last bucket may be cut short by the end of the run: rates over the time it covers.
            double covered = Math.Max(Math.Min(w, runS - b * w), w * 0.05);
            rt[b] = b * w;
            ans[b] = answered[b] / covered;
            failed[b] /= covered;
            dropped[b] /= covered;
            int count = answered[b];
            if (count == 0) continue;
            var span = lat.AsSpan(start[b], count);
            span.Sort();
            lt.Add((b + 0.5) * w);
            p50.Add(Percentile(span, 50));
            p99.Add(Percentile(span, 99));
        }
        if (n > 0)
        {
            // The closing point of the step line: the run's end, holding the last bucket's rates.
            Array.Resize(ref failed, n + 1);
            Array.Resize(ref dropped, n + 1);
            rt[n] = runS;
            ans[n] = ans[n - 1]; failed[n] = failed[n - 1]; dropped[n] = dropped[n - 1];
        }
        return new LatencySeries
        {
            BucketS = w, LatencyT = lt.ToArray(), P50Ms = p50.ToArray(), P99Ms = p99.ToArray(),
            RateT = rt, OkPerS = ans, FailedPerS = failed, DroppedPerS = dropped,
            Failed = failedTotal, Dropped = droppedTotal,
        };
    }

    /// <summary>The nearest-rank percentile of sorted values (the value at or below which p% of them lie).</summary>
    public static double Percentile(ReadOnlySpan<double> sorted, double p)
    {
        if (sorted.Length == 0) return double.NaN;
        int rank = (int)Math.Ceiling(p / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
