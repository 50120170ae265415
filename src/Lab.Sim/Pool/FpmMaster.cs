using Lab.Core.Logging;
using Lab.Core.ProcessManager;
using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.Core.Sockets;
using Lab.Sim.Engine;

namespace Lab.Sim.Pool;

// The master (php-src fpm.c, fpm_events.c, fpm_process_ctl.c): start-up, the heartbeats, the
// master's signals, and carrying out Lab.Core's ProcessControl: the SIGQUIT → SIGTERM → SIGKILL
// ladder on its timer, the re-execution of a reload, the exit of a stop.
internal sealed partial class Fpm
{
    /// <summary>FPM_IDLE_SERVER_MAINTENANCE_HEARTBEAT: the process manager runs once a second.</summary>
    private const long MaintenanceHeartbeatUs = 1_000_000;

    private PoolSettings? _reloadPool;
    /// <summary>This master's request-timeout heartbeat (µs), from its pool settings (RequestTimeouts.HeartbeatMs).</summary>
    private long _requestHeartbeatUs;
    /// <summary>Bumped each time the process-control timer is armed: a stale firing is recognised.</summary>
    private int _pctlTimer;

    /// <summary>The scenario's actions become timers; the master starts now (t = 0), or at memory.master_start.</summary>
    public void Start()
    {
        for (int i = 0; i < _scenario.Actions.Count; i++)
            _sim.ScheduleAt(Simulation.FromTimeSpan(_scenario.Actions[i].At), this, EventAction, i);
        long at = Simulation.FromTimeSpan(_mem.MasterStart);
        if (at > 0) _sim.ScheduleAt(at, this, EventMasterStart, 0);
        else StartMaster(newProcess: true);
    }

    /// <summary>
    /// fpm_init + fpm_run: the configuration's notices, "fpm is running", the initial children
    /// (fpm_children_create_initial, logged at DEBUG), "ready to handle connections", the
    /// heartbeats. A reload re-executes the same pid (newProcess = false): the listening socket
    /// and its queue are inherited ("using inherited socket").
    /// </summary>
    private void StartMaster(bool newProcess)
    {
        if (newProcess)
        {
            _masterPid = _nextPid++;
            _policy = new ProcessManagerPolicy(_pool);
            _control = new ProcessControl(_pool);
            _sink.Process(new ProcessInfo(_masterPid, ProcessRole.Master, "root", FpmMessages.MasterCommand, T));
        }
        else Emit(FpmLogLevel.Notice, FpmLogFact.UsingInheritedSocket(7, "/run/php/php8.2-fpm.sock"));
        _masterGen++;
        _down = false;
        _follower.Pool = _pool;
        _scoreboard = new Scoreboard(_sim.Now);
        _queue.Capacity = ListenBacklog.UnixCapacity(_pool.ListenBacklog);

        if (_pool.Pm == ProcessManagerStyle.Dynamic && _pool.StartServersSetting is null)
            Emit(FpmLogLevel.Notice, FpmLogFact.StartServersNotSet(_pool.Name, _pool.StartServers));
        Emit(FpmLogLevel.Notice, FpmLogFact.MasterStarted(_masterPid));
        for (int i = 0; i < _pool.InitialChildren; i++) Fork(debug: true, initial: true);
        _requestHeartbeatUs = RequestTimeouts.HeartbeatMs(_pool) * 1000L;
        Emit(FpmLogLevel.Debug, FpmLogFact.HeartbeatSetUp(_requestHeartbeatUs / 1000));
        Emit(FpmLogLevel.Notice, FpmLogFact.Ready);

        _sim.Schedule(MaintenanceHeartbeatUs, this, EventMaintenance, _masterGen);
        _sim.Schedule(_requestHeartbeatUs, this, EventRequestHeartbeat, _masterGen);
        StartRecycleCheck();
    }

    private void OnMaintenanceHeartbeat(int gen)
    {
        if (gen != _masterGen) return; // a master that is gone (or re-executed)
        _sim.Schedule(MaintenanceHeartbeatUs, this, EventMaintenance, gen);
        // fpm_pctl_perform_idle_server_maintenance_heartbeat: only while fpm_pctl_can_spawn_children
        if (_control.CanSpawn) PerformIdleServerMaintenance();
    }

