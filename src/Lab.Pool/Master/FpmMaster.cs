using System.Globalization;
using System.Runtime.InteropServices;
using Lab.Core.Logging;
using Lab.Core.ProcessManager;
using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.Pool.Code;
using Lab.Pool.Config;
using Lab.Pool.Interop;
using Lab.Pool.Logging;
using Lab.Pool.Status;

namespace Lab.Pool.Master;

/// <summary>How the master was started (command line / environment).</summary>
public sealed record MasterOptions
{
    public required string ConfigPath { get; init; }
    /// <summary>The child executable (Lab.Worker).</summary>
    public required string WorkerPath { get; init; }
    /// <summary>Optional machine-readable events file (see <see cref="EventsFile"/>).</summary>
    public string? EventsPath { get; init; }
    /// <summary>The process that launched the master; when set and no longer our parent, the master does not start.</summary>
    public int ExpectedParentPid { get; init; }
}

/// <summary>
/// The master process ("lab-fpm: master process (CONFIG)"), php-fpm's fpm_main/fpm_events/
/// fpm_children/fpm_process_ctl in one event loop on the main thread:
/// <list type="bullet">
/// <item>the listening socket (inherited by every child as fd 3) and the scoreboard;</item>
/// <item>children spawned with posix_spawn from the main thread (long-lived: PDEATHSIG is per thread),
/// argv[0] "lab-fpm: pool NAME", their stdout/stderr caught through pipes;</item>
/// <item>every process-management decision by Lab.Core's <see cref="ProcessManagerPolicy"/>: the
/// 1 s maintenance heartbeat (dynamic, ondemand idle kills), ondemand's accept watch, respawns;</item>
/// <item>request_terminate_timeout and request_slowlog_timeout checked from the scoreboard;</item>
/// <item>signals: SIGTERM/SIGINT terminate, SIGQUIT finish, SIGUSR2 reload, SIGUSR1 reopen logs.</item>
/// </list>
/// </summary>
public sealed class FpmMaster : IDisposable
{
    private enum State { Running, Reloading, Finishing, Terminating }

    private sealed class ChildProc
    {
        public required int Pid;
        public required int Slot;
        public required Scoreboard Board;
        public required long StartedNs;
        public required int Generation;
        public bool IdleKill;
        /// <summary>Why the master signalled it (reload, shutdown, timeout); null if it did not.</summary>
        public string? Why;
        public long SlowLoggedFor;
        public long TimeoutKilledFor;
    }

    private readonly MasterOptions _options;
    private readonly object _queueGate = new();
    private readonly Queue<Action> _queue = new();
    private readonly Dictionary<int, ChildProc> _children = new();
    private readonly int _pid = Environment.ProcessId;
    private FpmConfiguration _config;
    private FpmLog _log;
    private readonly EventsFile _events;
    private ListenSocket? _listen;
    private Scoreboard? _board;
    private string? _code;
    private readonly List<Scoreboard> _oldBoards = new();
    private readonly ProcessManagerPolicy _policy;
    /// <summary>What every child of the current configuration gets in its environment, but its slot (see <see cref="ChildEnvironment"/>).</summary>
    private List<string> _childEnv = [];
    private ChildOutput? _output;
    private Reaper? _reaper;
    private readonly List<PosixSignalRegistration> _signals = new();
    private System.Runtime.CompilerServices.StrongBox<bool>? _watcherStop;
    private int _generation;
    private State _state = State.Running;
    private int _controlStep;          // 0: first signal sent; 1: SIGTERM sent; 2: SIGKILL sent
    private long _controlDeadlineNs;
    private int _exitCode;
    private bool _exit;
    private int _devNull = -1;

    public FpmMaster(MasterOptions options, FpmConfiguration config)
    {
        _options = options;
        _config = config;
        _log = new FpmLog(config.Global.ErrorLog, config.Global.LogLevel);
        _events = new EventsFile(options.EventsPath);
        _policy = new ProcessManagerPolicy(config.Pool.Settings);
    }

    private PoolSettings Settings => _config.Pool.Settings;
    private string PoolName => Settings.Name;
    private static long NowNs => Native.MonotonicNs();

