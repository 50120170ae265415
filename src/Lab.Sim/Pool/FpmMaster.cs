using Lab.Core.Logging;
using Lab.Core.ProcessManager;
using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.Sim.Engine;

namespace Lab.Sim.Pool;

// The master (php-src fpm.c, fpm_process_ctl.c): start-up, the heartbeats, and the process-control
// state machine of SIGUSR2 (reload) and SIGTERM (terminate).
internal sealed partial class Fpm
{
    /// <summary>FPM_IDLE_SERVER_MAINTENANCE_HEARTBEAT: the process manager runs once a second.</summary>
    private const long MaintenanceHeartbeatUs = 1_000_000;
    /// <summary>FPM_PCTL_MIN_HEARTBEAT: the request-timeout heartbeat is never shorter than 130 ms.</summary>
    private const long MinRequestHeartbeatUs = 130_000;
    /// <summary>process_control_timeout, as Lab.Core's FpmConfig renders it for the real engines (10s).</summary>
    private const long ProcessControlTimeoutUs = 10_000_000;

    private PoolSettings? _reloadPool;
    /// <summary>This master's request-timeout heartbeat (µs; 0: none), from its pool settings.</summary>
    private long _requestHeartbeatUs;
    private int _signalSent;
    private string _terminateWhy = "shutdown";

    /// <summary>The scenario's actions become timers; the master starts at the current time (t = 0).</summary>
    public void Start()
    {
        for (int i = 0; i < _scenario.Actions.Count; i++)
            _sim.ScheduleAt(Simulation.FromTimeSpan(_scenario.Actions[i].At), this, EventAction, i);
        StartMaster(newProcess: true);
    }

    /// <summary>
    /// fpm_init + fpm_run: "fpm is running", the initial children (fpm_children_create_initial,
    /// logged at DEBUG), "ready to handle connections", the heartbeats. A reload re-executes the
    /// same pid (newProcess = false): the listening socket and its queue are inherited.
    /// </summary>
    private void StartMaster(bool newProcess)
    {
        if (newProcess)
        {
            _masterPid = _nextPid++;
            _policy = new ProcessManagerPolicy(_pool);
            _sink.Process(new ProcessInfo(_masterPid, ProcessRole.Master, "root", SimMessages.MasterCommand, T));
            Event(EventNames.Start, _masterPid, Describe(_pool));
        }
        _masterGen++;
        _state = FpmState.Normal;
        _signalSent = 0;
        _scoreboard = new Scoreboard(_sim.Now, _pool.ListenBacklog);
        _queue.Capacity = _pool.ListenBacklog;

        Log(FpmLogLevel.Notice, FpmMessages.FpmIsRunning(_masterPid));
        for (int i = 0; i < _pool.InitialChildren; i++) Fork("initial", debug: true);
        Log(FpmLogLevel.Notice, FpmMessages.ReadyToHandle);

        _sim.Schedule(MaintenanceHeartbeatUs, this, EventMaintenance, _masterGen);
        _requestHeartbeatUs = RequestHeartbeatUs(_pool);
        if (_requestHeartbeatUs > 0) _sim.Schedule(_requestHeartbeatUs, this, EventRequestHeartbeat, _masterGen);
    }

    private static string Describe(PoolSettings p) =>
        FormattableString.Invariant($"pm={p.Pm.ToString().ToLowerInvariant()} max_children={p.MaxChildren} max_requests={p.MaxRequests}");

    /// <summary>
    /// fpm_conf: the request-timeout heartbeat is a third of the smallest of request_terminate_timeout
    /// and request_slowlog_timeout (ms), at least 130 ms; none when both are off.
    /// </summary>
    private static long RequestHeartbeatUs(PoolSettings p)
    {
        long ms = 0;
        foreach (long timeout in (ReadOnlySpan<long>)[WholeSeconds(p.RequestTerminateTimeout), WholeSeconds(p.RequestSlowlogTimeout)])
            if (timeout > 0) ms = ms == 0 ? timeout * 1000 / 3 : Math.Min(ms, timeout * 1000 / 3);
        return ms == 0 ? 0 : Math.Max(ms * 1000, MinRequestHeartbeatUs);
    }

    /// <summary>php-fpm's timeouts are whole seconds; Lab.Core's FpmConfig rounds up when it renders them.</summary>
    private static long WholeSeconds(TimeSpan t) => t <= TimeSpan.Zero ? 0 : (long)Math.Ceiling(t.TotalSeconds - 1e-9);

    private void OnMaintenanceHeartbeat(int gen)
    {
        if (gen != _masterGen) return; // a master that is gone (or re-executed)
        _sim.Schedule(MaintenanceHeartbeatUs, this, EventMaintenance, gen);
        // fpm_pctl_perform_idle_server_maintenance_heartbeat: only while fpm_pctl_can_spawn_children
        if (_state == FpmState.Normal) PerformIdleServerMaintenance();
    }

