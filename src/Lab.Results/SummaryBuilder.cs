using HdrHistogram;
using Lab.Core.Engines;
using Lab.Core.Fitting;
using Lab.Core.Records;
using Lab.Results.Formats;
using Lab.Results.Lives;

namespace Lab.Results;

/// <summary>
/// Computes a run's <see cref="Summary"/> as the records stream in, in constant memory (the
/// latency histograms, the fit's sums, and the running children): the results writer feeds one;
/// a sweep or a test can use one alone. The children's counts and memory come from a
/// <see cref="PoolLedger"/>, the same the report draws its lives from; the peaks and the leak use
/// every RSS reading — the sample ticks and each request's rss_kb — so no child and no peak is
/// missed whatever the sample interval.
/// </summary>
public sealed class SummaryBuilder : IRunSink
{
    /// <summary>Latencies are recorded in microseconds up to a day (longer ones are clamped there).</summary>
    public const long HighestTrackableUs = 24L * 3600 * 1_000_000;

    private readonly RunHeader _header;
    private readonly LongHistogram _corrected = NewHistogram();
    private readonly LongHistogram _uncorrected = NewHistogram();
    private readonly LongHistogram _okCorrected = NewHistogram();
    private readonly LongHistogram _failedCorrected = NewHistogram();
    private readonly LatencyMoments _correctedMoments = new();
    private readonly LatencyMoments _uncorrectedMoments = new();
    private readonly LatencyMoments _okMoments = new();
    private readonly LatencyMoments _failedMoments = new();
    private readonly StatusCounter _statuses = new();
    private readonly Dictionary<string, long> _exitsByWhy = new(StringComparer.Ordinal);
    private readonly LeakFit _fit = new();
    private readonly Storm.StormMeter _storm = new();
    private readonly PoolLedger _ledger = new();

    private double _lastT = 0;
    private double _firstIntended = double.PositiveInfinity, _lastIntended = double.NegativeInfinity, _lastRequestT = double.NegativeInfinity;
    private long _spawned, _recycles;
    private long _peakChildRss;
    private long _tickPoolRss, _peakPoolRss, _finalPoolRss;
    // PSS: summed over the tick's processes that read it, with their RSS (the ratio's numerator)
    private long _tickPss, _tickRssOfPss, _peakPss = -1, _finalPss = -1, _finalRssOfPss, _peakChildUss = -1;
    private bool _tickHasPss;
    private bool _tickHasSamples, _anyTick;

    public SummaryBuilder(RunHeader header)
    {
        _header = header;
        _ledger.Ended = life => _fit.End(life.Id);
    }

    /// <summary>The corrected-latency histogram (µs) so far.</summary>
    public HistogramBase CorrectedHistogram => _corrected;

    /// <summary>The uncorrected-latency histogram (µs) so far.</summary>
    public HistogramBase UncorrectedHistogram => _uncorrected;

    // For ResultsWriter.Live (read from another thread: plain 64-bit reads, a moment old at worst).
    internal StatusCounter Statuses => _statuses;
    internal long Spawned => Volatile.Read(ref _spawned);
    internal long Recycled => Volatile.Read(ref _recycles);

    public static LongHistogram NewHistogram() => new(1, HighestTrackableUs, 3);

    /// <summary>
    /// A request got a response: anything but dropped (never sent) and client timeout (the
    /// client gave up, no response). These make the latency histograms and the throughput.
    /// </summary>
    public static bool IsAnswered(int status) => status != RequestStatus.Dropped && status != RequestStatus.ClientTimeout;

    /// <summary>An exit's why that means pm.max_requests recycled the child.</summary>
    public static bool IsRecycle(string why) => PoolEvent.IsRecycle(PoolEvent.ParseCause(why));

    public void Process(ProcessInfo process) { }

