using System.Net;
using Lab.Core.Scenarios;

namespace Lab.Engines.Real;

/// <summary>
/// The pool under test, whoever runs it: the lab's dotnet master (Lab.Pool) or the real php-fpm.
/// Both are configured by the same php-fpm INI text, controlled with php-fpm's signals and write
/// php-fpm's log, so one real-run driver serves both.
/// </summary>
public interface IPoolHost : IAsyncDisposable
{
    /// <summary>Versions of what runs, for manifest.json (e.g. "php-fpm": "8.2.29").</summary>
    IReadOnlyDictionary<string, string> Versions { get; }
    /// <summary>The pool's FastCGI socket.</summary>
    EndPoint Listen { get; }
    /// <summary>The pool's socket path as nginx's fastcgi_pass wants it ("unix:/path").</summary>
    string FastCgiPass { get; }
    /// <summary>The pool's document root: SCRIPT_FILENAME of a request is this and its script ("/leak.php").</summary>
    string DocumentRoot { get; }
    /// <summary>The master's pid (as /proc sees it), 0 while none runs.</summary>
    int MasterPid { get; }
    /// <summary>Each line of the master's error log, as it arrives (on a background thread).</summary>
    event Action<string>? LogLine;

    /// <summary>Writes the configuration, starts the master, returns when it accepts connections.</summary>
    Task StartAsync(PoolSettings pool, CancellationToken cancel);
    /// <summary>The article's restart: kill the master (SIGTERM, its children with it), start a new one.</summary>
    Task RestartAsync(PoolSettings pool, CancellationToken cancel);
    /// <summary>Rewrite the configuration, then SIGUSR2 (graceful reload; same master pid).</summary>
    Task ReloadAsync(PoolSettings pool, CancellationToken cancel);
    /// <summary>Stops the master and every process of the pool (SIGTERM, then SIGKILL after a grace period).</summary>
    Task StopAsync();
    /// <summary>The stop action: this signal to the master (SIGQUIT: php-fpm's graceful stop), then wait until it has exited.</summary>
    Task StopMasterAsync(int signal);
    /// <summary>A pid as the log writes it → the pid /proc shows (they differ inside a PID namespace).</summary>
    int MapPid(int loggedPid);
}