    /// <summary>Runs the pool until it is terminated; returns the process exit code.</summary>
    public int Run()
    {
        try
        {
            foreach (var n in _config.Notices) _log.Notice(n);
            _devNull = Native.open("/dev/null", Native.O_RDWR | Native.O_CLOEXEC, 0);
            _listen = ListenSocket.Open(_config.Pool);
            _board = CreateScoreboard();
            _code = CreateSharedCode();
            _childEnv = ChildEnvironment(_board);
            WritePidFile();
            _output = new ChildOutput(OnChildOutput);
            _reaper = new Reaper((pid, status) => Post(() => OnChildExited(pid, status)));
            RegisterSignals();
            if (Settings.Pm == ProcessManagerStyle.Ondemand) StartOndemandWatcher();

            SpawnInitialChildren();
            _log.Notice(FpmMessages.FpmIsRunning(_pid));
            _log.Notice(FpmMessages.ReadyToHandle);
            _events.Write(EventNames.Start, _pid, $"pm {StatusPage.PmName(Settings.Pm)};max_children {Settings.MaxChildren};max_requests {Settings.MaxRequests}");
            Loop();
        }
        catch (FpmConfigException e)
        {
            ConfigFailed(e);
            KillAllChildren();
        }
        catch (Exception e)
        {
            _log.Error($"{e.GetType().Name}: {e.Message}");
            _exitCode = 70; // FPM_EXIT_SOFTWARE
            KillAllChildren();
        }
        Cleanup();
        return _exitCode;
    }

    // ---- the event loop ---------------------------------------------------------------------

    private void Post(Action action)
    {
        lock (_queueGate)
        {
            _queue.Enqueue(action);
            Monitor.Pulse(_queueGate);
        }
    }

    private void Loop()
    {
        long nextMaintenance = NowNs + 1_000_000_000L;
        long nextTimeoutCheck = NowNs + TimeoutHeartbeatNs();
        while (!_exit)
        {
            long now = NowNs;
            long wake = Math.Min(nextMaintenance, nextTimeoutCheck);
            if (_controlDeadlineNs > 0) wake = Math.Min(wake, _controlDeadlineNs);
            Action? action = null;
            lock (_queueGate)
            {
                if (_queue.Count == 0 && wake > now)
                    Monitor.Wait(_queueGate, TimeSpan.FromMilliseconds(Math.Max(1, (wake - now) / 1_000_000)));
                if (_queue.Count > 0) action = _queue.Dequeue();
            }
            action?.Invoke();
            if (_exit) break;

            now = NowNs;
            if (now >= nextTimeoutCheck)
            {
                CheckRequestTimeouts(now);
                nextTimeoutCheck = now + TimeoutHeartbeatNs();
            }
            if (now >= nextMaintenance)
            {
                Maintenance(now);
                nextMaintenance += 1_000_000_000L;
                if (nextMaintenance < now) nextMaintenance = now + 1_000_000_000L;
            }
            if (_controlDeadlineNs > 0 && now >= _controlDeadlineNs) EscalateControl();
        }
    }

    /// <summary>php-fpm's heartbeat for timeouts: a third of the smallest timeout, at least 130 ms (FPM_PCTL_MIN_HEARTBEAT).</summary>
    private long TimeoutHeartbeatNs()
    {
        double ms = 1000;
        foreach (var t in new[] { Settings.RequestTerminateTimeout, Settings.RequestSlowlogTimeout })
            if (t > TimeSpan.Zero) ms = Math.Min(ms, t.TotalMilliseconds / 3);
        return (long)(Math.Max(130, ms) * 1_000_000);
    }

    // ---- children -------------------------------------------------------------------------

    /// <summary>
    /// request.code (LAB_FPM_CODE_KB from the launcher): the application's code, created once
    /// before any child is spawned (as php-fpm's opcache memory is, in the master), and kept over
    /// reloads; null when there is none.
    /// </summary>
    private string? CreateSharedCode()
    {
        if (!long.TryParse(Environment.GetEnvironmentVariable("LAB_FPM_CODE_KB"), NumberStyles.None, CultureInfo.InvariantCulture, out long kb) || kb <= 0)
            return null;
        string dir = Path.GetDirectoryName(Path.GetFullPath(_options.ConfigPath)) ?? Path.GetTempPath();
        string path = Path.Combine(dir, $"{PoolName}.code.{_pid}");
        SharedCode.Create(path, kb);
        return path;
    }

    private Scoreboard CreateScoreboard()
    {
        string dir = Path.GetDirectoryName(Path.GetFullPath(_options.ConfigPath)) ?? Path.GetTempPath();
        string path = Path.Combine(dir, $"{PoolName}.scoreboard.{_pid}.{_generation}");
        return Scoreboard.Create(path, PoolName, Settings.Pm, Settings.MaxChildren);
    }

