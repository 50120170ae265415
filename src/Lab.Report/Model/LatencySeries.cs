using HdrHistogram;
using Lab.Core.Records;
using Lab.Results;
using Lab.Results.Reading;

namespace Lab.Report.Model;

/// <summary>
/// Latency percentiles and throughput over time from requests.csv (streamed), in buckets of equal width
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
        double last = 0;
        for (int i = 0; i < r.Count; i++)
        {
            double t = r.Status[i] == RequestStatus.Dropped || !double.IsFinite(r.TEnd[i]) ? r.TIntended[i] : r.TEnd[i];
            if (double.IsFinite(t) && t > last) last = t;
        }
        var c = new Collector(r.Count, last, endT, sampleInterval);
        for (int i = 0; i < r.Count; i++) c.Add(r[i]);
        return c.Build();
    }

    /// <summary>For records = "summary": from the run's per-second aggregates.</summary>
    public static LatencySeries Build(BySecondTable seconds, double endT, double sampleInterval) =>
        FromSeconds(seconds, Math.Max(endT, seconds.Overview.LastT), sampleInterval);

    /// <summary>
    /// The series built from requests streamed one at a time (from requests.csv: memory does not
    /// grow with them): <see cref="Add"/> each, then <see cref="Build"/>.
    /// </summary>
    public sealed class Collector
    {
        private readonly double _w, _runS;
        private readonly int _n;
        private readonly double[] _answered, _failed, _dropped;
        private readonly BucketLatencies[] _latency;
        private long _failedTotal, _droppedTotal;

        /// <param name="count">How many requests will be added; <paramref name="lastT"/>: the last moment they speak of.</param>
        public Collector(long count, double lastT, double endT, double sampleInterval)
        {
            _runS = Math.Max(endT, lastT);
            _w = ChooseBucket(_runS, sampleInterval, count);
            _n = count == 0 ? 0 : Math.Max(1, (int)Math.Ceiling(_runS / _w - 1e-9));
            if (_n > 100_000) _n = 100_000; // a corrupt time cannot make a million buckets
            _answered = new double[_n];
            _failed = new double[_n];
            _dropped = new double[_n];
            _latency = new BucketLatencies[_n];
            for (int b = 0; b < _n; b++) _latency[b] = new BucketLatencies();
        }

        private int Bucket(double t) => Math.Clamp((int)Math.Floor(Math.Max(0, t) / _w), 0, _n - 1);

        public void Add(in RequestRecord r)
        {
            if (_n == 0) return;
            int st = r.Status;
            if (st == RequestStatus.Dropped) { _dropped[Bucket(r.TIntended)]++; _droppedTotal++; return; }
            double end = double.IsFinite(r.TEnd) ? r.TEnd : r.TIntended;
            if (st != RequestStatus.Ok) { _failed[Bucket(end)]++; _failedTotal++; }
            else if (double.IsFinite(r.LatencyMs) && double.IsFinite(r.TEnd))
            {
                int b = Bucket(end);
                _answered[b]++;
                _latency[b].Add(r.LatencyMs);
            }
        }

        public LatencySeries Build() =>
            Assemble(_w, _runS, _answered, _failed, _dropped, b => _latency[b].Percentile(50), b => _latency[b].Percentile(99), _failedTotal, _droppedTotal);
    }

    /// <summary>
    /// records = "summary": buckets of whole seconds from requests-by-second.csv; a bucket's p50 is
    /// the median of its seconds' p50s weighted by their requests, its p99 the highest p99 of its
    /// seconds (percentiles of seconds cannot be merged exactly).
    /// </summary>
    private static LatencySeries FromSeconds(BySecondTable seconds, double runS, double sampleInterval)
    {
        long count = seconds.Rows.Sum(r => r.Requests);
        double w = Math.Max(1, Math.Ceiling(ChooseBucket(runS, sampleInterval, count)));
        int n = count == 0 ? 0 : Math.Min(100_000, Math.Max(1, (int)Math.Ceiling(runS / w - 1e-9)));
        var answered = new double[n];
        var failed = new double[n];
        var dropped = new double[n];
        var p50 = new List<(double Ms, long Weight)>[n];
        var p99 = new double[n];
        Array.Fill(p99, double.NaN);
        for (int b = 0; b < n; b++) p50[b] = new();
        long failedTotal = 0, droppedTotal = 0;
        foreach (var r in seconds.Rows)
        {
            if (n == 0) break;
            int b = Math.Clamp((int)Math.Floor(r.T / w), 0, n - 1);
            long ans = r.Ok;
            answered[b] += ans;
            failed[b] += r.Failed; failedTotal += r.Failed;
            dropped[b] += r.Dropped; droppedTotal += r.Dropped;
            if (double.IsFinite(r.P50Ms)) p50[b].Add((r.P50Ms, Math.Max(1, ans)));
            if (double.IsFinite(r.P99Ms) && !(r.P99Ms <= p99[b])) p99[b] = r.P99Ms;
        }
        double WeightedMedian(int b)
        {
            var v = p50[b].OrderBy(x => x.Ms).ToList();
            long half = (v.Sum(x => x.Weight) + 1) / 2, seen = 0;
            foreach (var (ms, weight) in v) if ((seen += weight) >= half) return ms;
            return double.NaN;
        }
        return Assemble(w, runS, answered, failed, dropped, WeightedMedian, b => p99[b], failedTotal, droppedTotal);
    }

    private static LatencySeries Assemble(double w, double runS, double[] answered, double[] failed, double[] dropped,
        Func<int, double> p50Of, Func<int, double> p99Of, long failedTotal, long droppedTotal)
    {
        int n = answered.Length;
        var lt = new List<double>(); var p50 = new List<double>(); var p99 = new List<double>();
        var rt = new double[n == 0 ? 0 : n + 1]; var ans = new double[rt.Length];
        for (int b = 0; b < n; b++)
        {
            // The last bucket may be cut short by the end of the run: rates over the time it covers.
            double covered = Math.Max(Math.Min(w, runS - b * w), w * 0.05);
            rt[b] = b * w;
            double count = answered[b];
            ans[b] = count / covered;
            failed[b] /= covered;
            dropped[b] /= covered;
            if (count == 0) continue;
            lt.Add((b + 0.5) * w);
            p50.Add(p50Of(b));
            p99.Add(p99Of(b));
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

    /// <summary>
    /// One bucket's latencies: kept exactly up to <see cref="ExactUpTo"/> (nearest-rank
    /// percentiles), past that in a histogram of 3 significant digits (within 0.1%), so a bucket
    /// of millions of requests costs the same memory as one of thousands.
    /// </summary>
    private sealed class BucketLatencies
    {
        public const int ExactUpTo = 8192;
        private List<double>? _exact = new();
        private LongHistogram? _histogram;

        public void Add(double ms)
        {
            if (_exact is not null)
            {
                _exact.Add(ms);
                if (_exact.Count <= ExactUpTo) return;
                _histogram = SummaryBuilder.NewHistogram();
                foreach (double v in _exact) Record(v);
                _exact = null;
                return;
            }
            Record(ms);
        }

        private void Record(double ms) =>
            _histogram!.RecordValue(Math.Clamp((long)Math.Round(Math.Max(0, ms) * 1000.0, MidpointRounding.AwayFromZero), 1, SummaryBuilder.HighestTrackableUs));

        public double Percentile(double p)
        {
            if (_exact is not null)
            {
                var sorted = _exact.ToArray();
                Array.Sort(sorted);
                return LatencySeries.Percentile(sorted, p);
            }
            return _histogram!.GetValueAtPercentile(p) / 1000.0;
        }
    }

    /// <summary>The nearest-rank percentile of sorted values (the value at or below which p% of them lie).</summary>
    public static double Percentile(ReadOnlySpan<double> sorted, double p)
    {
        if (sorted.Length == 0) return double.NaN;
        int rank = (int)Math.Ceiling(p / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
