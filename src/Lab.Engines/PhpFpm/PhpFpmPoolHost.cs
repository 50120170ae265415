using System.Net;
using System.Net.Sockets;
using Lab.Core.Paths;
using Lab.Core.Scenarios;
using Lab.Engines.Real;
using Lab.PhpFpm;
using Lab.Linux.Processes;

namespace Lab.Engines.PhpFpm;

/// <summary>
/// engine = "php-fpm": the distribution's php-fpm (Debian's php8.2-fpm) running lab/php/leak.php
/// (or the scenario's own docroot, php.root), configured by the same php-fpm INI text as the
/// dotnet engine plus an isolated php.ini (with [php] extensions and ini), all in the run's
/// private temporary folder. Children run as www-data when the lab is root. The master
/// runs in a PID namespace of its own (no orphans, whatever happens to the lab); its log lines
/// reach the run with host pids, and the namespace pid a child reports (X-Lab-Pid) is mapped
/// through the namespace of the master that forked it (a restart starts a new namespace, whose
/// pids start at 1 again).
/// </summary>
public sealed class PhpFpmPoolHost : IPoolHost
{
    private readonly PhpFpmInstall _fpm;
    private readonly PhpFpmFiles _files;
    private readonly PhpSettings _php;
    private readonly PhpIniAdditions _additions;
    private readonly UnprivilegedUser? _user;
    private readonly object _gate = new();
    private PhpFpmMaster? _master;
    private readonly List<PhpFpmMaster> _retired = new(); // earlier masters (restarts): their late lines and pids still map

    /// <param name="php">The scenario's [php]: the docroot copied into the run (lab/php/ when none), its ini directives.</param>
    /// <param name="extensions">The [php] extensions' ini files, resolved (and installed) beforehand.</param>
    /// <param name="codeKb">request.code: PHP classes of that size generated for the lab's scripts, loaded by every request.</param>
    public PhpFpmPoolHost(PrivateTemp temp, PhpFpmInstall fpm, PhpSettings php, IReadOnlyList<PhpExtensionIni> extensions, UnprivilegedUser? user = null, long codeKb = 0)
    {
        _fpm = fpm;
        _files = new PhpFpmFiles(temp.Path);
        _php = php;
        // your own scripts do not say which child served them: the lab's prepend does (X-Lab-Pid)
        _additions = new PhpIniAdditions(extensions, php.Ini, php.Root is null ? null : _files.Prepend, php.Opcache, codeKb);
        _user = user ?? UnprivilegedUser.ForThisLab();
        Versions = new Dictionary<string, string> { ["php-fpm"] = fpm.Version };
    }

    /// <summary>Where the lab's PHP scripts are (lab/php/ of the repository).</summary>
    public static string ScriptsSource => Path.Combine(LabPaths.LabDir, "php");

    public IReadOnlyDictionary<string, string> Versions { get; }
    public EndPoint Listen => new UnixDomainSocketEndPoint(_files.Socket);
    public string FastCgiPass => "unix:" + _files.Socket;
    public string DocumentRoot => _files.Scripts;
    public int MasterPid { get { lock (_gate) return _master?.Pid ?? 0; } }
    public event Action<string>? LogLine;

    private PoolSettings? _pool;

    public Task StartAsync(PoolSettings pool, CancellationToken cancel) => Task.Run(() =>
    {
        _pool = pool;
        if (_additions.AutoPrepend is not null) _files.WritePrepend();
        _files.Write(pool, _user, _php.Root ?? ScriptsSource, _additions);
        Launch(cancel);
    }, cancel);

    private void Launch(CancellationToken cancel)
    {
        var master = PhpFpmMaster.Start(_fpm, _files, OnLine, TimeSpan.FromSeconds(30), cancel: cancel);
        lock (_gate) _master = master;
    }

    /// <summary>The article's restart: SIGTERM to the master (its children go with it), then a new master, in a new namespace.</summary>
    public Task RestartAsync(PoolSettings pool, CancellationToken cancel) => Task.Run(() =>
    {
        PhpFpmMaster? old;
        lock (_gate) { old = _master; _master = null; }
        if (old is not null)
        {
            old.Stop(15, TimeSpan.FromSeconds(15));   // returns once its last log line was read
            lock (_gate) _retired.Add(old);
        }
        _pool = pool;
        _files.WriteConfig(pool, _user, _additions);
        Launch(cancel);
    }, cancel);

    /// <summary>Rewrites the configuration, SIGUSR2 (php-fpm re-executes itself: same pid, fresh children); returns when it is ready again.</summary>
    public Task ReloadAsync(PoolSettings pool, CancellationToken cancel) => Task.Run(() =>
    {
        _pool = pool;
        _files.WriteConfig(pool, _user, _additions);
        PhpFpmMaster? master;
        lock (_gate) master = _master;
        master?.Reload(TimeSpan.FromSeconds(30));
    }, cancel);

    public Task StopAsync() => Task.Run(() =>
    {
        PhpFpmMaster? master;
        lock (_gate) master = _master;
        master?.Stop(15, TimeSpan.FromSeconds(15));
    });

    /// <summary>The stop action: the signal (SIGQUIT: "Finishing ...") and the wait, past the ladder's length.</summary>
    public Task StopMasterAsync(int signal) => Task.Run(() =>
    {
        PhpFpmMaster? master;
        lock (_gate) master = _master;
        master?.Stop(signal, _pool is { } p ? p.ProcessControlTimeout + TimeSpan.FromSeconds(10) : TimeSpan.FromSeconds(15));
    });

    /// <summary>
    /// A pid in a log line or a request's X-Lab-Pid → the pid /proc shows (0 if unknown). The
    /// log lines come with host pids already (<see cref="PhpFpmLog.ToHostPids"/>, so fpm.log
    /// shows the pids of ps.log): on the line's own thread the pid is kept. A child's X-Lab-Pid
    /// (its getmypid(), a namespace pid) maps through the current master's namespace, else
    /// through the earlier masters' (restarts) that knew it.
    /// </summary>
    public int MapPid(int loggedPid)
    {
        if (IsolatedProcess.LineSource is not null) return loggedPid;
        PhpFpmMaster? current;
        List<PhpFpmMaster> all;
        lock (_gate)
        {
            current = _master;
            all = [.. _retired];
            if (current is not null) all.Add(current);
        }
        if (current is not null && current.MapPid(loggedPid) is var pid and > 0) return pid;
        for (int i = all.Count - 1; i >= 0; i--)
            if (all[i] != current && all[i].Process.Knows(loggedPid)) return all[i].MapPid(loggedPid);
        return 0;
    }

    private void OnLine(string line) => LogLine?.Invoke(line);

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        List<PhpFpmMaster> all;
        lock (_gate)
        {
            all = [.. _retired];
            if (_master is not null) all.Add(_master);
        }
        foreach (var m in all) m.Dispose();
    }
}
