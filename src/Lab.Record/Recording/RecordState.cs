using System.Globalization;
using Lab.Core.Events;
using Lab.Core.Logging;
using Lab.Core.Records;
using Lab.Linux.Proc;
using Lab.Results.Reading;
using Lab.Probe;
using Lab.Record.Status;

namespace Lab.Record.Recording;

/// <summary>
/// The bookkeeping of a recording, between what it reads and the results folder: each tick's
/// processes become samples (their requests column from the status page's per-child counters,
/// the lab's own status requests left out), PIDs appearing and vanishing become spawns and exits,
/// the error log's lines become fpm.log and events. An exit is put down to pm.max_requests only
/// when the counters say so: the child's last count plus the requests the pool began that no
/// living child accounts for ("accepted conn" against the children's counters) make exactly
/// pm.max_requests. Calls come from the sampler's thread and the log's; one lock serializes them.
/// </summary>
internal sealed class RecordState
{
    private sealed class Child
    {
        public long OwnStatus;          // the lab's status requests this child has served (finished)
        public long Served;             // requests finished, the lab's own left out
        public bool Known;              // its ProcessInfo was given
    }

    /// <param name="How">As the log said it (code N, signal N); unknown when the child vanished from /proc unlogged.</param>
    private sealed record PendingExit(int Pid, double T, ExitStatus How, bool Logged);

    private readonly object _gate = new();
    private readonly IRunSink _sink;
    private readonly int _masterPid;
    private readonly int _maxRequests;
    private readonly FpmLogLevel _logLevel;
    private readonly Dictionary<int, Child> _children = new();
    private readonly HashSet<int> _alive = new();
    private readonly Dictionary<int, bool> _verdict = new();   // pid → the counters say pm.max_requests (true) or not (false)
    private readonly Dictionary<int, PendingExit> _pending = new();
    private readonly HashSet<int> _exited = new();
    private readonly Dictionary<int, string> _timedOut = new();
    private readonly List<PoolEvent> _events = new();
    private StatusSnapshot? _last;
    private int _statusMisses;
    private bool _firstTick = true;
    private bool _masterKnown;

    /// <param name="statusKnown">Whether a status page is read at all (without one, exits keep an unknown why).</param>
    public RecordState(IRunSink sink, int masterPid, int maxRequests, FpmLogLevel logLevel, bool statusKnown)
    {
        _sink = sink;
        _masterPid = masterPid;
        _maxRequests = maxRequests;
        _logLevel = logLevel;
        StatusKnown = statusKnown;
    }

    public bool StatusKnown { get; }

    /// <summary>The status page's counters at the last successful read (summary.json's pool_status).</summary>
    public IReadOnlyDictionary<string, long>? LastCounters { get { lock (_gate) return _last?.Counters; } }

    /// <summary>Every child PID seen, in order of first sight.</summary>
    public List<int> ChildrenSeen { get; } = new();
    public long Spawns { get; private set; }
    public long Exits { get; private set; }
    public long Recycles { get; private set; }
    /// <summary>The lab's own status requests (read every tick), left out of the requests column.</summary>
    public long OwnStatusRequests { get; private set; }
    /// <summary>The master was not found at the last tick (it exited): the recording ends.</summary>
    public bool MasterGone { get; private set; }

    /// <summary>A status page read, just before the tick's /proc read (null: it failed).</summary>
    public void OnStatus(StatusSnapshot? snapshot, int servedBy)
    {
        lock (_gate)
        {
            if (snapshot is null)
            {
                _statusMisses++;
                return;
            }
            _statusMisses = 0;
            if (_last is { } prev) Attribute(prev, snapshot);
            foreach (var p in snapshot.Processes)
            {
                var c = ChildOf(p.Pid);
                c.Served = Math.Max(0, p.Finished - c.OwnStatus);
            }
            // this very request is counted from the next read on, when it is finished
            if (servedBy > 0)
            {
                ChildOf(servedBy).OwnStatus++;
                OwnStatusRequests++;
            }
            _last = snapshot;
        }
    }

