using Lab.Linux.Processes;

namespace Lab.PhpFpm;

/// <summary>
/// One running php-fpm master, started the way the lab needs it: in the foreground (-F) with
/// the run's configuration and php.ini (-y, -c; PHP_INI_SCAN_DIR empty so the system's conf.d is
/// not read), in a PID namespace of its own so that no child outlives the lab (see
/// <see cref="IsolatedProcess"/>). Its log (stderr) comes line by line to the callback. Inside
/// the namespace php-fpm logs namespace pids ("fpm is running, pid 1", "child 2 started"): each
/// line is handed on with the pids /proc shows (<see cref="PhpFpmLog.ToHostPids"/>), and
/// <see cref="MapPid"/> maps the pid a child reports itself (X-Lab-Pid: getmypid()). Each
/// "child N started" line is mapped as it is read, while the child surely lives, so its exit
/// maps too.
/// </summary>
public sealed class PhpFpmMaster : IDisposable
{
    private readonly IsolatedProcess _process;
    private readonly object _gate = new();
    private int _readyCount;
    private readonly SemaphoreSlim _readySignal = new(0);

    private PhpFpmMaster(PhpFpmInstall fpm, PhpFpmFiles files, Action<string> onLine, Isolation? isolation)
    {
        var start = new IsolatedStart(fpm.Binary, ["-F", "-y", files.Config, "-c", files.PhpIni], "php-fpm")
        {
            Environment = new Dictionary<string, string?> { ["PHP_INI_SCAN_DIR"] = "" },
            WorkingDirectory = files.Folder,
        };
        _process = IsolatedProcess.Start(start, line => OnLine(line, onLine), isolation);
    }

    /// <summary>The master's pid as /proc shows it; 0 before it is up or after it ended.</summary>
    public int Pid => _process.ServerPid;
    public IsolatedProcess Process => _process;

    /// <summary>
    /// Starts php-fpm with the files already written; returns once it logged "ready to handle
    /// connections" (its children forked, the socket listening). Throws with php-fpm's own last
    /// lines if it exits first (a bad configuration) or does not get ready in time.
    /// </summary>
    public static PhpFpmMaster Start(PhpFpmInstall fpm, PhpFpmFiles files, Action<string> onLine, TimeSpan readyTimeout,
        Isolation? isolation = null, CancellationToken cancel = default)
    {
        var master = new PhpFpmMaster(fpm, files, onLine, isolation);
        try
        {
            master.WaitReady(0, readyTimeout, cancel);
            return master;
        }
        catch
        {
            master.Dispose();
            throw;
        }
    }

    private void OnLine(string line, Action<string> forward)
    {
        // Map a new child's namespace pid at once, while it surely lives (it may serve its
        // max_requests and exit before anyone asks); then hand the line on with host pids.
        // (the reader thread may hand over the first lines before the constructor has stored _process)
        var process = IsolatedProcess.LineSource ?? _process;
        if (PhpFpmLog.StartedChild(line) is var started and > 0) process.MapPid(started);
        bool ready = line.EndsWith("ready to handle connections", StringComparison.Ordinal);
        try
        {
            forward(PhpFpmLog.ToHostPids(PhpFpmLog.DropEmptyFunction(line), process.MapPid));
        }
        finally
        {
            if (ready)
            {
                lock (_gate) _readyCount++;
                _readySignal.Release();
            }
        }
    }

    private void WaitReady(int readyBefore, TimeSpan timeout, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            lock (_gate) if (_readyCount > readyBefore) break;
            if (_process.HasExited)
            {
                _process.DrainOutput();
                throw new InvalidOperationException($"php-fpm exited before it was ready:{Tail()}");
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"php-fpm was not ready within {timeout.TotalSeconds:0} s:{Tail()}");
            _readySignal.Wait(TimeSpan.FromMilliseconds(20), cancel);
        }
        if (_process.WaitForServerPid(TimeSpan.FromSeconds(5)) == 0)
            throw new InvalidOperationException($"php-fpm's master could not be found under {_process.LauncherPid}:{Tail()}");
        // the initial children (logged before "ready") are mapped; map the master too
        _process.MapPid(1);
    }

    /// <summary>php-fpm's last words but its debug lines (spawns), for an error message.</summary>
    private string Tail() => _process.Tail(l => !l.Contains("] DEBUG: ", StringComparison.Ordinal));

    /// <summary>A pid php-fpm logged → the pid /proc shows (0 if unknown).</summary>
    public int MapPid(int loggedPid) => _process.MapPid(loggedPid);

    /// <summary>php-fpm's graceful reload (SIGUSR2; it re-executes itself with the rewritten configuration, same pid). Waits until it is ready again.</summary>
    public void Reload(TimeSpan readyTimeout)
    {
        int before;
        lock (_gate) before = _readyCount;
        if (!_process.Signal(12)) throw new InvalidOperationException("php-fpm is not running: cannot reload it");
        WaitReady(before, readyTimeout, CancellationToken.None);
    }

    /// <summary>
    /// Stops php-fpm with the signal (SIGTERM: "Terminating ...", SIGQUIT: "Finishing ...") and
    /// waits; past the grace period SIGKILLs the namespace. Every log line is read before it returns.
    /// </summary>
    public bool Stop(int signal, TimeSpan grace) => _process.Stop(signal, grace);

    public void Dispose()
    {
        _process.Dispose();
        _readySignal.Dispose();
    }
}
