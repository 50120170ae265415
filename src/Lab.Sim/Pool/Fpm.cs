using Lab.Core.Events;
using Lab.Core.Logging;
using Lab.Core.ProcessManager;
using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.Core.Sockets;
using Lab.Core.Status;
using Lab.Sim.Engine;
using Lab.Sim.Load;

namespace Lab.Sim.Pool;

/// <summary>
/// The php-fpm instance in virtual time: the master, its one pool's children, the listening
/// socket's queue and the scoreboard. A driver of Lab.Core's rules: every decision — the process
/// manager (ProcessManagerPolicy), process control (ProcessControl: reload, finish, terminate,
/// the SIGQUIT → SIGTERM → SIGKILL ladder, a child's burial, emergency restarts), the request
/// timeouts (RequestTimeouts), the listen queue (ListenBacklog), recycling (Recycling: pm.max_requests and the [recycle] rules) — is
/// the core's; this model carries them out in virtual time and writes php-fpm's lines
/// (FpmMessages), whose facts become the run's events through the same FpmLogFollower the real
/// engines use. Split over files by concern, as php-src sapi/fpm is: FpmMaster.cs (fpm.c,
/// fpm_process_ctl.c: start, heartbeats, process control), ProcessManager.cs (idle server
/// maintenance and ondemand), Children.cs (fpm_children.c: fork, signals, bury),
/// RequestHandling.cs (fpm_request.c and the child's request loop), Recycle.cs (recycling), Actions.cs (the scenario's
/// actions), and this file (state, logging, sampling, the status page).
/// </summary>
internal sealed partial class Fpm : ISimHandler
{
    internal const int SIGQUIT = 3, SIGKILL = 9, SIGUSR2 = 12, SIGTERM = 15, SIGCONT = 18, SIGSTOP = 19;

    // master timer events (the child's own events are handled through the Child)
    private const int EventMaintenance = 10, EventRequestHeartbeat = 11, EventProcessControlTimer = 12, EventAction = 13, EventMasterStart = 15;

    private readonly Simulation _sim;
    private readonly IRunSink _sink;
    private readonly Scenario _scenario;
    private readonly MemoryModel _mem;
    private readonly FpmLogLevel _logLevel;
    private readonly ISimObserver? _observer;
    private readonly DateTime _epochUtc;
    private readonly string _docRoot;
    private readonly long _spawnUs;
    private readonly long _coldStartUs;
    private readonly long _wakeupUs;
    private readonly long _startSpreadUs;
    /// <summary>This pool's seed for the master's own draws (memory.exit_time): the scenario's, plus the pool's index.</summary>
    private readonly ulong _seed;
    /// <summary>Children woken in accept() and not yet running, in the order they were woken.</summary>
    private readonly List<Child> _waking = new();
    private readonly FpmLogFollower _follower;
    private readonly Recycling _recycling;
    /// <summary>A refused connection's status as the scenario's client sees it (ListenBacklog.RefusedStatus).</summary>
    private readonly int _refused;

    private PoolSettings _pool;
    private ProcessManagerPolicy _policy;
    private ProcessControl _control;
    private Scoreboard _scoreboard;
    private readonly ListenQueue _queue;

    private int _nextPid;
    private int _masterPid;
    private int _masterGen;
    private bool _down = true;

    /// <summary>Live children (forked and not yet reaped), in fork order.</summary>
    private readonly List<Child> _children = new();
    private Child? _idleHead, _idleTail;
    private int _idleCount, _activeCount;
    private readonly List<ChildView> _views = new();

    /// <param name="index">Which of the scenario's pools this is (pool.pools; 0 for the only one): its settings are scenario.Pool.PoolOf(index), its PIDs start at 1000 + index × 100000.</param>
    public Fpm(Simulation sim, Scenario scenario, IRunSink sink, DateTime epochUtc, ISimObserver? observer, int index = 0)
    {
        _sim = sim;
        _sink = sink;
        _scenario = scenario;
        _mem = scenario.Memory;
        _logLevel = scenario.LogLevel;
        _observer = observer;
        _epochUtc = epochUtc;
        _pool = scenario.Pool.PoolOf(index);
        _nextPid = 1000 + index * 100_000;
        _policy = new ProcessManagerPolicy(_pool);
        _control = new ProcessControl(_pool);
        _scoreboard = new Scoreboard(0);
        _queue = new ListenQueue(ListenBacklog.UnixCapacity(_pool.ListenBacklog));
        _docRoot = (scenario.Php.Root ?? "/lab/php").TrimEnd('/');
        _spawnUs = Math.Max(0, Simulation.FromTimeSpan(_mem.SpawnTime));
        _coldStartUs = Math.Max(0, Simulation.FromTimeSpan(_mem.ColdStart));
        _wakeupUs = Math.Max(0, Simulation.FromTimeSpan(_mem.AcceptWakeup));
        _startSpreadUs = Math.Max(0, Simulation.FromTimeSpan(_mem.StartSpread));
        _follower = new FpmLogFollower(e => _sink.Event(e), _pool);
        _refused = ListenBacklog.RefusedStatus(scenario.Front);
        _seed = scenario.Seed + (ulong)index;
        _recycling = new Recycling(scenario.Recycle, _seed);
    }

