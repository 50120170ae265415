using Lab.Core.Records;

namespace Lab.Cli.Terminal;

/// <summary>
/// What a run has shown so far, for the live display: the last sample tick of every process,
/// request counts by outcome, spawns and recycles. An IRunSink teed beside the results writer;
/// the display thread reads consistent snapshots.
/// </summary>
public sealed class LiveView : IRunSink
{
    private readonly object _gate = new();
    private readonly Dictionary<int, Sample> _tick = new();
    private readonly Dictionary<int, Sample> _pending = new();
    private readonly Dictionary<int, long> _byStatus = new();
    private double _t;
    private long _spawned, _recycles, _memoryLimit, _crashes;
    private readonly Queue<string> _recentLog = new();

    public sealed record Snapshot(double T, IReadOnlyList<Sample> Processes, IReadOnlyDictionary<int, long> ByStatus,
        long Spawned, long Recycles, long MemoryLimitErrors, long Crashes, IReadOnlyList<string> RecentLog)
    {
        public long Requests => ByStatus.Values.Sum();
        public long Count(int status) => ByStatus.TryGetValue(status, out var n) ? n : 0;
        public long PoolRssKb => Processes.Sum(p => p.RssKb);
        public Sample? LargestChild => Processes.Where(p => p.Role == ProcessRole.Child).OrderByDescending(p => p.RssKb).Cast<Sample?>().FirstOrDefault();
    }

    public Snapshot Take()
    {
        lock (_gate)
            return new Snapshot(_t, _tick.Values.OrderBy(s => s.Role).ThenBy(s => s.Pid).ToList(),
                new Dictionary<int, long>(_byStatus), _spawned, _recycles, _memoryLimit, _crashes, _recentLog.ToList());
    }

    public void Process(ProcessInfo process) { }

    public void Sample(in Sample sample)
    {
        lock (_gate) _pending[sample.Pid] = sample;
    }

    public void EndTick(double t)
    {
        lock (_gate)
        {
            _tick.Clear();
            foreach (var kv in _pending) _tick[kv.Key] = kv.Value;
            _pending.Clear();
            _t = Math.Max(_t, t);
        }
    }

    public void Event(in PoolEvent e)
    {
        lock (_gate)
        {
            _t = Math.Max(_t, e.T);
            switch (e.Event)
            {
                case EventNames.Spawn: _spawned++; break;
                case EventNames.Exit when e.Detail.EndsWith(";max_requests", StringComparison.Ordinal): _recycles++; break;
                case EventNames.MemoryLimit: _memoryLimit++; break;
                case EventNames.Crash: _crashes++; break;
            }
        }
    }

    public void Request(in RequestRecord r)
    {
        lock (_gate)
        {
            _byStatus[r.Status] = _byStatus.TryGetValue(r.Status, out var n) ? n + 1 : 1;
            _t = Math.Max(_t, r.Dropped ? r.TIntended : r.TEnd);
        }
    }

    public void Log(double t, FpmLogLevel level, string message)
    {
        if (level < FpmLogLevel.Notice) return;
        Remember(message);
    }

    public void RawLog(string line) => Remember(line);

    private void Remember(string line)
    {
        lock (_gate)
        {
            _recentLog.Enqueue(line);
            while (_recentLog.Count > 4) _recentLog.Dequeue();
        }
    }
}

/// <summary>Sends every call to several sinks, in order.</summary>
public sealed class TeeSink(params IRunSink[] sinks) : IRunSink
{
    public void Process(ProcessInfo process) { foreach (var s in sinks) s.Process(process); }
    public void Sample(in Sample sample) { foreach (var s in sinks) s.Sample(sample); }
    public void EndTick(double t) { foreach (var s in sinks) s.EndTick(t); }
    public void Event(in PoolEvent e) { foreach (var s in sinks) s.Event(e); }
    public void Request(in RequestRecord r) { foreach (var s in sinks) s.Request(r); }
    public void Log(double t, FpmLogLevel level, string message) { foreach (var s in sinks) s.Log(t, level, message); }
    public void RawLog(string line) { foreach (var s in sinks) s.RawLog(line); }
}
