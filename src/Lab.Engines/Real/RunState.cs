using System.Globalization;
using Lab.Core.Logging;
using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.Core.Time;
using Lab.Engines.Logs;
using Lab.Load;
using Lab.Probe;

namespace Lab.Engines.Real;

/// <summary>
/// The bookkeeping of a real run: it serializes every call to the sink (samples from the
/// sampler thread, requests from the load driver's threads, log lines from the master's pipe),
/// turns php-fpm's log lines into events (with the why of each exit), counts the requests each
/// PID served, and keeps the last tick for the kill-child selector and the memory guard.
/// </summary>
public sealed class RunState : ILoadObserver
{
    private readonly object _gate = new();
    private readonly IRunSink _sink;
    private readonly RunClock _clock;
    private readonly FpmLogLevel _logLevel;
    private readonly Dictionary<int, long> _served = new();
    private readonly HashSet<int> _known = new();
    private readonly Dictionary<int, string> _pendingWhy = new();
    private IReadOnlyList<ProcSample> _lastTick = [];
    private int _masterPid;
    private string? _masterStopping; // "restart" | "shutdown" | "reload"

    public RunState(IRunSink sink, RunClock clock, Scenario scenario)
    {
        _sink = sink;
        _clock = clock;
        _logLevel = scenario.LogLevel;
        Pool = scenario.Pool;
    }

    /// <summary>The pool settings in force (they change on reload).</summary>
    public PoolSettings Pool { get; set; }
    public Func<int, int> MapPid { get; set; } = p => p;

    public IReadOnlyList<ProcSample> LastTick { get { lock (_gate) return _lastTick; } }
    public int MasterPid { get { lock (_gate) return _masterPid; } }

    public long Served(int pid) { lock (_gate) return _served.TryGetValue(pid, out var n) ? n : 0; }

    /// <summary>Marks the reason the next exit of pid will have (a kill-child, a timeout, ...).</summary>
    public void ExpectExit(int pid, string why) { lock (_gate) _pendingWhy[pid] = why; }

    /// <summary>The master is being stopped for this reason: exits of its children carry it.</summary>
    public void MasterStopping(string? why) { lock (_gate) _masterStopping = why; }

    public void Event(string name, int pid, string detail)
    {
        lock (_gate) _sink.Event(new PoolEvent(_clock.Now, name, pid, detail));
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

    /// <summary>One line of the master's log: into fpm.log (at the scenario's level) and into events.</summary>
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
            var f = FpmLogParser.Classify(line.Message);
            int pid = f.Pid == 0 ? 0 : MapPid(f.Pid);
            switch (f.Kind)
            {
                case FpmLogKind.MasterStarted:
                    _masterPid = pid;
                    _masterStopping = null;
                    _sink.Event(new PoolEvent(t, EventNames.Start, pid, "master"));
                    break;
                case FpmLogKind.Exiting:
                    _sink.Event(new PoolEvent(t, EventNames.Stop, _masterPid, _masterStopping ?? "shutdown"));
                    break;
                case FpmLogKind.Reloading:
                    _masterStopping = "reload";
                    break;
                case FpmLogKind.Ready:
                    if (_masterStopping == "reload") _masterStopping = null;
                    break;
                case FpmLogKind.ChildStarted:
                    _sink.Event(new PoolEvent(t, EventNames.Spawn, pid, ""));
                    break;
                case FpmLogKind.ChildExitedCode:
                    _sink.Event(new PoolEvent(t, EventNames.Exit, pid, $"code {f.Code};{WhyCode(pid, f.Code)}"));
                    break;
                case FpmLogKind.ChildKilledByPm:
                    _pendingWhy.Remove(pid);
                    _sink.Event(new PoolEvent(t, EventNames.Exit, pid, "code 0;idle"));
                    break;
                case FpmLogKind.ChildExitedSignal:
                {
                    string why = WhySignal(pid, f.Signal);
                    if (why is "crash" or "kill-child")
                        _sink.Event(new PoolEvent(t, EventNames.Crash, pid, $"signal {f.Signal} ({FpmMessages.SignalName(f.Signal)})"));
                    _sink.Event(new PoolEvent(t, EventNames.Exit, pid, $"signal {f.Signal};{why}"));
                    break;
                }
                case FpmLogKind.ExecutionTimedOut:
                    _pendingWhy[pid] = "timeout";
                    _sink.Event(new PoolEvent(t, EventNames.Timeout, pid, string.Create(CultureInfo.InvariantCulture, $"{f.Seconds:0.000} s")));
                    break;
                case FpmLogKind.MaxChildrenReached:
                    _sink.Event(new PoolEvent(t, EventNames.MaxChildren, 0, f.Code.ToString(CultureInfo.InvariantCulture)));
                    break;
                case FpmLogKind.ChildStderr when f.Text.Contains("Allowed memory size", StringComparison.Ordinal):
                    _sink.Event(new PoolEvent(t, EventNames.MemoryLimit, pid, ExtractMemoryMessage(f.Text)));
                    break;
            }
        }
    }

    private string WhyCode(int pid, int code)
    {
        if (_pendingWhy.Remove(pid, out var why)) return why;
        if (_masterStopping is { } stopping) return stopping;
        if (code == 0 && Pool.MaxRequests > 0) return "max_requests";
        return code == 0 ? "exit" : "error";
    }

    private string WhySignal(int pid, int signal)
    {
        if (_pendingWhy.Remove(pid, out var why)) return why;
        if (_masterStopping is { } stopping) return stopping;
        return "crash";
    }

    private static string ExtractMemoryMessage(string text)
    {
        int i = text.IndexOf("Allowed memory size", StringComparison.Ordinal);
        string s = text[i..];
        int end = s.IndexOf(')');
        return end > 0 ? s[..(end + 1)] : s;
    }
}