    public void Sample(in Sample sample)
    {
        See(sample.T);
        _tickPoolRss += sample.RssKb;
        _tickHasSamples = true;
        _storm.Sample(sample);
        if (sample.HasPss)
        {
            _tickPss += sample.PssKb;
            _tickRssOfPss += sample.RssKb;
            _tickHasPss = true;
            if (sample.Role == ProcessRole.Child && sample.UssKb > _peakChildUss) _peakChildUss = sample.UssKb;
        }
        var life = _ledger.Sample(sample);
        if (life is not null)
        {
            if (sample.RssKb > _peakChildRss) _peakChildRss = sample.RssKb;
            _fit.AddSample(life.Id, sample.Requests, sample.RssKb);
            if (sample.Requests == 0) _fit.AddBaseline(life.Id, sample.T, sample.RssKb); // a fresh child: its own baseline
        }
    }

    public void EndTick(double t)
    {
        See(t);
        CloseTick();
    }

    private void CloseTick()
    {
        _storm.EndTick();
        if (!_tickHasSamples) return;
        if (_tickPoolRss > _peakPoolRss) _peakPoolRss = _tickPoolRss;
        _finalPoolRss = _tickPoolRss;
        _tickPoolRss = 0;
        if (_tickHasPss)
        {
            if (_tickPss > _peakPss) _peakPss = _tickPss;
            _finalPss = _tickPss;
            _finalRssOfPss = _tickRssOfPss;
        }
        _tickPss = _tickRssOfPss = 0;
        _tickHasPss = false;
        _tickHasSamples = false;
        _anyTick = true;
    }

    public void Event(in PoolEvent e)
    {
        See(e.T);
        _storm.Event(e);
        if (e.Kind == PoolEventKind.Spawn) Interlocked.Increment(ref _spawned);
        else if (e.Kind == PoolEventKind.Exit)
        {
            string why = ExitWhy(e);
            _exitsByWhy[why] = _exitsByWhy.GetValueOrDefault(why) + 1;
            if (IsRecycle(why)) Interlocked.Increment(ref _recycles);
        }
        _ledger.Event(e);
    }

    /// <summary>An exit's why as events.csv writes it ("max_requests", "idle", ...); "unknown" if it has none.</summary>
    public static string ExitWhy(in PoolEvent e) => e.Why is ExitCause.None or ExitCause.Unknown ? "unknown" : PoolEvent.CauseName(e.Why);

    /// <summary>The why of an exit's detail as events.csv holds it ("code 0;max_requests" → "max_requests"); "unknown" if absent.</summary>
    public static string ExitWhy(string detail) => ExitWhy(PoolEvent.FromCsv(0, EventNames.Exit, 0, detail));

    public void Request(in RequestRecord r)
    {
        _statuses.Add(r.Status);
        if (r.TIntended < _firstIntended) _firstIntended = r.TIntended;
        if (r.TIntended > _lastIntended) _lastIntended = r.TIntended;
        double last = r.TIntended;
        if (!r.Dropped && double.IsFinite(r.TEnd) && r.TEnd > last) last = r.TEnd;
        if (last > _lastRequestT) _lastRequestT = last;
        See(last);
        _storm.Request(r);

        if (r.Status == RequestStatus.ClientTimeout && r.Pid != 0 && _ledger.Current(r.Pid) is { } waited)
            _fit.Break(waited.Id); // the child may still serve it: its count of requests is no longer sure
        var life = _ledger.Request(r);
        if (life is not null && r.HasRss)
        {
            if (r.RssKb > _peakChildRss) _peakChildRss = r.RssKb;
            // the pool at this request's end: the masters and every running child at its last known RSS
            long pool = _ledger.PoolRssKb;
            if (pool > _peakPoolRss) _peakPoolRss = pool;
            // the allocator keeps part of what the request allocated; one that failed on memory_limit allocated nothing
            _fit.AddRequest(life.Id, life.Served, r.RssKb, r.Ok ? r.TransientKb : 0, Math.Min(r.TIntended, r.TStart));
        }

        if (r.Dropped) return;
        if (r.Ok) Record(_okCorrected, _okMoments, r.LatencyMs);
        else Record(_failedCorrected, _failedMoments, r.LatencyMs);
        if (!IsAnswered(r.Status)) return;
        Record(_corrected, _correctedMoments, r.LatencyMs);
        Record(_uncorrected, _uncorrectedMoments, r.UncorrectedMs);
    }

