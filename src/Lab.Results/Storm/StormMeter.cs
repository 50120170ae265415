using Lab.Core.Records;

namespace Lab.Results.Storm;

/// <summary>
/// A run's recycle-storm figures (summary.json's "storm"): how bunched the recycles are, how many
/// children were cold at once, how far the pool's memory swings above its mean, and what the
/// storms cost in latency.
/// </summary>
/// <param name="MaxRecyclesPerSecond">The most recycles (exits by pm.max_requests, a [recycle] rule, or a reload: a child renewed) in any 1-second window (sliding).</param>
/// <param name="MaxRecyclesAtS">Where that window starts.</param>
/// <param name="MaxStartingAtOnce">The most children starting at once: forked after the start (respawns, the process manager's forks, a reload's or restart's new children) and not yet done with their first request.</param>
/// <param name="PoolRssPeakToMean">The pool's RSS (master + children, per sample tick): peak / mean over the ticks.</param>
/// <param name="PoolPssPeakToMean">The same on summed PSS, where PSS was sampled; null otherwise.</param>
/// <param name="P99NearRecyclesMs">p99 of the corrected latency of requests sent in a second with a recycle, or the second before or after; null if none.</param>
/// <param name="P99ElsewhereMs">p99 of the other requests' latency; null if none.</param>
public sealed record StormSummary(
    int MaxRecyclesPerSecond, double MaxRecyclesAtS, int MaxStartingAtOnce,
    double? PoolRssPeakToMean, double? PoolPssPeakToMean, double? P99NearRecyclesMs, double? P99ElsewhereMs, long RequestsNearRecycles);

/// <summary>
/// Computes <see cref="StormSummary"/> as the records stream in. Memory: the recycle and spawn
/// times (a few per second at most), one tick total at a time, and per second of the run a
/// 256-bucket log-scale latency histogram (1 KiB a second; p99 within ±3.5 %).
/// </summary>
public sealed class StormMeter
{
    private const int Buckets = 256;
    private const double MinMs = 0.01, MaxMs = 1e6; // 10 µs .. 1000 s
    private static readonly double LogSpan = Math.Log(MaxMs / MinMs);

    private readonly List<double> _recycles = new();
    private readonly Dictionary<int, double> _cold = new();      // pid → fork time, until its first request ends
    private readonly List<(double Start, double End)> _coldSpans = new();
    private readonly List<int[]> _latencyBySecond = new();
    private bool _renewed;                                          // a reload or restart happened: its new master's initial children start cold

    private long _tickRss, _tickPss;
    private bool _tickHasSamples, _tickHasPss, _tickPssComplete = true;
    private double _sumRss, _peakRss, _sumPss, _peakPss;
    private long _ticks, _pssTicks;

    public void Sample(in Sample s)
    {
        _tickRss += s.RssKb;
        _tickHasSamples = true;
        if (s.PssKb >= 0) { _tickPss += s.PssKb; _tickHasPss = true; }
        else _tickPssComplete = false;
    }

    public void EndTick()
    {
        if (!_tickHasSamples) return;
        _ticks++;
        _sumRss += _tickRss;
        _peakRss = Math.Max(_peakRss, _tickRss);
        if (_tickHasPss && _tickPssComplete)
        {
            _pssTicks++;
            _sumPss += _tickPss;
            _peakPss = Math.Max(_peakPss, _tickPss);
        }
        _tickRss = _tickPss = 0;
        _tickHasSamples = _tickHasPss = false;
        _tickPssComplete = true;
    }

    public void Event(in PoolEvent e)
    {
        switch (e.Kind)
        {
            case PoolEventKind.Reload or PoolEventKind.Restart:
                _renewed = true;
                break;
            case PoolEventKind.Spawn:
                if (e.Spawned is SpawnCause.Respawn or SpawnCause.Maintenance or SpawnCause.Ondemand
                    || (_renewed && e.Spawned is SpawnCause.Initial or SpawnCause.Restart)) _cold[e.Pid] = e.T;
                break;
            case PoolEventKind.Exit:
                if (PoolEvent.IsRenewal(e.Why)) _recycles.Add(e.T);
                if (_cold.Remove(e.Pid, out double forked)) _coldSpans.Add((forked, e.T));
                break;
        }
    }