    private void OnRequestHeartbeat(int gen)
    {
        if (gen != _masterGen) return;
        _sim.Schedule(_requestHeartbeatUs, this, EventRequestHeartbeat, gen);
        CheckRequestTimeouts(); // fpm_pctl_check_request_timeout runs in every state
    }

    /// <summary>SIGUSR2: "Reloading in progress ...", SIGQUIT to every child, re-exec when the last one is gone.</summary>
    private void Reload(PoolSettings? newPool)
    {
        if (_state != FpmState.Normal) return; // php-fpm ignores it while reloading or terminating
        Log(FpmLogLevel.Notice, FpmMessages.Reloading);
        _state = FpmState.Reloading;
        _reloadPool = newPool;
        PctlActionNext();
    }

    /// <summary>SIGTERM: "Terminating ...", SIGTERM to every child, "exiting, bye-bye!" when the last one is gone.</summary>
    public void Terminate(string why)
    {
        if (_state is FpmState.Down or FpmState.Terminating) return;
        Log(FpmLogLevel.Notice, FpmMessages.Terminating);
        _state = FpmState.Terminating;
        _terminateWhy = why;
        _signalSent = 0;
        PctlActionNext();
    }

    /// <summary>
    /// fpm_pctl_action_next: if no child is left, the last action; else signal every child
    /// (SIGQUIT on reload, SIGTERM on terminate; then SIGTERM, then SIGKILL) and arm
    /// process_control_timeout (then 1 s) for the next step.
    /// </summary>
    private void PctlActionNext()
    {
        if (_children.Count == 0) { PctlActionLast(); return; }
        int sig = _signalSent == 0 ? (_state == FpmState.Terminating ? SIGTERM : SIGQUIT)
                : _signalSent == SIGQUIT ? SIGTERM : SIGKILL;
        long timeout = _signalSent == 0 ? ProcessControlTimeoutUs : 1_000_000;
        _signalSent = sig;
        int gen = _masterGen;
        string why = _state == FpmState.Reloading ? "reload" : _terminateWhy;
        var children = SnapshotChildren();
        foreach (var c in children)
        {
            if (Logs(FpmLogLevel.Debug)) Log(FpmLogLevel.Debug, SimMessages.SendingSignal(_pool.Name, sig, c.Pid));
            SendSignal(c, sig, why, external: false);
        }
        // the last child's exit may already have ended this state (re-exec or exit)
        if (gen == _masterGen && _state is FpmState.Reloading or FpmState.Terminating)
        {
            if (Logs(FpmLogLevel.Debug) && _children.Count > 0) Log(FpmLogLevel.Debug, SimMessages.ChildrenStillAlive(_children.Count));
            _sim.Schedule(timeout, this, EventProcessControlTimeout, gen);
        }
    }

    private void OnProcessControlTimeout(int gen)
    {
        if (gen != _masterGen || _state is FpmState.Normal or FpmState.Down) return;
        PctlActionNext();
    }

    /// <summary>fpm_pctl_child_exited: in a reload or terminate, the last child gone triggers the last action.</summary>
    private void PctlChildExited()
    {
        if (_state is FpmState.Reloading or FpmState.Terminating && _children.Count == 0) PctlActionLast();
    }

    /// <summary>fpm_pctl_action_last: re-exec on reload (fpm_pctl_exec), exit on terminate (fpm_pctl_exit).</summary>
    private void PctlActionLast()
    {
        if (_state == FpmState.Reloading) Exec();
        else if (_state == FpmState.Terminating) MasterExit();
    }

    /// <summary>The master re-executes itself with the (maybe changed) configuration: same pid, inherited socket.</summary>
    private void Exec()
    {
        Log(FpmLogLevel.Notice, SimMessages.ReloadingExecvp);
        if (_reloadPool is not null) _pool = _reloadPool;
        _reloadPool = null;
        _policy.Reset(_pool);
        Event(EventNames.Reload, _masterPid, Describe(_pool));
        StartMaster(newProcess: false);
    }

    /// <summary>
    /// The master exits: its listening socket closes, so the connections still waiting in the
    /// backlog are reset (502, no child saw them). A restart starts a new master at once.
    /// </summary>
    private void MasterExit()
    {
        while (_queue.Count > 0) Load.Answer(_queue.Dequeue(), RequestStatus.ChildDied, 0);
        Log(FpmLogLevel.Notice, FpmMessages.ExitingByeBye);
        Event(EventNames.Stop, _masterPid, _terminateWhy);
        _state = FpmState.Down;
        _masterGen++;
        if (_terminateWhy == "restart") StartMaster(newProcess: true);
    }
}