    private static void Record(LongHistogram h, LatencyMoments m, double ms)
    {
        if (!double.IsFinite(ms)) return;
        if (ms < 0) ms = 0;
        long us = Math.Min(HighestTrackableUs, (long)Math.Round(ms * 1000.0, MidpointRounding.AwayFromZero));
        h.RecordValue(us);
        m.Add(ms);
    }

    public void Log(double t, FpmLogLevel level, string message) { }

    public void RawLog(string line) { }

    private void See(double t)
    {
        if (double.IsFinite(t) && t > _lastT) _lastT = t;
    }

    /// <summary>The leak fit of what was seen so far (summary.json's leak figures, with the fit's baseline, retention and ρ).</summary>
    public LeakFitResult LeakFitResult => _fit.Result();

    /// <summary>The summary of what was seen so far, with the outcome's status and pool counters.</summary>
    public Summary Build(RunOutcome outcome)
    {
        CloseTick(); // samples given without a final EndTick still count as a tick
        long total = _statuses.Total;
        long ok = _statuses.Get(RequestStatus.Ok);
        long dropped = _statuses.Get(RequestStatus.Dropped);
        long answered = _correctedMoments.Count;

        // The span the load actually ran: first intended send to the last request's end (not the planned phases).
        double span = total > 0 ? Math.Max(0, _lastRequestT - _firstIntended) : 0;
        double Rate(long n) => span > 0 ? Json.Round3(n / span) : 0;

        var fit = _fit.Result();
        static double? R(double v) => double.IsFinite(v) ? Json.Round3(v) : null;
        var pool = new Dictionary<string, long>(StringComparer.Ordinal);
        if (outcome.PoolStatus is not null) foreach (var (k, v) in outcome.PoolStatus) pool[k] = v;

        return new Summary
        {
            Engine = _header.Engine,
            Scenario = _header.Name,
            Seed = _header.Seed,
            Status = outcome.Status,
            StoppedBy = StoppedByIterations(outcome, total) ? "load.iterations" : null,
            DurationS = Json.Round3(_lastT),
            LoadDurationS = Json.Round3(span),
            RequestsTotal = total,
            RequestsOk = ok,
            RequestsFailed = total - ok - dropped,
            Dropped = dropped,
            StatusCounts = _statuses.ToDictionary(),
            ThroughputRps = Rate(answered),
            OfferedRps = Rate(total - dropped),
            GoodputRps = Rate(ok),
            LatencyMs = Latency(_corrected, _correctedMoments),
            LatencyUncorrectedMs = Latency(_uncorrected, _uncorrectedMoments),
            LatencyOkMs = Latency(_okCorrected, _okMoments),
            LatencyFailedMs = Latency(_failedCorrected, _failedMoments),
            ChildrenSpawned = _spawned,
            ChildPids = _ledger.Lives,
            ChildPidsUnmeasured = _ledger.Unmeasured,
            Recycles = _recycles,
            ChildExits = new Dictionary<string, long>(_exitsByWhy, StringComparer.Ordinal),
            MemoryLimitErrors = _statuses.Get(RequestStatus.MemoryLimit),
            PeakChildRssKb = _peakChildRss,
            PeakPoolRssKb = _anyTick || _peakPoolRss > 0 ? _peakPoolRss : 0,
            FinalPoolRssKb = _anyTick ? _finalPoolRss : 0,
            PeakPoolPssKb = _peakPss >= 0 ? _peakPss : null,
            FinalPoolPssKb = _finalPss >= 0 ? _finalPss : null,
            PeakChildUssKb = _peakChildUss >= 0 ? _peakChildUss : null,
            RssPssRatio = _finalPss > 0 ? Json.Round3((double)_finalRssOfPss / _finalPss) : null,
            // a leak the fit could not tell from the retention (its interval wider than the growth) is not given as one
            LeakKbPerRequest = fit.Determined ? R(fit.LeakKb) : null,
            LeakKbPerRequestStderr = fit.Determined ? R(fit.StdErrKb) : null,
            LeakKbPerRequestLow95 = fit.Determined ? R(fit.Low95Kb) : null,
            LeakKbPerRequestHigh95 = fit.Determined ? R(fit.High95Kb) : null,
            RssGrowthKbPerRequest = R(fit.GrowthKb),
            RssGrowthKbPerRequestStderr = R(fit.GrowthStdErrKb),
            RetentionKb = fit.Determined ? R(fit.RetentionKb) : null,
            LeakFitMethod = !fit.HasLeak ? null
                : (fit.Determined ? Lab.Core.Fitting.LeakFit.Method
                    : FormattableString.Invariant($"not told apart from the allocator's retention: the lives are too short (the leak's 95% interval ran from {fit.Low95Kb:0} to {fit.High95Kb:0} KiB, wider than the RSS growth of {fit.GrowthKb:0} KiB per request); fitted ") + Lab.Core.Fitting.LeakFit.Method)
                  + (fit.FromRequests ? "; from each request's rss_kb" : "; from the sample ticks (no rss_kb per request)"),
            LeakUnit = _header.LeakUnit,
            FitPoints = fit.Points,
            PoolStatus = pool,
            Notes = outcome.Notes ?? [],
            Storm = _storm.Build(_lastT),
        };
    }

