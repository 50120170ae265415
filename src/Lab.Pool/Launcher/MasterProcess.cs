using System.Collections.Concurrent;
using System.Globalization;
using Lab.Core.Paths;
using Lab.Core.Scenarios;
using Lab.Pool.Config;
using Lab.Pool.Interop;
using Lab.Scoreboard.Interop;
using Lab.Core.Status;
using Lab.Scoreboard;

namespace Lab.Pool.Launcher;

/// <summary>How the lab starts a master.</summary>
public sealed record MasterLaunchOptions
{
    /// <summary>The php-fpm configuration file (FpmConfig.Render's text).</summary>
    public required string ConfigPath { get; init; }
    /// <summary>The master executable; default LabPaths.PoolMaster (artifacts/bin/Lab.Pool, $LAB_POOL).</summary>
    public string? MasterPath { get; init; }
    /// <summary>The child executable; default LabPaths.Worker (artifacts/bin/Lab.Worker, $LAB_WORKER).</summary>
    public string? WorkerPath { get; init; }
    /// <summary>Where the master's own stdout/stderr go (its early errors); null = inherit the lab's.</summary>
    public string? OutputPath { get; init; }
    /// <summary>Extra environment for the master and its children.</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }
}

/// <summary>
/// A running master, as the lab sees it: launched with argv[0] "lab-fpm: master process
/// (CONFIG)" in its own process group, from one dedicated long-lived thread (Linux fires the
/// master's PR_SET_PDEATHSIG when that *thread* ends, so it must live as long as the lab).
/// The master sets PDEATHSIG = SIGTERM itself and checks it is still our child: if the lab is
/// SIGKILLed, the master terminates its children and exits. Also the scenario's actions:
/// reload (rewrite the configuration, SIGUSR2), kill-child, restart.
/// </summary>
public sealed class MasterProcess : IDisposable
{
    private static readonly BlockingCollection<Action> LauncherWork = new();
    private static readonly Lazy<Thread> LauncherThread = new(() =>
    {
        var t = new Thread(() => { foreach (var work in LauncherWork.GetConsumingEnumerable()) work(); })
        { IsBackground = true, Name = "lab-fpm launcher" };
        t.Start();
        return t;
    });

    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private MasterProcess(int pid, MasterLaunchOptions options)
    {
        Pid = pid;
        Options = options;
        var waiter = new Thread(() =>
        {
            while (true)
            {
                int r = Native.waitpid(pid, out int status, 0);
                if (r == pid) { _exited.TrySetResult(status); return; }
                if (r < 0 && Native.Errno != Native.EINTR) { _exited.TrySetResult(-1); return; }
            }
        }) { IsBackground = true, Name = $"wait master {pid}" };
        waiter.Start();
    }

    public int Pid { get; }
    public MasterLaunchOptions Options { get; }
    public string ConfigPath => Options.ConfigPath;
    /// <summary>Completes with the raw wait status when the master has exited (and been reaped).</summary>
    public Task<int> Exited => _exited.Task;
    public bool HasExited => _exited.Task.IsCompleted;
    /// <summary>The exit code, or null while running or when it died on a signal.</summary>
    public int? ExitCode => HasExited && Spawner.Decode(_exited.Task.Result) is { Exited: true } d ? d.Code : null;
    public int? ExitSignal => HasExited && Spawner.Decode(_exited.Task.Result) is { Exited: false } d ? d.Signal : null;

    /// <summary>The title the master shows in ps: php-fpm's "php-fpm: master process (CONFIG)".</summary>
    public static string Title(string configPath) => $"lab-fpm: master process ({configPath})";

    /// <summary>
    /// Null when the master and worker executables exist (default: LabPaths.PoolMaster and
    /// LabPaths.Worker); else which one is missing and the commands that publish them.
    /// </summary>
    public static string? Unpublished(string? masterPath = null, string? workerPath = null)
    {
        string master = masterPath ?? LabPaths.PoolMaster, worker = workerPath ?? LabPaths.Worker;
        if (File.Exists(master) && File.Exists(worker)) return null;
        return $"The dotnet pool is not published ({(File.Exists(master) ? worker : master)} is missing). Run, from {LabPaths.Root}:\n" +
               "  dotnet publish src/Lab.Worker -c Release -r linux-x64 -o artifacts/bin -nologo -v q\n" +
               "  dotnet publish src/Lab.Pool -c Release -r linux-x64 -o artifacts/bin -nologo -v q";
    }

    public static MasterProcess Start(MasterLaunchOptions options)
    {
        string master = Path.GetFullPath(options.MasterPath ?? LabPaths.PoolMaster);
        string worker = Path.GetFullPath(options.WorkerPath ?? LabPaths.Worker);
        if (Unpublished(master, worker) is { } missing) throw new FileNotFoundException(missing);
        string config = Path.GetFullPath(options.ConfigPath);

        var env = Spawner.InheritedEnvironment(key =>
            key.StartsWith("LAB_FPM_", StringComparison.Ordinal) || (options.Environment?.ContainsKey(key) ?? false));
        if (options.Environment is not null) foreach (var (k, v) in options.Environment) env.Add($"{k}={v}");
        env.Add($"LAB_FPM_CONFIG={config}");
        env.Add($"LAB_WORKER={worker}");
        env.Add($"LAB_FPM_PARENT_PID={System.Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}");

        var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = LauncherThread.Value;
        LauncherWork.Add(() =>
        {
            int outFd = -1;
            try
            {
                var fds = new List<(int, int)>();
                if (options.OutputPath is not null)
                {
                    outFd = Native.OpenAppend(options.OutputPath);
                    if (outFd < 0) throw new IOException($"cannot open {options.OutputPath}: {Native.ErrorText(Native.Errno)}");
                    fds.Add((outFd, 1));
                    fds.Add((outFd, 2));
                }
                done.SetResult(Spawner.Spawn(master, [Title(config)], env, fds, stdinDevNull: true, processGroup: 0));
            }
            catch (Exception e) { done.SetException(e); }
            finally { if (outFd >= 0) Native.close(outFd); }
        });
        return new MasterProcess(done.Task.GetAwaiter().GetResult(), options with { ConfigPath = config, MasterPath = master, WorkerPath = worker });
    }