    private void SpawnInitialChildren()
    {
        // fpm_children_create_initial: logged at DEBUG ("is_debug" = 1)
        for (int i = 0; i < Settings.InitialChildren; i++) SpawnChild(FpmLogLevel.Debug);
    }

    private IReadOnlyList<ChildProc> CurrentChildren()
    {
        var list = new List<ChildProc>(_children.Count);
        foreach (var c in _children.Values) if (c.Generation == _generation) list.Add(c);
        return list;
    }

    private ChildProc? SpawnChild(FpmLogLevel startedLevel)
    {
        var board = _board!;
        var used = new HashSet<int>();
        foreach (var c in _children.Values) if (c.Board == board) used.Add(c.Slot);
        int slot = -1;
        for (int i = 0; i < board.SlotCount; i++) if (!used.Contains(i)) { slot = i; break; }
        if (slot < 0)
        {
            _log.Warning($"[pool {PoolName}] no free scoreboard slot: {used.Count} children for {board.SlotCount} slots");
            return null;
        }
        long startedNs = NowNs;
        board.InitSlot(slot, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), startedNs);

        (int Read, int Write) stdout = (-1, -1), stderr = (-1, -1);
        if (_config.Pool.CatchWorkersOutput)
        {
            stdout = ChildOutput.CreatePipe();
            stderr = ChildOutput.CreatePipe();
        }
        int pid;
        try
        {
            pid = Spawner.Spawn(_options.WorkerPath, [$"lab-fpm: pool {PoolName}"], [.. _childEnv, $"LAB_FPM_SLOT={slot.ToString(CultureInfo.InvariantCulture)}"],
                [(_listen!.Fd, 3), (stdout.Write >= 0 ? stdout.Write : _devNull, 1), (stderr.Write >= 0 ? stderr.Write : _devNull, 2)],
                stdinDevNull: true);
        }
        catch (IOException e)
        {
            _log.Error($"[pool {PoolName}] fork() failed: {e.Message}");
            foreach (int fd in new[] { stdout.Read, stdout.Write, stderr.Read, stderr.Write }) if (fd >= 0) Native.close(fd);
            board.FreeSlot(slot);
            return null;
        }
        if (stdout.Write >= 0)
        {
            Native.close(stdout.Write);
            Native.close(stderr.Write);
            _output!.Add(stdout.Read, pid, isStdout: true);
            _output.Add(stderr.Read, pid, isStdout: false);
        }
        board.SetPid(slot, pid);
        var child = new ChildProc { Pid = pid, Slot = slot, Board = board, StartedNs = startedNs, Generation = _generation };
        _children[pid] = child;
        _reaper!.ChildSpawned();
        _log.Write(startedLevel, FpmMessages.ChildStarted(PoolName, pid));
        _events.Write(EventNames.Spawn, pid, $"slot {slot}");
        return child;
    }

    /// <summary>
    /// The children's environment for the current configuration and scoreboard (built at start
    /// and at each reload, not per spawn): the master's own, the listening socket (LISTEN_FDS),
    /// the pool's settings and the user to run as. Each child adds its slot.
    /// </summary>
    private List<string> ChildEnvironment(Scoreboard board)
    {
        var env = Spawner.InheritedEnvironment(key => key.StartsWith("LAB_FPM_", StringComparison.Ordinal) || key is "LISTEN_FDS" or "LISTEN_PID");
        var inv = CultureInfo.InvariantCulture;
        var pool = _config.Pool;
        env.Add("LISTEN_FDS=1");
        env.Add($"LAB_FPM_MAX_REQUESTS={Settings.MaxRequests.ToString(inv)}");
        env.Add($"LAB_FPM_MEMORY_LIMIT={Settings.MemoryLimitBytes.ToString(inv)}");
        env.Add($"LAB_FPM_STATUS_PATH={pool.StatusPath}");
        env.Add($"LAB_FPM_SCOREBOARD={board.Path}");
        env.Add($"LAB_FPM_MASTER_PID={_pid.ToString(inv)}");
        if (_code is not null) env.Add($"LAB_FPM_CODE={_code}");
        if (Native.geteuid() == 0 && pool.User is not null)
        {
            if (Native.LookupUser(pool.User) is { } u)
            {
                env.Add($"LAB_FPM_UID={u.Uid.ToString(inv)}");
                uint gid = pool.Group is not null && Native.LookupGroup(pool.Group) is { } g ? g : u.Gid;
                env.Add($"LAB_FPM_GID={gid.ToString(inv)}");
            }
            else _log.Warning($"[pool {PoolName}] cannot get uid for user '{pool.User}'");
        }
        return env;
    }

    private void OnChildOutput(int pid, bool isStdout, string line)
    {
        if (_config.Pool.DecorateWorkersOutput)
        {
            string text = isStdout ? $"[pool {PoolName}] child {pid} said into stdout: \"{line}\"" : FpmMessages.ChildSaidIntoStderr(PoolName, pid, line);
            _log.Warning(text);
        }
        else
        {
            // decorate_workers_output = no: the child's line as it is (php-fpm's zlog stream without decoration)
            _log.WriteRaw(line);
        }
        if (!isStdout && line.Contains("Allowed memory size of", StringComparison.Ordinal))
            _events.Write(EventNames.MemoryLimit, pid, line);
    }

    private void OnChildExited(int pid, int status)
    {
        if (!_children.Remove(pid, out var child)) return;
        var slot = child.Board.ReadSlot(child.Slot);
        child.Board.FreeSlot(child.Slot);
        double seconds = (NowNs - child.StartedNs) / 1e9;
        var (exited, code, signal, core) = Spawner.Decode(status);

        string why = WhyExited(child, slot.KillReason, exited, code, signal);
        string how = exited ? $"code {code}" : $"signal {signal}";
        _events.Write(EventNames.Exit, pid, $"{how};{why}");
        if (why == "crash") _events.Write(EventNames.Crash, pid, how);

        bool idleKill = child.IdleKill && (exited || signal == Native.SIGQUIT);
        bool masterRunning = _state == State.Running && child.Generation == _generation;
        bool restart = ProcessManagerPolicy.Respawns(idleKill, masterRunning);
        string message = exited
            ? FpmMessages.ChildExited(PoolName, pid, code, seconds)
            : FpmMessages.ChildSignaled(PoolName, pid, signal, seconds, core);
        if (idleKill)
            _log.Debug(FpmMessages.KilledByProcessManagement(PoolName, pid, seconds));
        else if (!masterRunning)
            _log.Debug(message); // php-fpm: DEBUG while it cannot spawn (stopping, reloading)
        else
        {
            var level = exited ? (code == 0 ? FpmLogLevel.Notice : FpmLogLevel.Warning)
                               : (signal == Native.SIGQUIT ? FpmLogLevel.Notice : FpmLogLevel.Warning);
            _log.Write(level, message);
        }
        if (restart) SpawnChild(FpmLogLevel.Notice); // fpm_children_make(wp, 1, 1, 0): NOTICE

        if (_state != State.Running) AfterChildGone();
    }

    /// <summary>The "why" of an exit event: idle, max_requests, reload/shutdown/timeout (the master's own signal), kill-child, crash.</summary>
    private static string WhyExited(ChildProc child, KillReason killReason, bool exited, int code, int signal)
    {
        if (exited && code == 0) return child.IdleKill ? "idle" : child.Why ?? "max_requests";
        if (child.Why is { } why) return why;
        if (exited) return "crash";
        if (killReason == KillReason.KillChild) return "kill-child";
        return child.IdleKill && signal == Native.SIGQUIT ? "idle" : "crash";
    }

    // ---- the process manager -----------------------------------------------------------------

    private List<ChildView> Views(IReadOnlyList<ChildProc> children)
    {
        var views = new List<ChildView>(children.Count);
        foreach (var c in children)
        {
            var s = c.Board.ReadSlot(c.Slot);
            views.Add(new ChildView(c.Pid, c.StartedNs / 1e9, s.Stage == RequestStage.Idle && !c.IdleKill, s.LastActivityNs / 1e9));
        }
        return views;
    }

    private void Maintenance(long nowNs)
    {
        var lq = _listen?.Queue();
        if (lq is { } q) _board?.SetListenQueue(q.Queued, q.Size);
        if (_state != State.Running || _board is null) return;

        var children = CurrentChildren();
        var views = Views(children);
        int active = 0, idle = 0;
        foreach (var v in views) if (v.Idle) idle++; else active++;
        _board.NoteActive(active);
        if (Settings.Pm == ProcessManagerStyle.Dynamic)
            _log.Debug($"[pool {PoolName}] currently {active} active children, {idle} spare children, {children.Count} running children. Spawning rate {_policy.IdleSpawnRate}");

        var m = _policy.Maintain(views, children.Count, nowNs / 1e9);
        Apply(m, FpmLogLevel.Debug);
        // ondemand: connections still waiting with no idle child (an arrival whose edge came while
        // the pool was at max_children) are looked at again, as new arrivals
        if (Settings.Pm == ProcessManagerStyle.Ondemand && idle == 0 && lq?.Queued > 0) OnSocketReadable();
    }

    private void Apply(Maintenance m, FpmLogLevel spawnLevel)
    {
        if (m.Log is { } log) _log.Write(log.Level, log.Message);
        if (m.MaxChildrenReached)
        {
            _board!.MaxChildrenReached = (int)_policy.MaxChildrenReached;
            _events.Write(EventNames.MaxChildren, 0, Settings.MaxChildren.ToString(CultureInfo.InvariantCulture));
        }
        if (m.KillPid != 0 && _children.TryGetValue(m.KillPid, out var victim))
        {
            victim.IdleKill = true;
            Native.kill(victim.Pid, Native.SIGQUIT);
            _events.Write(EventNames.Kill, victim.Pid, "idle");
        }
        for (int i = 0; i < m.Spawn; i++) SpawnChild(spawnLevel);
    }

    private void StartOndemandWatcher()
    {
        StopOndemandWatcher();
        int listenFd = _listen!.Fd;
        var stop = _watcherStop = new System.Runtime.CompilerServices.StrongBox<bool>(false);
        new Thread(() => WatchSocket(listenFd, stop)) { IsBackground = true, Name = "ondemand accept watch" }.Start();
    }

    private void StopOndemandWatcher()
    {
        if (_watcherStop is { } stop) Volatile.Write(ref stop.Value, true);
        _watcherStop = null;
    }

    /// <summary>ondemand: an edge-triggered watch on the listening socket (php-fpm's FPM_EV_READ | FPM_EV_EDGE).</summary>
    private unsafe void WatchSocket(int listenFd, System.Runtime.CompilerServices.StrongBox<bool> stop)
    {
        int ep = Native.epoll_create1(Native.O_CLOEXEC);
        if (ep < 0) { Post(() => _log.Error($"epoll_create1: {Native.ErrorText(Native.Errno)}")); return; }
        var ev = new Native.EpollEvent { Events = unchecked((uint)(Native.EPOLLIN | Native.EPOLLET)), Data = (ulong)listenFd };
        Native.epoll_ctl(ep, Native.EPOLL_CTL_ADD, listenFd, &ev);
        Native.EpollEvent* events = stackalloc Native.EpollEvent[4];
        while (!Volatile.Read(ref stop.Value))
        {
            int n = Native.epoll_wait(ep, events, 4, 500);
            if (n > 0) Post(OnSocketReadable);
        }
        Native.close(ep);
    }

    /// <summary>
    /// ondemand: connections arrived. Arrivals that come together make one edge-triggered event,
    /// so the policy's per-arrival rule (fork when no child is idle) is applied once per connection
    /// waiting in the queue; a child just forked is not idle yet, so each waiting connection gets
    /// its own child, up to pm.max_children.
    /// </summary>
    private void OnSocketReadable()
    {
        if (_state != State.Running || Settings.Pm != ProcessManagerStyle.Ondemand) return;
        int waiting = Math.Max(1, _listen?.Queue()?.Queued ?? 1);
        // the children as they stand (read once); a child forked below is not idle, so it need not be added
        var views = Views(CurrentChildren());
        for (int i = 0; i < waiting; i++)
        {
            var m = _policy.OnAccept(views, CurrentChildren().Count);
            Apply(m, FpmLogLevel.Debug);
            if (m.Spawn > 0) continue;
            int idle = views.FindIndex(v => v.Idle);
            if (idle < 0) break;                            // pm.max_children reached
            views[idle] = views[idle] with { Idle = false }; // this arrival goes to that idle child
        }
    }

    /// <summary>request_slowlog_timeout and request_terminate_timeout (fpm_request_check_timed_out).</summary>
    private void CheckRequestTimeouts(long nowNs)
    {
        var terminate = Settings.RequestTerminateTimeout;
        var slowlog = Settings.RequestSlowlogTimeout;
        if (terminate <= TimeSpan.Zero && slowlog <= TimeSpan.Zero) return;
        foreach (var c in _children.Values)
        {
            var s = c.Board.ReadSlot(c.Slot);
            if (s.Stage <= RequestStage.Idle || s.Stage >= RequestStage.Ending || s.AcceptedNs == 0) continue;
            double elapsed = (nowNs - s.AcceptedNs) / 1e9;
            bool slow = slowlog > TimeSpan.Zero && elapsed >= slowlog.TotalSeconds && c.SlowLoggedFor != s.AcceptedNs;
            bool timedOut = terminate > TimeSpan.Zero && elapsed >= terminate.TotalSeconds && c.TimeoutKilledFor != s.AcceptedNs;
            if (!slow && !timedOut) continue;
            string uri = s.Uri + (s.Query.Length > 0 ? "?" + s.Query : "");
            if (slow)
            {
                c.SlowLoggedFor = s.AcceptedNs;
                c.Board.IncrementSlowRequests();
                _log.Warning($"[pool {PoolName}] child {c.Pid}, script '{s.Script}' (request: \"{s.Method} {uri}\") executing too slow ({FpmMessages.Seconds(elapsed)} sec), logging");
            }
            if (timedOut)
            {
                c.TimeoutKilledFor = s.AcceptedNs;
                c.Why ??= "timeout";
                Native.kill(c.Pid, Native.SIGTERM);
                _log.Warning(FpmMessages.ExecutionTimedOut(PoolName, c.Pid, s.Script, s.Method, uri, elapsed));
                _events.Write(EventNames.Timeout, c.Pid, $"{FpmMessages.Seconds(elapsed)} s;{uri}");
                _events.Write(EventNames.Kill, c.Pid, "timeout");
            }
        }
    }

    // ---- signals and process control (fpm_signals.c, fpm_pctl) ------------------------------------

    private void RegisterSignals()
    {
        void On(PosixSignal signal, Action action) =>
            _signals.Add(PosixSignalRegistration.Create(signal, ctx => { ctx.Cancel = true; Post(action); }));
        On(PosixSignal.SIGTERM, () => BeginStop(State.Terminating, Native.SIGTERM));
        On(PosixSignal.SIGINT, () => BeginStop(State.Terminating, Native.SIGTERM));
        On((PosixSignal)Native.SIGQUIT, () => BeginStop(State.Finishing, Native.SIGQUIT));
        On((PosixSignal)Native.SIGUSR2, () => BeginStop(State.Reloading, Native.SIGQUIT));
        On((PosixSignal)Native.SIGUSR1, () => { _log.Reopen(); _log.Notice("error log file re-opened"); });
    }

    /// <summary>Terminate (SIGTERM), finish (SIGQUIT) or reload (SIGUSR2): signal the children, wait, escalate after process_control_timeout.</summary>
    private void BeginStop(State target, int childSignal)
    {
        if (_state == State.Terminating) return;                        // already stopping the hard way
        if (_state != State.Running && target != State.Terminating) return;
        _state = target;
        _log.Notice(target switch
        {
            State.Terminating => FpmMessages.Terminating,
            State.Finishing => FpmMessages.Finishing,
            _ => FpmMessages.Reloading,
        });
        string why = target == State.Reloading ? "reload" : "shutdown";
        if (target == State.Reloading) _events.Write(EventNames.Reload, _pid, "SIGUSR2");
        foreach (var c in _children.Values)
        {
            c.Why ??= why;
            Native.kill(c.Pid, childSignal);
        }
        _controlStep = childSignal == Native.SIGTERM ? 1 : 0;
        var timeout = _config.Global.ProcessControlTimeout;
        _controlDeadlineNs = childSignal == Native.SIGTERM
            ? NowNs + (long)(Math.Max(1, timeout.TotalSeconds) * 1e9)     // SIGTERM: then SIGKILL
            : timeout > TimeSpan.Zero ? NowNs + (long)(timeout.TotalSeconds * 1e9) : 0;  // 0: wait for them
        AfterChildGone();
    }

    /// <summary>process_control_timeout passed: SIGQUIT → SIGTERM → SIGKILL (fpm_pctl_action_next).</summary>
    private void EscalateControl()
    {
        int signal = _controlStep == 0 ? Native.SIGTERM : Native.SIGKILL;
        _controlStep++;
        foreach (var c in _children.Values)
        {
            _log.Warning($"[pool {PoolName}] child {c.Pid} still alive, sending {FpmMessages.SignalName(signal)}");
            Native.kill(c.Pid, signal);
        }
        _controlDeadlineNs = _controlStep >= 2 ? 0 : NowNs + 1_000_000_000L;
    }

    /// <summary>While stopping or reloading: once the children are gone, finish the transition.</summary>
    private void AfterChildGone()
    {
        if (_children.Count > 0) return;
        _controlDeadlineNs = 0;
        if (_state == State.Reloading) { Reload(); return; }
        _log.Notice(FpmMessages.ExitingByeBye);
        _events.Write(EventNames.Stop, _pid, _state == State.Finishing ? "SIGQUIT" : "SIGTERM");
        _exit = true;
    }

    /// <summary>SIGUSR2: php-fpm re-executes itself; the lab's master re-reads its configuration in place (same pid), keeps the listening socket, and starts the new children.</summary>
    private void Reload()
    {
        FpmConfiguration fresh;
        try { fresh = FpmConfigFile.Load(_options.ConfigPath); }
        catch (FpmConfigException e)
        {
            // php-fpm's re-executed master would fail its configuration test and exit
            ConfigFailed(e);
            _exit = true;
            return;
        }
        foreach (var n in fresh.Notices) _log.Notice(n);
        if (fresh.Pool.Listen != _config.Pool.Listen || fresh.Pool.IsUnixSocket != _config.Pool.IsUnixSocket)
        {
            StopOndemandWatcher();
            var old = _listen!;
            _config = fresh;
            old.Close(removeFile: true);
            _listen = ListenSocket.Open(fresh.Pool);
        }
        else
        {
            _log.Notice($"using inherited socket fd={_listen!.Fd}, \"{_listen.Address}\"");
            _config = fresh;
        }
        if (fresh.Global.ErrorLog != _log.Target || fresh.Global.LogLevel != _log.Level)
        {
            var old = _log;
            _log = new FpmLog(fresh.Global.ErrorLog, fresh.Global.LogLevel);
            old.Dispose();
        }
        _generation++;
        _oldBoards.Add(_board!);
        _board = CreateScoreboard();
        _childEnv = ChildEnvironment(_board);
        _policy.Reset(fresh.Pool.Settings);
        _state = State.Running;
        if (Settings.Pm == ProcessManagerStyle.Ondemand) { if (_watcherStop is null) StartOndemandWatcher(); }
        else StopOndemandWatcher();
        SpawnInitialChildren();
        _log.Notice(FpmMessages.FpmIsRunning(_pid));
        _log.Notice(FpmMessages.ReadyToHandle);
        _events.Write(EventNames.Start, _pid, $"reload;pm {StatusPage.PmName(Settings.Pm)};max_children {Settings.MaxChildren};max_requests {Settings.MaxRequests}");
    }

    /// <summary>A configuration php-fpm would refuse: its lines, and exit code 78 (FPM_EXIT_CONFIG).</summary>
    private void ConfigFailed(FpmConfigException e)
    {
        _log.Error(e.Message);
        _log.Error("FPM initialization failed");
        _exitCode = FpmConfigException.ExitCode;
    }

    private void KillAllChildren()
    {
        foreach (var c in _children.Values) Native.kill(c.Pid, Native.SIGKILL);
    }

    private void WritePidFile()
    {
        if (_config.Global.PidFile is not { Length: > 0 } pidFile) return;
        string? dir = Path.GetDirectoryName(pidFile);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        File.WriteAllText(pidFile, _pid.ToString(CultureInfo.InvariantCulture) + "\n");
    }

    private void Cleanup()
    {
        StopOndemandWatcher();
        foreach (var s in _signals) s.Dispose();
        _reaper?.Dispose();
        _listen?.Close(removeFile: true);
        if (_config.Global.PidFile is { Length: > 0 } pidFile) { try { File.Delete(pidFile); } catch (IOException) { } }
        foreach (var b in _oldBoards.Append(_board))
        {
            if (b is null) continue;
            try { File.Delete(b.Path); } catch (IOException) { }
        }
        if (_code is not null) { try { File.Delete(_code); } catch (IOException) { } }
        _output?.Dispose();
        if (_devNull >= 0) Native.close(_devNull);
    }

    public void Dispose()
    {
        _events.Dispose();
        _log.Dispose();
    }
}
