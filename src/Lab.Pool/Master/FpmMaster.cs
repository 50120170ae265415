using System.Globalization;
using System.Runtime.InteropServices;
using Lab.Core.Logging;
using Lab.Core.ProcessManager;
using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.Pool.Config;
using Lab.Pool.Logging;
using Lab.Scoreboard;
using Lab.Scoreboard.Interop;

namespace Lab.Pool.Master;

/// <summary>How the master was started (command line / environment).</summary>
public sealed record MasterOptions
{
    public required string ConfigPath { get; init; }
    /// <summary>The child executable (Lab.Worker).</summary>
    public required string WorkerPath { get; init; }
    /// <summary>The process that launched the master; when set and no longer our parent, the master does not start.</summary>
    public int ExpectedParentPid { get; init; }
}

/// <summary>
/// The master process ("lab-fpm: master process (CONFIG)"): a driver of Lab.Core's php-fpm rules
/// on real processes. Every decision is the core's — the process manager
/// (<see cref="ProcessManagerPolicy"/>), process control and a child's burial
/// (<see cref="ProcessControl"/>), the request timeouts (<see cref="RequestTimeouts"/>),
/// recycling (<see cref="Recycling"/>, Recycle.cs) — and every log line is php-fpm's (FpmMessages); this
/// class carries them out with fork (posix_spawn), signals and a scoreboard in shared memory.
/// Split as php-src splits fpm: this file (fpm.c, fpm_events.c: start-up, the event loop, the
/// end), Children.cs (fpm_children.c), ProcessControl.cs (fpm_process_ctl.c: the ladder, reload,
/// exit), ProcessManager.cs (fpm_process_ctl.c: maintenance, ondemand), Requests.cs
/// (fpm_request.c: timeouts, slowlog), Signals.cs (fpm_signals.c), Status.cs (fpm_scoreboard.c,
/// fpm_status.c). One event loop on the main thread; the reaper, the ondemand watch, the child
/// output and the signal handlers post to it.
/// </summary>
public sealed partial class FpmMaster : IDisposable
{
    private readonly MasterOptions _options;
    private readonly object _queueGate = new();
    private readonly Queue<Action> _queue = new();
    private readonly int _pid = Environment.ProcessId;
    private FpmConfiguration _config;
    private FpmLog _log;
    private ListenSocket? _listen;
    private readonly ProcessManagerPolicy _policy;
    private readonly ProcessControl _control;
    private ChildOutput? _output;
    private Reaper? _reaper;
    private int _exitCode;
    private bool _exit;
    private int _devNull = -1;
    /// <summary>When the process-control timer fires (CLOCK_MONOTONIC ns); 0: not armed; ≤ now on arming with 0 s: the loop's next pass.</summary>
    private long _pctlDeadlineNs;

    public FpmMaster(MasterOptions options, FpmConfiguration config)
    {
        _options = options;
        _config = config;
        _log = new FpmLog(config.Global.ErrorLog, config.Global.LogLevel);
        _policy = new ProcessManagerPolicy(config.Pool.Settings);
        _control = new ProcessControl(config.Pool.Settings);
    }

    private PoolSettings Settings => _config.Pool.Settings;
    private string PoolName => Settings.Name;
    private static long NowNs => Native.MonotonicNs();

