using Lab.Linux.Proc;
using Lab.Core.Events;
using Lab.Core.Logging;
using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.Core.Time;
using Lab.Results.Reading;
using Lab.Load;
using Lab.Probe;

namespace Lab.Engines.Real;

/// <summary>
/// The bookkeeping of a real run: it serializes every call to the sink (samples from the
/// sampler thread, requests from the load driver's threads, log lines from the master's pipe),
/// turns php-fpm's log lines into events through Lab.Core's FpmLogFollower (the classification
/// every engine shares), counts the requests each PID served, and keeps the last tick for the
/// kill-child selector and the memory guard.
/// </summary>
public sealed class RunState : ILoadObserver
{
    private readonly object _gate = new();
    private readonly IRunSink _sink;
    private readonly RunClock _clock;
    private readonly FpmLogLevel _logLevel;
    private readonly Dictionary<int, long> _served = new();
    private readonly HashSet<int> _known = new();
    private readonly FpmLogFollower _follower;
    private IReadOnlyList<ProcSample> _lastTick = [];

    public RunState(IRunSink sink, RunClock clock, Scenario scenario)
    {
        _sink = sink;
        _clock = clock;
        _logLevel = scenario.LogLevel;
        _follower = new FpmLogFollower(e => _sink.Event(e), scenario.Pool);
    }

    /// <summary>The pool settings in force (they change on reload; set before the reload is signalled).</summary>
    public PoolSettings Pool { get { lock (_gate) return _follower.Pool; } set { lock (_gate) _follower.Pool = value; } }
    public Func<int, int> MapPid { get => _follower.MapPid; set => _follower.MapPid = value; }

    public IReadOnlyList<ProcSample> LastTick { get { lock (_gate) return _lastTick; } }
    public int MasterPid { get { lock (_gate) return _follower.MasterPid; } }

    public long Served(int pid) { lock (_gate) return _served.TryGetValue(pid, out var n) ? n : 0; }

    /// <summary>The lab itself is about to end this child (its kill-child action): its exit carries this why.</summary>
    public void ExpectExit(int pid, ExitCause why) { lock (_gate) _follower.ExpectExit(pid, why); }

    /// <summary>The lab is stopping the master for this reason: exits of its children carry it.</summary>
    public void MasterStopping(ExitCause why) { lock (_gate) _follower.MasterStopping(why); }

    /// <summary>An event of the lab itself (an action, the guard), at the run's current time.</summary>
    public void Event(PoolEventKind kind, int pid, string note = "")
    {
        lock (_gate) _sink.Event(PoolEvent.Of(_clock.Now, kind, pid, note));
    }

    /// <summary>An event of the lab itself, already made.</summary>
    public void Event(in PoolEvent e)
    {
        lock (_gate) _sink.Event(e);
    }

    /// <param name="smaps">PSS, USS and swap by pid when this tick read smaps_rollup; null otherwise.</param>
    public void OnTick(double t, IReadOnlyList<ProcSample> procs, int masterPid, IReadOnlyDictionary<int, SmapsFigures>? smaps = null)
    {
        lock (_gate)
        {
            _lastTick = procs;
            foreach (var p in procs)
            {
                // A process that is exiting (its memory already released: RSS 0) or a zombie (exited,
                // not yet reaped by the master; ps shows it <defunct>) holds no memory any more. Its
                // exit is in events.csv; a 0 in samples.csv would only draw a false drop and bend the leak fit.
                if (p.State == 'Z' || p.RssKb == 0) continue;
                var role = p.Pid == masterPid ? ProcessRole.Master : ProcessRole.Child;
                if (_known.Add(p.Pid))
                    _sink.Process(new ProcessInfo(p.Pid, role, Proc.UserName(p.Pid), Proc.CommandLine(p.Pid), p.StartS, p.Ppid));
                long served = role == ProcessRole.Child && _served.TryGetValue(p.Pid, out var n) ? n : 0;
                var f = smaps is not null && smaps.TryGetValue(p.Pid, out var read) ? read : new SmapsFigures(-1, -1, -1);
                _sink.Sample(new Sample(t, p.Pid, role, p.RssKb, p.VszKb, p.CpuS, p.State, served, f.PssKb, f.UssKb, f.SwapKb));
            }
            _sink.EndTick(t);
        }
    }

    public void OnRequest(in RequestRecord record)
    {
        // the child reports its pid as it sees it (a namespace pid under php-fpm's PID namespace)
        var r = record.Pid == 0 ? record : record with { Pid = MapPid(record.Pid) };
        lock (_gate)
        {
            if (r.Pid != 0 && r.Status is RequestStatus.Ok or RequestStatus.MemoryLimit)
                _served[r.Pid] = _served.TryGetValue(r.Pid, out var n) ? n + 1 : 1;
            _sink.Request(r);
        }
    }

    /// <summary>One line of the master's log: into fpm.log (at the scenario's level) and, read back into a fact, to the follower that makes the events.</summary>
    public void OnLogLine(string raw)
    {
        double t = _clock.Now;
        var line = FpmLogParser.ParseLine(raw);
        lock (_gate)
        {
            if (line is null)
            {
                if (raw.Length > 0) _sink.RawLog(raw);
                return;
            }
            if (line.Level >= _logLevel)
                _sink.RawLog(_logLevel == FpmLogLevel.Debug ? line.Raw : FpmLogParser.AsNoticeLevel(line));
            _follower.On(t, FpmLogParser.Classify(line.Message), line.Level);
        }
    }
}