    /// <summary>The client side, set by the engine before the run starts.</summary>
    public LoadDriver Load { get; set; } = null!;

    public int MasterPid => _masterPid;
    /// <summary>No master runs (before the start, after a stop).</summary>
    public bool Down => _down;

    private double T => Simulation.ToSeconds(_sim.Now);

    private bool Logs(FpmLogLevel level) => level >= _logLevel;

    /// <summary>
    /// php-fpm writes a line: into fpm.log when its level passes log_level, and — whatever the
    /// level, as the real engines run php-fpm at debug — to the follower that makes the events.
    /// </summary>
    private void Emit(FpmLogLevel level, in FpmLogFact fact)
    {
        if (level >= _logLevel) _sink.Log(T, level, fact.Message);
        _follower.On(T, fact, level);
    }

    private void Emit(in CoreLog line) => Emit(line.Level, line.Fact);

    /// <summary>An event of the lab itself (its actions), not of php-fpm's log.</summary>
    private void LabEvent(in PoolEvent e) => _sink.Event(e);

    public void Handle(Simulation sim, in SimEvent e)
    {
        switch (e.Kind)
        {
            case EventMaintenance: OnMaintenanceHeartbeat(e.Target); break;
            case EventRequestHeartbeat: OnRequestHeartbeat(e.Target); break;
            case EventProcessControlTimer: OnProcessControlTimer(e.Target, e.Token); break;
            case EventAction: RunAction(_scenario.Actions[e.Target]); break;
            case EventRecycleCheck: OnRecycleCheck(e.Target); break;
            case EventMasterStart: if (_down) StartMaster(newProcess: true); break;
        }
    }

    /// <summary>A child's own event (it checked the event is not stale).</summary>
    public void OnChildEvent(Child child, int kind)
    {
        switch (kind)
        {
            case Child.EventReady: OnChildReady(child); break;
            case Child.EventRequestDone: OnRequestDone(child); break;
            case Child.EventQuitDone: OnQuitDone(child); break;
            case Child.EventWoken: OnWoken(child); break;
        }
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
        if (!_down)
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
    /// php-fpm's status page as a scrape at this moment would read it (StatusPage.Counters, the
    /// same fields and rules as the dotnet engine's page): the status request is itself a request,
    /// served by an idle child (it counts in "accepted conn" and makes that child active); the
    /// listen-queue figures are those of a Unix socket (ListenBacklog: 0).
    /// </summary>
    public Dictionary<string, long> Status()
    {
        var statusChild = _down ? null : _idleHead; // the longest waiter accepts the status request
        var slots = new List<SlotSnapshot>(_children.Count);
        foreach (var c in _children)
        {
            var stage = c.Stage == ChildStage.Idle && c != statusChild ? RequestStage.Idle : RequestStage.Running;
            slots.Add(new SlotSnapshot(slots.Count, true, c.Pid, stage, 0, c.ForkedAt * 1000, c.Served, 0, 0, 0, 0, 0, 0, "", "", "", "", ""));
        }
        var snapshot = _scoreboard.Snapshot(_pool, _epochUtc, slots, _down ? 0 : 1, _policy.MaxChildrenReached);
        long nowEpoch = new DateTimeOffset(_epochUtc.AddTicks(_sim.Now * 10), TimeSpan.Zero).ToUnixTimeSeconds();
        return StatusPage.Counters(snapshot, nowEpoch);
    }

    /// <summary>The live children, copied: the list changes while signals are delivered (exits, respawns).</summary>
    private Child[] SnapshotChildren() => _children.ToArray();
}