    /// <summary>Runs the pool until it is terminated; returns the process exit code.</summary>
    public int Run()
    {
        try
        {
            _devNull = Native.open("/dev/null", Native.O_RDWR | Native.O_CLOEXEC, 0);
            _listen = ListenSocket.Open(_config.Pool);
            WritePidFile();
            _output = new ChildOutput(OnChildOutput);
            _reaper = new Reaper((pid, status) => Post(() => OnChildStatus(pid, status)));
            RegisterSignals();
            StartPool();
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

    /// <summary>
    /// fpm_init + fpm_run, at start and after each reload: the configuration's notices, "fpm is
    /// running", a fresh scoreboard, the initial children (fpm_children_create_initial, DEBUG), the
    /// ondemand watch, the heartbeats and "ready to handle connections".
    /// </summary>
    private void StartPool()
    {
        foreach (var n in _config.Notices) _log.Notice(n);
        _log.Emit(FpmLogLevel.Notice, FpmLogFact.MasterStarted(_pid));
        if (_codeFd < 0) OpenSharedCode(); // once: kept over reloads
        OpenScoreboard();
        for (int i = 0; i < Settings.InitialChildren; i++) SpawnChild(FpmLogLevel.Debug);
        if (Settings.Pm == ProcessManagerStyle.Ondemand) StartOndemandWatcher(); else StopOndemandWatcher();
        _log.Emit(FpmLogLevel.Debug, FpmLogFact.HeartbeatSetUp(RequestTimeouts.HeartbeatMs(Settings)));
        _log.Emit(FpmLogLevel.Notice, FpmLogFact.Ready);
    }

    // ---- the event loop (fpm_events.c) ------------------------------------------------------

    private void Post(Action action)
    {
        lock (_queueGate)
        {
            _queue.Enqueue(action);
            Monitor.Pulse(_queueGate);
        }
    }

    /// <summary>
    /// fpm_event_loop: events posted by the other threads, the 1 s maintenance heartbeat
    /// (FPM_IDLE_SERVER_MAINTENANCE_HEARTBEAT), the request-timeout heartbeat, and the
    /// process-control timer (one armed with 0 s fires on the loop's next pass).
    /// </summary>
    private void Loop()
    {
        long nextMaintenance = NowNs + 1_000_000_000L;
        long nextTimeoutCheck = NowNs + RequestTimeouts.HeartbeatMs(Settings) * 1_000_000L;
        long recycleEveryNs = _recycling.CheckInterval is { } every ? (long)(every.TotalMilliseconds * 1_000_000L) : 0;
        long nextRecycleCheck = recycleEveryNs > 0 ? NowNs + recycleEveryNs : long.MaxValue;
        while (!_exit)
        {
            long now = NowNs;
            long wake = Math.Min(Math.Min(nextMaintenance, nextTimeoutCheck), nextRecycleCheck);
            if (_pctlDeadlineNs > 0) wake = Math.Min(wake, _pctlDeadlineNs);
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
            if (_pctlDeadlineNs > 0 && now >= _pctlDeadlineNs)
            {
                _pctlDeadlineNs = 0;
                CarryOut(_control.OnTimer(_children.Count));
                if (_exit) break;
            }
            if (now >= nextTimeoutCheck)
            {
                CheckRequestTimeouts(now);
                nextTimeoutCheck = now + RequestTimeouts.HeartbeatMs(Settings) * 1_000_000L;
            }
            if (now >= nextRecycleCheck)
            {
                if (_control.CanSpawn) CheckRecycling();
                nextRecycleCheck = now + recycleEveryNs;
            }
            if (now >= nextMaintenance)
            {
                if (_control.CanSpawn) PerformIdleServerMaintenance(now);
                nextMaintenance += 1_000_000_000L;
                if (nextMaintenance < now) nextMaintenance = now + 1_000_000_000L;
            }
        }
    }

    // ---- the end -------------------------------------------------------------------------------

    /// <summary>A configuration php-fpm would refuse: its lines, and exit code 78 (FPM_EXIT_CONFIG).</summary>
    private void ConfigFailed(FpmConfigException e)
    {
        _log.Error(e.Message);
        _log.Emit(FpmLogLevel.Error, FpmLogFact.InitializationFailed);
        _exitCode = FpmConfigException.ExitCode;
    }

    private void KillAllChildren()
    {
        foreach (var c in _children.Values) Native.kill(c.Pid, Native.SIGKILL);
    }

    /// <summary>The pid file, mode 0600 (the run's files are the run's own).</summary>
    private void WritePidFile()
    {
        if (_config.Global.PidFile is not { Length: > 0 } pidFile) return;
        string? dir = Path.GetDirectoryName(pidFile);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        File.WriteAllText(pidFile, _pid.ToString(CultureInfo.InvariantCulture) + "\n");
        File.SetUnixFileMode(pidFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    private void Cleanup()
    {
        StopOndemandWatcher();
        foreach (var s in _signals) s.Dispose();
        _reaper?.Dispose();
        _listen?.Close(removeFile: true);
        if (_config.Global.PidFile is { Length: > 0 } pidFile) { try { File.Delete(pidFile); } catch (IOException) { } }
        CloseScoreboards();
        CloseSharedCode();
        _output?.Dispose();
        if (_devNull >= 0) Native.close(_devNull);
    }

    public void Dispose() => _log.Dispose();
}
