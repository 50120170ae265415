using System.Net;
using System.Net.Sockets;
using Lab.Core.Paths;
using Lab.Core.Php;
using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.Engines.Real;
using Lab.Linux.Processes;
using Lab.Pool.Launcher;

namespace Lab.Engines.Dotnet;

/// <summary>
/// engine = "dotnet": the lab's own pool — the NativeAOT master (Lab.Pool, "lab-fpm: master
/// process") forking NativeAOT workers ("lab-fpm: pool www") that really leak. Configured with
/// the same php-fpm INI text as the real php-fpm, logging the same lines. As php-fpm's, its
/// children run as the unprivileged user (www-data) when the lab is root, and its files are the
/// run's own: config, log, pid file, slow log and scoreboard mode 0600, the socket 0660 for the
/// children's user (nginx's workers) only.
/// </summary>
public sealed class DotnetPoolHost : IPoolHost
{
    private readonly PrivateTemp _temp;
    private readonly string _config, _log, _socket;
    private readonly UnprivilegedUser? _user;
    private MasterProcess? _master;
    private LogTail? _tail;

    private readonly long _codeKb;

    /// <param name="codeKb">request.code: the shared code the master creates before its children (0: none).</param>
    public DotnetPoolHost(PrivateTemp temp, UnprivilegedUser? user = null, long codeKb = 0)
    {
        _codeKb = codeKb;
        _temp = temp;
        _user = user ?? UnprivilegedUser.ForThisLab();
        _config = temp.PathOf("pool.conf");
        _log = temp.PathOf("fpm.log");
        _socket = temp.PathOf("pool.sock");
    }

    /// <summary>Is the engine usable here? Null if yes, else what to do.</summary>
    public static string? Unavailable()
    {
        foreach (var bin in new[] { LabPaths.PoolMaster, LabPaths.Worker })
            if (!File.Exists(bin))
                return $"the dotnet engine's processes are not built ({bin} is missing). ./run.sh builds them; or run: " +
                       "dotnet publish src/Lab.Worker -c Release -r linux-x64 -o artifacts/bin && dotnet publish src/Lab.Pool -c Release -r linux-x64 -o artifacts/bin";
        return null;
    }

    /// <summary>The [recycle] rules and the seed for the master and its children (Lab.Core's RecycleEnvironment); null: php-fpm's recycling only.</summary>
    public string? Recycle { get; init; }

    /// <summary>The master's extra environment: the shared code's size (request.code), the [recycle] rules.</summary>
    private Dictionary<string, string>? Environment()
    {
        var env = new Dictionary<string, string>();
        if (_codeKb > 0) env["LAB_FPM_CODE_KB"] = _codeKb.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (Recycle is not null) env[Lab.Core.ProcessManager.RecycleEnvironment.Variable] = Recycle;
        return env.Count > 0 ? env : null;
    }

    public IReadOnlyDictionary<string, string> Versions { get; } = new Dictionary<string, string>
    {
        ["lab-fpm"] = typeof(MasterProcess).Assembly.GetName().Version?.ToString() ?? "1",
    };

    public EndPoint Listen => new UnixDomainSocketEndPoint(_socket);
    public string FastCgiPass => "unix:" + _socket;
    public string DocumentRoot => "/lab/php";
    public int MasterPid => _master is { HasExited: false } m ? m.Pid : 0;
    public event Action<string>? LogLine;
    public int MapPid(int loggedPid) => loggedPid;

    private string Config(PoolSettings pool) =>
        FpmConfig.Render(pool, new FpmPaths(_temp.PathOf("fpm.pid"), _log, _socket, _user?.User, _user?.Group, _user?.User, _user?.Group,
            SlowLog: _temp.PathOf("fpm.slow.log")), FpmLogLevel.Debug);

    public Task StartAsync(PoolSettings pool, CancellationToken cancel)
    {
        PrivateTemp.WriteFile(_config, Config(pool));
        _tail ??= new LogTail(_log, line => LogLine?.Invoke(line));
        return Task.Run(() => Launch(), cancel);
    }

    private void Launch()
    {
        _master = MasterLauncher.Start(new MasterLaunchOptions
        {
            ConfigPath = _config,
            OutputPath = _temp.PathOf("master.out"),
            Environment = Environment(),
        });
        if (!_master.WaitUntilReady(TimeSpan.FromSeconds(30)))
        {
            string output = File.Exists(_temp.PathOf("master.out")) ? File.ReadAllText(_temp.PathOf("master.out")).Trim() : "";
            throw new InvalidOperationException($"the lab's master did not get ready within 30 s{(output.Length > 0 ? ": " + output : "")}");
        }
    }

    public Task RestartAsync(PoolSettings pool, CancellationToken cancel) => Task.Run(() =>
    {
        _master?.Stop(15, TimeSpan.FromSeconds(10));
        PrivateTemp.WriteFile(_config, Config(pool));
        Launch();
    }, cancel);

    public Task ReloadAsync(PoolSettings pool, CancellationToken cancel)
    {
        PrivateTemp.WriteFile(_config, Config(pool));
        _master?.Reload();
        return Task.CompletedTask;
    }

    public Task StopMasterAsync(int signal) => Task.Run(() =>
        _master?.Stop(signal, StopGrace(PoolOf(_config))));

    /// <summary>Long enough for the ladder: process_control_timeout, the SIGTERM and SIGKILL seconds, and slack.</summary>
    internal static TimeSpan StopGrace(PoolSettings? pool) => (pool?.ProcessControlTimeout ?? TimeSpan.Zero) + TimeSpan.FromSeconds(10);

    private static PoolSettings? PoolOf(string config)
    {
        try { return Lab.Pool.Config.FpmConfigFile.Load(config).Pool.Settings; }
        catch (Lab.Pool.Config.FpmConfigException) { return null; }
    }

    public Task StopAsync() => Task.Run(() =>
    {
        _master?.Terminate(TimeSpan.FromSeconds(10));
        _tail?.Dispose();
        _tail = null;
    });

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _master?.Dispose();
    }
}