    /// <summary>
    /// The children that left the status page between two reads: the requests the pool began in
    /// between ("accepted conn") that the living children's counters do not account for were
    /// theirs. When that completes each one's count to exactly pm.max_requests, they were recycled.
    /// </summary>
    private void Attribute(StatusSnapshot prev, StatusSnapshot cur)
    {
        var now = cur.Processes.ToDictionary(p => p.Pid);
        var gone = prev.Processes.Where(p => !now.ContainsKey(p.Pid)).ToList();
        if (gone.Count == 0) return;
        bool known = _maxRequests > 0 && prev.AcceptedConn >= 0 && cur.AcceptedConn >= 0;
        if (known)
        {
            var before = prev.Processes.ToDictionary(p => p.Pid);
            long living = 0;
            foreach (var p in cur.Processes) living += before.TryGetValue(p.Pid, out var b) ? p.Requests - b.Requests : p.Requests;
            long unaccounted = cur.AcceptedConn - prev.AcceptedConn - living;
            long toMax = gone.Sum(g => _maxRequests - g.Requests);
            known = unaccounted == toMax;
        }
        foreach (var g in gone) _verdict[g.Pid] = known;
    }

    /// <summary>One tick's processes (the master and its descendants), with PSS/USS/swap where read this tick.</summary>
    public void OnTick(double t, IReadOnlyList<ProcSample> procs, IReadOnlyDictionary<int, SmapsFigures>? smaps)
    {
        lock (_gate)
        {
            var now = new HashSet<int>();
            bool master = false;
            foreach (var p in procs)
            {
                if (p.State == 'Z' || p.RssKb == 0) continue; // exiting: its memory is gone (as RunState does)
                bool isMaster = p.Pid == _masterPid;
                master |= isMaster;
                var role = isMaster ? ProcessRole.Master : ProcessRole.Child;
                if (!isMaster) now.Add(p.Pid);
                var c = ChildOf(p.Pid);
                if (!c.Known)
                {
                    c.Known = true;
                    _sink.Process(new ProcessInfo(p.Pid, role, Proc.UserName(p.Pid), Proc.CommandLine(p.Pid), p.StartS, p.Ppid));
                    if (!isMaster)
                    {
                        ChildrenSeen.Add(p.Pid);
                        if (!_firstTick)
                        {
                            Spawns++;
                            _events.Add(PoolEvent.Spawn(Math.Max(0, p.StartS), p.Pid, SpawnCause.Appeared));
                        }
                    }
                    else if (!_masterKnown)
                    {
                        _masterKnown = true;
                        if (_firstTick) _events.Add(PoolEvent.Of(0, PoolEventKind.Start, p.Pid, "master (running before the recording)"));
                    }
                }
                long requests = isMaster ? 0 : c.Served;
                var f = smaps is not null && smaps.TryGetValue(p.Pid, out var s) ? s : new SmapsFigures(-1, -1, -1);
                _sink.Sample(new Sample(t, p.Pid, role, p.RssKb, p.VszKb, p.CpuS, p.State, requests, f.PssKb, f.UssKb, f.SwapKb));
            }
            foreach (int pid in _alive)
                if (!now.Contains(pid) && !_exited.Contains(pid) && !_pending.ContainsKey(pid))
                    _pending[pid] = new PendingExit(pid, t, ExitStatus.Unknown, Logged: false);
            _alive.Clear();
            _alive.UnionWith(now);
            ResolveExits(final: false);
            Flush();
            _sink.EndTick(t);
            _firstTick = false;
            MasterGone = !master;
        }
    }

