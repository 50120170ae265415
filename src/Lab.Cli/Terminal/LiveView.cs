using Lab.Core.Records;
using Lab.Results;

namespace Lab.Cli.Terminal;

/// <summary>
/// What the live display shows of a run: the results writer's running figures
/// (<see cref="ResultsWriter.Live"/>: the last tick, requests by outcome, spawns, recycles) and
/// the last log lines, which the writer does not keep. An IRunSink teed beside the writer for
/// those lines; the display thread reads it at any time.
/// </summary>
public sealed class LiveView : IRunSink
{
    private static readonly LiveStats Nothing = new(double.NaN, [], new Dictionary<int, long>(), 0, 0, 0);

    private readonly object _gate = new();
    private readonly Queue<string> _recentLog = new();
    private ResultsWriter? _writer;

    /// <summary>The writer whose figures are shown (set once the results folder exists).</summary>
    public void Watch(ResultsWriter writer) => Volatile.Write(ref _writer, writer);

    /// <summary>The run so far (nothing before the results folder exists); the peaks below follow it.</summary>
    public LiveStats Stats
    {
        get
        {
            var s = Volatile.Read(ref _writer)?.Live ?? Nothing;
            lock (_gate)
            {
                foreach (var p in s.LastTickSamples) if (p.RssKb > PeakProcessRssKb) PeakProcessRssKb = p.RssKb;
                if (s.PoolRssKb > PeakPoolRssKb) PeakPoolRssKb = s.PoolRssKb;
            }
            return s;
        }
    }

    /// <summary>The most RSS one process had at any tick seen so far: the bars' one scale over the run (a child growing visibly grows).</summary>
    public long PeakProcessRssKb { get; private set; }

    /// <summary>The pool's largest total RSS at any tick seen so far.</summary>
    public long PeakPoolRssKb { get; private set; }

    /// <summary>The last four log lines of notice level and above.</summary>
    public IReadOnlyList<string> RecentLog { get { lock (_gate) return _recentLog.ToList(); } }

    public void Process(ProcessInfo process) { }
    public void Sample(in Sample sample) { }
    public void EndTick(double t) { }
    public void Event(in PoolEvent e) { }
    public void Request(in RequestRecord r) { }

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
            _recentLog.Enqueue(TerminalText.Clean(line)); // a real php-fpm's log may hold anything
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