    /// <summary>
    /// The run ended because load.iterations requests were sent: the cap was reached while the
    /// load still had a good part of its planned length to go (its last request was sent before
    /// 95% of it), so the run ended early.
    /// </summary>
    private bool StoppedByIterations(RunOutcome outcome, long total) =>
        outcome.Status == RunStatus.Complete && _header.Iterations is { } cap && total >= cap
        && _header.RunLengthS is { } planned && _lastIntended < 0.95 * planned;

    private static LatencySummary? Latency(LongHistogram h, LatencyMoments m)
    {
        if (m.Count == 0) return null;
        double max = Json.Round3(m.Max);
        // The histogram answers with the top of a value's bucket (within 0.1%), which can pass
        // the exact maximum: a percentile is never shown above the max.
        double Ms(long us) => Math.Min(max, Json.Round3(us / 1000.0));
        return new LatencySummary(
            Ms(h.GetValueAtPercentile(50)), Ms(h.GetValueAtPercentile(90)), Ms(h.GetValueAtPercentile(99)),
            Ms(h.GetValueAtPercentile(99.9)), max, Json.Round3(m.Sum / m.Count));
    }

    private sealed class LatencyMoments
    {
        public long Count;
        public double Sum, Max;
        public void Add(double ms) { Count++; Sum += ms; if (ms > Max) Max = ms; }
    }
}

/// <summary>Counts by request status: an array for the usual 0..599, a dictionary for anything else.</summary>
internal sealed class StatusCounter
{
    private readonly long[] _common = new long[600];
    private readonly Dictionary<int, long> _other = new(); // rare statuses, guarded by itself

    public long Total { get; private set; }

    public void Add(int status)
    {
        Total++;
        if ((uint)status < (uint)_common.Length) _common[status]++;
        else lock (_other) _other[status] = _other.GetValueOrDefault(status) + 1;
    }

    public long Get(int status) =>
        (uint)status < (uint)_common.Length ? _common[status] : Other(status);

    private long Other(int status) { lock (_other) return _other.GetValueOrDefault(status); }

    /// <summary>A copy, statuses in order. Safe to call from another thread while Add runs (counts may be a moment old).</summary>
    public SortedDictionary<int, long> ToDictionary()
    {
        var d = new SortedDictionary<int, long>();
        for (int i = 0; i < _common.Length; i++)
        {
            long n = Volatile.Read(ref _common[i]);
            if (n > 0) d[i] = n;
        }
        lock (_other) foreach (var (k, v) in _other) d[k] = v;
        return d;
    }
}
