using Lab.Core.Logging;
using Lab.Core.ProcessManager;
using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.Sim.Engine;
using Lab.Sim.Load;

namespace Lab.Sim.Pool;

/// <summary>php-fpm's process-control states (fpm_process_ctl.c), plus Down: no master at all.</summary>
internal enum FpmState { Normal, Reloading, Terminating, Down }

/// <summary>
/// The php-fpm instance in virtual time: the master, its one pool's children, the listening
/// socket's queue and the scoreboard. Split over files by concern, as php-src sapi/fpm is:
/// FpmMaster.cs (fpm.c, fpm_process_ctl.c: start, reload, terminate, timers),
/// ProcessManager.cs (idle server maintenance and ondemand, through ProcessManagerPolicy),
/// Children.cs (fpm_children.c: fork, signals, bury), RequestHandling.cs (fpm_request.c and the
/// child's request loop: accept, memory_limit, max_requests, timeouts), Actions.cs (the
/// scenario's restart / reload / kill-child), and this file (state, logging, sampling, status).
/// </summary>
internal sealed partial class Fpm : ISimHandler
{
    internal const int SIGQUIT = 3, SIGKILL = 9, SIGUSR2 = 12, SIGTERM = 15;

    // master timer events (the child's own events are handled through the Child)
    private const int EventMaintenance = 10, EventRequestHeartbeat = 11, EventProcessControlTimeout = 12, EventAction = 13;

    private readonly Simulation _sim;
    private readonly IRunSink _sink;
    private readonly Scenario _scenario;
    private readonly MemoryModel _mem;
    private readonly FpmLogLevel _logLevel;
    private readonly ISimObserver? _observer;
    private readonly DateTime _epochUtc;
    private readonly string _docRoot;
    private readonly long _spawnUs;

    private PoolSettings _pool;
    private ProcessManagerPolicy _policy;
    private Scoreboard _scoreboard;
    private readonly ListenQueue _queue;

    private int _nextPid = 1000;
    private int _masterPid;
    private int _masterGen;
    private FpmState _state = FpmState.Down;

    /// <summary>Live children (forked and not yet reaped), in fork order.</summary>
    private readonly List<Child> _children = new();
    private Child? _idleHead, _idleTail;
    private int _idleCount, _activeCount;
    private readonly List<ChildView> _views = new();

    public Fpm(Simulation sim, Scenario scenario, IRunSink sink, DateTime epochUtc, ISimObserver? observer)
    {
        _sim = sim;
        _sink = sink;
        _scenario = scenario;
        _mem = scenario.Memory;
        _logLevel = scenario.LogLevel;
        _observer = observer;
        _epochUtc = epochUtc;
        _pool = scenario.Pool;
        _policy = new ProcessManagerPolicy(_pool);
        _scoreboard = new Scoreboard(0, _pool.ListenBacklog);
        _queue = new ListenQueue(_pool.ListenBacklog);
        _docRoot = (scenario.Php.Root ?? "/lab/php").TrimEnd('/');
        _spawnUs = Math.Max(0, Simulation.FromTimeSpan(_mem.SpawnTime));
    }

    /// <summary>The client side, set by the engine before the run starts.</summary>
    public LoadDriver Load { get; set; } = null!;

    public int MasterPid => _masterPid;
    public FpmState State => _state;

    private double T => Simulation.ToSeconds(_sim.Now);

    private bool Logs(FpmLogLevel level) => level >= _logLevel;

    private void Log(FpmLogLevel level, string message)
    {
        if (level >= _logLevel) _sink.Log(T, level, message);
    }

    private void Event(string name, int pid, string detail) => _sink.Event(new PoolEvent(T, name, pid, detail));

    public void Handle(Simulation sim, in SimEvent e)
    {
        switch (e.Kind)
        {
            case EventMaintenance: OnMaintenanceHeartbeat(e.Target); break;
            case EventRequestHeartbeat: OnRequestHeartbeat(e.Target); break;
            case EventProcessControlTimeout: OnProcessControlTimeout(e.Target); break;
            case EventAction: RunAction(_scenario.Actions[e.Target]); break;
        }
    }

    /// <summary>A child's own event (it checked the event is not stale).</summary>
    public void OnChildEvent(Child child, int kind)
    {
        if (kind == Child.EventReady) OnChildReady(child);
        else if (kind == Child.EventRequestDone) OnRequestDone(child);
    }

    /// <summary>
    /// One sample per live process (master first, then children in fork order); with pss, also
    /// what smaps_rollup would say: a child's USS leaves memory.shared out, its PSS adds its share
    /// of it (shared / (live children + shared_others): the pool pays it once, or less when other
    /// processes map it too); the master's are memory.master_pss.
    /// </summary>
    public void Sample(long now, bool pss)
    {
        double t = Simulation.ToSeconds(now);
        long masterPss = pss ? _mem.MasterPssKb ?? _mem.MasterRssKb : -1;
        if (_state != FpmState.Down)
            _sink.Sample(new Sample(t, _masterPid, ProcessRole.Master, _mem.MasterRssKb, _mem.MasterVszKb, 0, 'S', 0,
                masterPss, masterPss, pss ? 0 : -1));
        // each shared page is divided among the children that touched it and the others that map it
        int touched = 0;
        foreach (var c in _children) if (c.Memory.CodeTouched) touched++;
        double all = _children.Count + _mem.SharedOthers, coders = touched + _mem.SharedOthers;
        foreach (var c in _children)
        {
            long uss = pss ? c.Memory.UssKb(_mem) : -1;
            long share = !pss ? 0 : (long)Math.Round((all > 0 ? _mem.SharedKb / all : 0) + (c.Memory.CodeTouched && coders > 0 ? _mem.SharedCodeKb / coders : 0));
            _sink.Sample(new Sample(t, c.Pid, ProcessRole.Child, c.Memory.RssKb(_mem), c.Memory.VszKb(_mem),
                c.CpuSeconds(now), c.PsState(now), c.Served, pss ? uss + share : -1, uss, pss ? 0 : -1));
        }
    }

    /// <summary>
    /// The status page's counters now (php-fpm's field names). Active processes are, as in
    /// php-fpm's maintenance, the children not idle in accept() (starting ones included); "max
    /// active processes" is the most children serving a request at once.
    /// </summary>
    public Dictionary<string, long> Status() =>
        _scoreboard.Snapshot(_epochUtc, _sim.Now, _queue.Count, _idleCount, _children.Count - _idleCount, _children.Count, _policy.MaxChildrenReached);

    /// <summary>The live children, copied: the list changes while signals are delivered (exits, respawns).</summary>
    private Child[] SnapshotChildren() => _children.ToArray();
}
