using HdrHistogram;
using Lab.Core.Records;
using Lab.Results.Formats;

namespace Lab.Results.Aggregates;

/// <summary>
/// records = "summary": what a run keeps of its requests instead of one row each, in bounded
/// memory — per second (requests-by-second.csv: counts by outcome, requests served by a child,
/// latency percentiles of the answered ones) and per PID (requests-by-pid.csv). A request counts
/// in the second it ended (a dropped one: its intended send time), as the report's latency plot
/// buckets them. Requests arrive in the order they end; a second is written once no request has
/// ended in it for <see cref="WindowS"/> seconds of run time; a request reported later still (none
/// does on the lab's engines) counts in the oldest second still open.
/// </summary>
internal sealed class RequestAggregator
{
    public const int WindowS = 30;

    private sealed class Second
    {
        public long Requests, Ok, Failed, Dropped, Served;
        public double MaxMs = double.NaN;
        public readonly LongHistogram Latency = new(1, SummaryBuilder.HighestTrackableUs, 2);
        public void Reset() { Requests = Ok = Failed = Dropped = Served = 0; MaxMs = double.NaN; Latency.Reset(); }
    }

    private sealed class PerPid
    {
        public long Requests, Ok, Failed, LeakKb;
        public double FirstStart = double.PositiveInfinity, LastEnd = double.NegativeInfinity, MaxMs = double.NaN;
    }

    private readonly Utf8Output _bySecond;
    private readonly string _byPidPath;
    private readonly Action<string, Exception> _onFailure;
    private readonly SortedDictionary<long, Second> _open = new();
    private readonly Stack<Second> _free = new();
    private readonly Dictionary<int, PerPid> _pids = new();
    private readonly List<int> _pidOrder = new();
    private long _newest = long.MinValue;
    private long _written = long.MinValue; // seconds up to here are on disk

    public RequestAggregator(string dir, Action<string, Exception> onFailure, int bufferSize)
    {
        _onFailure = onFailure;
        _bySecond = new Utf8Output(Path.Combine(dir, ResultsFiles.RequestsBySecond), bufferSize, onFailure);
        _bySecond.Line(ResultsFiles.RequestsBySecondHeader);
        _byPidPath = Path.Combine(dir, ResultsFiles.RequestsByPid);
    }

    public void Add(in RequestRecord r)
    {
        bool dropped = r.Status == RequestStatus.Dropped;
        double t = !dropped && double.IsFinite(r.TEnd) ? r.TEnd : r.TIntended;
        long sec = double.IsFinite(t) ? (long)Math.Floor(Math.Max(0, t)) : 0;
        if (sec <= _written) sec = _open.Count > 0 ? _open.Keys.First() : _written + 1;
        if (!_open.TryGetValue(sec, out var s))
        {
            s = _free.Count > 0 ? _free.Pop() : new Second();
            _open[sec] = s;
        }
        s.Requests++;
        if (dropped) s.Dropped++;
        else if (r.Status == RequestStatus.Ok) s.Ok++;
        else s.Failed++;
        if (!dropped && r.Pid != 0 && double.IsFinite(r.TEnd)) s.Served++;
        if (SummaryBuilder.IsAnswered(r.Status) && double.IsFinite(r.LatencyMs))
        {
            double ms = Math.Max(0, r.LatencyMs);
            s.Latency.RecordValue(Math.Min(SummaryBuilder.HighestTrackableUs, (long)Math.Round(ms * 1000.0, MidpointRounding.AwayFromZero)));
            if (!(ms <= s.MaxMs)) s.MaxMs = ms;
        }

        if (!dropped && r.Pid != 0)
        {
            if (!_pids.TryGetValue(r.Pid, out var p)) { _pids[r.Pid] = p = new PerPid(); _pidOrder.Add(r.Pid); }
            p.Requests++;
            if (r.Status == RequestStatus.Ok) p.Ok++; else p.Failed++;
            p.LeakKb += r.LeakKb;
            if (r.TStart < p.FirstStart) p.FirstStart = r.TStart;
            if (double.IsFinite(r.TEnd) && r.TEnd > p.LastEnd) p.LastEnd = r.TEnd;
            if (double.IsFinite(r.LatencyMs) && !(r.LatencyMs <= p.MaxMs)) p.MaxMs = r.LatencyMs;
        }

        if (sec > _newest)
        {
            _newest = sec;
            while (_open.Count > 0 && _open.Keys.First() < _newest - WindowS) WriteOldest();
        }
    }

    private void WriteOldest()
    {
        var (sec, s) = _open.First();
        _open.Remove(sec);
        var o = _bySecond;
        o.Long(sec); o.Comma();
        o.Long(s.Requests); o.Comma();
        o.Long(s.Ok); o.Comma();
        o.Long(s.Failed); o.Comma();
        o.Long(s.Dropped); o.Comma();
        o.Long(s.Served); o.Comma();
        bool any = s.Latency.TotalCount > 0;
        foreach (double q in (double[])[50, 90, 99])
        {
            if (any) o.Fixed(s.Latency.GetValueAtPercentile(q) / 1000.0, 3);
            o.Comma();
        }
        if (any) o.Fixed(s.MaxMs, 3);
        o.NewLine();
        _written = sec;
        s.Reset();
        _free.Push(s);
    }

    /// <summary>Hands what is written so far to the OS (a real run flushes every tick).</summary>
    public void Flush() => _bySecond.Flush();

    /// <summary>Writes the seconds still open and requests-by-pid.csv, and closes the files.</summary>
    public void Complete()
    {
        while (_open.Count > 0) WriteOldest();
        _bySecond.Dispose();
        using var o = new Utf8Output(_byPidPath, 1 << 16, _onFailure);
        o.Line(ResultsFiles.RequestsByPidHeader);
        foreach (int pid in _pidOrder)
        {
            var p = _pids[pid];
            o.Int(pid); o.Comma();
            o.Long(p.Requests); o.Comma();
            o.Long(p.Ok); o.Comma();
            o.Long(p.Failed); o.Comma();
            o.Fixed(p.FirstStart, 6); o.Comma();
            o.Fixed(p.LastEnd, 6); o.Comma();
            o.Long(p.LeakKb); o.Comma();
            o.Fixed(p.MaxMs, 3);
            o.NewLine();
        }
    }

    /// <summary>Closes the files without the last seconds (the run was abandoned).</summary>
    public void Close() => _bySecond.Dispose();
}