    private void OnRequestHeartbeat(int gen)
    {
        if (gen != _masterGen) return;
        _sim.Schedule(_requestHeartbeatUs, this, EventRequestHeartbeat, gen);
        CheckRequestTimeouts(); // fpm_pctl_check_request_timeout runs in every state
    }

    /// <summary>
    /// A signal reaches the master (fpm_got_signal): SIGTERM/SIGINT terminate, SIGQUIT finish,
    /// SIGUSR2 reload — "received SIG..." (DEBUG), php-fpm's NOTICE, then process control.
    /// <paramref name="newPool"/>: the configuration a reload re-reads.
    /// </summary>
    public void Signal(int signal, PoolSettings? newPool = null)
    {
        if (_down || ProcessControl.ForSignal(signal) is not { } request) return;
        Emit(FpmLogLevel.Debug, FpmLogFact.ReceivedSignal(signal));
        Emit(FpmLogLevel.Notice, request.Notice);
        if (request.State == PctlState.Reloading && _control.State == PctlState.Normal)
        {
            _reloadPool = newPool;
            if (newPool is not null) _follower.Pool = newPool;
        }
        CarryOut(_control.Set(request.State, _children.Count));
    }

    /// <summary>
    /// Carries out a process-control decision: its lines; the signal to every child
    /// (fpm_pctl_kill_all: each "sending signal" line, then "N child(ren) still alive") and the
    /// timer — the children act on the signal after that, as they would after php-fpm's loop pass
    /// (an exit may end the reload or stop at once); or the last action.
    /// </summary>
    private void CarryOut(in PctlAction action)
    {
        foreach (var line in action.Logs) Emit(line);
        if (action.SignalAll != 0)
        {
            var children = SnapshotChildren();
            foreach (var c in children) Emit(FpmLogLevel.Debug, FpmLogFact.SendingSignal(_pool.Name, action.SignalAll, c.Pid));
            if (children.Length > 0) Emit(FpmLogLevel.Debug, FpmLogFact.ChildrenStillAlive(children.Length));
            if (action.TimerSeconds >= 0)
                _sim.Schedule(action.TimerSeconds * Simulation.TicksPerSecond, this, EventProcessControlTimer, _masterGen, ++_pctlTimer);
            foreach (var c in children) SendSignal(c, action.SignalAll);
            return;
        }
        if (action.TimerSeconds >= 0)
            _sim.Schedule(action.TimerSeconds * Simulation.TicksPerSecond, this, EventProcessControlTimer, _masterGen, ++_pctlTimer);
        switch (action.Last)
        {
            case PctlLast.Exec: Exec(); break;
            case PctlLast.Exit: MasterExit(); break;
        }
    }

    private void OnProcessControlTimer(int gen, int timer)
    {
        if (gen != _masterGen || timer != _pctlTimer || _down) return;
        CarryOut(_control.OnTimer(_children.Count));
    }

    /// <summary>fpm_pctl_exec: the master re-executes itself with the (maybe changed) configuration: same pid, inherited socket.</summary>
    private void Exec()
    {
        Emit(FpmLogLevel.Notice, FpmLogFact.ReloadingExecvp(FpmMessages.ExecvpArguments(FpmMessages.Binary,
            [FpmMessages.Binary, "--nodaemonize", "--fpm-config", FpmMessages.ConfigFile])));
        if (_reloadPool is not null) _pool = _reloadPool;
        _reloadPool = null;
        _policy.Reset(_pool);
        _control.Reexec(_pool);
        StartMaster(newProcess: false);
    }

    /// <summary>
    /// fpm_pctl_exit: the master exits; its listening socket closes, so the connections still
    /// waiting in the backlog are reset (502, no child saw them). A restart starts a new master at once.
    /// </summary>
    private void MasterExit()
    {
        while (_queue.Count > 0) Load.Answer(_queue.Dequeue(), RequestStatus.ChildDied, 0);
        Emit(FpmLogLevel.Notice, FpmLogFact.Exiting);
        _down = true;
        _masterGen++;
        if (_restarting)
        {
            _restarting = false;
            StartMaster(newProcess: true);
        }
    }

    /// <summary>The lab ends the master (the run's end): SIGTERM.</summary>
    public void Terminate()
    {
        _follower.MasterStopping(ExitCause.Shutdown);
        Signal(SIGTERM);
    }
}