    /// <summary>Emits the exits whose why is known (or cannot be known any more).</summary>
    private void ResolveExits(bool final)
    {
        foreach (var e in _pending.Values.ToList())
        {
            bool decided = _verdict.TryGetValue(e.Pid, out bool recycled);
            // without the status page (or after it failed twice), the why stays unknown
            if (!decided && !final && StatusKnown && _statusMisses < 2) continue;
            _pending.Remove(e.Pid);
            _exited.Add(e.Pid);
            Exits++;
            ExitCause why;
            if (e.How.Signaled)
            {
                // Lab.Core's rule: a signal nobody announced (request_terminate_timeout did) is a crash
                why = FpmLogFollower.Classify(e.How, _timedOut.Remove(e.Pid) ? ExitCause.Timeout : ExitCause.None, ExitCause.None, 0);
                if (FpmLogFollower.IsCrash(e.How, why)) _events.Add(PoolEvent.Crash(e.T, e.Pid, e.How));
            }
            else why = !decided ? (e.Logged ? ExitCause.Unknown : ExitCause.Gone)
                : recycled ? ExitCause.MaxRequests : e.How == ExitStatus.Code(0) ? ExitCause.Exit : ExitCause.Unknown;
            if (why == ExitCause.MaxRequests) Recycles++;
            _events.Add(PoolEvent.Exit(e.T, e.Pid, e.How, why));
        }
    }

    /// <summary>One line of the master's error log: into fpm.log (at its level) and events.</summary>
    public void OnLogLine(double t, string raw)
    {
        var line = FpmLogParser.ParseLine(raw);
        lock (_gate)
        {
            if (line is null)
            {
                if (raw.Length > 0) _sink.RawLog(raw);
                return;
            }
            if (line.Level >= _logLevel) _sink.RawLog(raw);
            var f = FpmLogParser.Classify(line.Message);
            switch (f.Kind)
            {
                case FpmLogKind.ChildExitedCode:
                    Exited(f.Pid, t, ExitStatus.Code(f.Code));
                    break;
                case FpmLogKind.ChildExitedSignal:
                    Exited(f.Pid, t, ExitStatus.Signal(f.Signal));
                    break;
                case FpmLogKind.ExecutionTimedOut:
                    _timedOut[f.Pid] = "timeout";
                    _events.Add(PoolEvent.Of(t, PoolEventKind.Timeout, f.Pid, "after " + FpmMessages.Seconds(f.Seconds) + " s"));
                    break;
                case FpmLogKind.MaxChildrenReached:
                    _events.Add(PoolEvent.Of(t, PoolEventKind.MaxChildren, _masterPid, "max_children " + f.N.ToString(CultureInfo.InvariantCulture)));
                    break;
                case FpmLogKind.ChildStderr when f.N > 0 && f.M > 0: // PHP's memory_limit fatal error, as Lab.Core's follower reads it
                    _events.Add(PoolEvent.Of(t, PoolEventKind.MemoryLimit, f.Pid, string.Create(CultureInfo.InvariantCulture, $"tried {f.M} bytes;limit {f.N} bytes")));
                    break;
                case FpmLogKind.Reloading:
                    _events.Add(PoolEvent.Of(t, PoolEventKind.Reload, _masterPid, "the pool's own (SIGUSR2)"));
                    break;
            }
        }
    }

    private void Exited(int pid, double t, ExitStatus how)
    {
        if (_exited.Contains(pid)) return;
        // the log's exit is the exact moment and how; a vanishing already noted is replaced
        _pending[pid] = new PendingExit(pid, t, how, Logged: true);
    }

    /// <summary>The events of the tick, in time order.</summary>
    private void Flush()
    {
        _events.Sort((a, b) => a.T.CompareTo(b.T));
        foreach (var e in _events) _sink.Event(e);
        _events.Clear();
    }

    /// <summary>At the end: what is still pending is written with what is known.</summary>
    public void Finish()
    {
        lock (_gate)
        {
            ResolveExits(final: true);
            Flush();
        }
    }

    private Child ChildOf(int pid)
    {
        if (!_children.TryGetValue(pid, out var c)) _children[pid] = c = new Child();
        return c;
    }
}