    /// <summary>Sends a signal to the master.</summary>
    public bool Signal(int signal) => !HasExited && Native.kill(Pid, signal) == 0;

    /// <summary>Waits until the master has opened the scoreboard and its initial children are idle in accept().</summary>
    public bool WaitUntilReady(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        int expected;
        try { expected = FpmConfigFile.Load(ConfigPath).Pool.Settings.InitialChildren; }
        catch (FpmConfigException) { expected = 0; }
        while (DateTime.UtcNow < deadline && !HasExited)
        {
            using (var board = OpenScoreboard())
            {
                if (board is not null)
                {
                    var snap = board.Snapshot();
                    if (snap.IdleProcesses >= expected) return true;
                }
            }
            Thread.Sleep(10);
        }
        return false;
    }

    /// <summary>The master's current scoreboard (the newest generation), or null before it exists (mode 0600: the master's user, or root, only).</summary>
    public SharedScoreboard? OpenScoreboard()
    {
        string dir = Path.GetDirectoryName(ConfigPath)!;
        string? newest = null;
        int newestGen = -1;
        foreach (var f in Directory.EnumerateFiles(dir, $"*.scoreboard.{Pid.ToString(CultureInfo.InvariantCulture)}.*"))
        {
            if (int.TryParse(f[(f.LastIndexOf('.') + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int gen) && gen > newestGen)
            { newest = f; newestGen = gen; }
        }
        if (newest is null) return null;
        try { return SharedScoreboard.Open(newest); }
        catch (IOException) { return null; }
    }

    /// <summary>The children as the scoreboard shows them (used slots with a pid).</summary>
    public IReadOnlyList<SlotSnapshot> Children()
    {
        using var board = OpenScoreboard();
        if (board is null) return [];
        return board.Snapshot().Processes.ToList();
    }

    /// <summary>Reload (php-fpm's SIGUSR2), after rewriting the configuration when new text is given.</summary>
    public void Reload(string? newConfigText = null)
    {
        if (newConfigText is not null) File.WriteAllText(ConfigPath, newConfigText);
        Signal(Native.SIGUSR2);
    }

    /// <summary>The kill-child action: picks a child by the selector and sends the signal. Returns its pid, or 0 if none matched.</summary>
    public int KillChild(ChildSelector target, int signal)
    {
        using var board = OpenScoreboard();
        if (board is null) return 0;
        var children = board.Snapshot().Processes.ToList();
        SlotSnapshot? pick = target switch
        {
            ChildSelector.Oldest => children.OrderBy(c => c.StartNs).FirstOrDefault(),
            ChildSelector.Newest => children.OrderByDescending(c => c.StartNs).FirstOrDefault(),
            ChildSelector.Busy => children.Where(c => c.Stage is not (RequestStage.Idle or RequestStage.Starting)).OrderBy(c => c.AcceptedNs).FirstOrDefault(),
            ChildSelector.Idle => children.Where(c => c.Stage == RequestStage.Idle).OrderBy(c => c.StartNs).FirstOrDefault(),
            _ => children.OrderByDescending(c => RssKb(c.Pid)).FirstOrDefault(),
        };
        if (pick is not { } p || p.Pid == 0) return 0;
        return Native.kill(p.Pid, signal) == 0 ? p.Pid : 0;
    }

    private static long RssKb(int pid)
    {
        try
        {
            var parts = File.ReadAllText($"/proc/{pid}/statm").Split(' ');
            return long.Parse(parts[1], CultureInfo.InvariantCulture) * (Environment.SystemPageSize / 1024);
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException) { return 0; }
    }

    /// <summary>SIGTERM (php-fpm's "Terminating ..."), wait; past the timeout, SIGKILL the whole process group. True if it ended by itself.</summary>
    public bool Terminate(TimeSpan timeout) => Stop(Native.SIGTERM, timeout);

    /// <summary>Sends the signal, waits for the exit; past the timeout, SIGKILLs the process group.</summary>
    public bool Stop(int signal, TimeSpan timeout)
    {
        if (HasExited) return true;
        Signal(signal);
        if (_exited.Task.Wait(timeout)) return true;
        Kill();
        _exited.Task.Wait(TimeSpan.FromSeconds(5));
        return false;
    }

    /// <summary>SIGKILL to the master's whole process group (the master and every child).</summary>
    public void Kill()
    {
        if (HasExited) return; // reaped: its pid (and group id) may belong to someone else now
        Native.kill(-Pid, Native.SIGKILL);
        Native.kill(Pid, Native.SIGKILL);
    }

    /// <summary>The restart action (the article's kill + start): stop this master with the signal, then start a new one with the same options.</summary>
    public MasterProcess Restart(int signal, TimeSpan timeout)
    {
        Stop(signal, timeout);
        return Start(Options);
    }

    public void Dispose()
    {
        if (!HasExited) Terminate(TimeSpan.FromSeconds(5));
    }
}