    public void Request(in RequestRecord r)
    {
        if (r.Pid > 0 && double.IsFinite(r.TEnd) && _cold.Remove(r.Pid, out double forked)) _coldSpans.Add((forked, r.TEnd));
        if (!SummaryBuilder.IsAnswered(r.Status) || !double.IsFinite(r.LatencyMs) || !double.IsFinite(r.TIntended) || r.TIntended < 0) return;
        int second = (int)Math.Floor(r.TIntended);
        while (_latencyBySecond.Count <= second) _latencyBySecond.Add(null!);
        (_latencyBySecond[second] ??= new int[Buckets])[Bucket(r.LatencyMs)]++;
    }

    public StormSummary Build(double runEnd)
    {
        EndTick();
        var recycles = _recycles.ToArray();
        Array.Sort(recycles);
        int most = 0;
        double mostAt = 0;
        for (int i = 0, j = 0; i < recycles.Length; i++)
        {
            while (recycles[i] - recycles[j] >= 1.0) j++;
            if (i - j + 1 > most) { most = i - j + 1; mostAt = recycles[j]; }
        }

        var spans = new List<(double Start, double End)>(_coldSpans);
        foreach (var (_, forked) in _cold) spans.Add((forked, Math.Max(forked, runEnd)));
        int starting = MaxOverlap(spans);

        var near = new bool[_latencyBySecond.Count];
        foreach (double t in recycles)
            for (int s = (int)Math.Floor(t) - 1; s <= (int)Math.Floor(t) + 1; s++)
                if (s >= 0 && s < near.Length) near[s] = true;
        var nearHist = new long[Buckets];
        var restHist = new long[Buckets];
        for (int s = 0; s < _latencyBySecond.Count; s++)
        {
            if (_latencyBySecond[s] is not { } h) continue;
            var into = near[s] ? nearHist : restHist;
            for (int b = 0; b < Buckets; b++) into[b] += h[b];
        }

        return new StormSummary(most, Math.Round(mostAt, 3), starting,
            _ticks > 0 && _sumRss > 0 ? Math.Round(_peakRss / (_sumRss / _ticks), 3) : null,
            _pssTicks > 0 && _sumPss > 0 ? Math.Round(_peakPss / (_sumPss / _pssTicks), 3) : null,
            Percentile(nearHist, 0.99), Percentile(restHist, 0.99), nearHist.Sum());
    }

    /// <summary>The most intervals holding one instant (an interval holds [start, end)).</summary>
    public static int MaxOverlap(IEnumerable<(double Start, double End)> spans)
    {
        var edges = new List<(double T, int D)>();
        foreach (var (s, e) in spans) { edges.Add((s, +1)); edges.Add((Math.Max(s, e), -1)); }
        edges.Sort((a, b) => a.T != b.T ? a.T.CompareTo(b.T) : a.D.CompareTo(b.D)); // an end before a start at the same instant
        int now = 0, most = 0;
        foreach (var (_, d) in edges) { now += d; most = Math.Max(most, now); }
        return most;
    }

    private static int Bucket(double ms)
    {
        if (ms <= MinMs) return 0;
        int b = (int)(Math.Log(ms / MinMs) / LogSpan * Buckets);
        return Math.Clamp(b, 0, Buckets - 1);
    }

    /// <summary>The geometric middle of a bucket, in ms, 3 decimals.</summary>
    private static double BucketMs(int b) => Math.Round(MinMs * Math.Exp((b + 0.5) / Buckets * LogSpan), 3);

    private static double? Percentile(long[] hist, double q)
    {
        long total = hist.Sum();
        if (total == 0) return null;
        long rank = (long)Math.Ceiling(q * total);
        long seen = 0;
        for (int b = 0; b < Buckets; b++)
        {
            seen += hist[b];
            if (seen >= rank) return BucketMs(b);
        }
        return BucketMs(Buckets - 1);
    }
}
