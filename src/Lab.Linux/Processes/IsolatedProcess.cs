using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Lab.Linux.Processes;

/// <summary>How a server the lab starts (php-fpm, nginx) is tied to the lab's life.</summary>
public enum Isolation
{
    /// <summary>
    /// A PID namespace of its own (needs root): the server is the namespace's pid 1, so when it
    /// dies the kernel kills every process of the namespace, its workers included. The chain is
    /// setpriv --pdeathsig KILL → unshare --kill-child=SIGKILL → server: the lab's death kills
    /// unshare, whose death kills the server, whose death empties the namespace.
    /// </summary>
    PidNamespace,
    /// <summary>The same inside a new user namespace (an unprivileged lab, where the kernel allows it).</summary>
    UserPidNamespace,
    /// <summary>
    /// Only PR_SET_PDEATHSIG = SIGTERM on the server: it shuts its workers down when the lab
    /// dies. Weaker: a server that is itself SIGKILLed leaves its workers (php-fpm's children
    /// are re-parented to init and keep the socket).
    /// </summary>
    ParentDeathSignal,
}

/// <summary>What to start: the program, its arguments and environment changes, a short name for messages and threads.</summary>
public sealed record IsolatedStart(string Program, IReadOnlyList<string> Arguments, string Name)
{
    /// <summary>Variables to set (a null value removes the variable).</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();
    public string? WorkingDirectory { get; init; }
}

/// <summary>
/// A server process (php-fpm's master, nginx's master) started so that no process of it
/// outlives the lab — after a normal end, Ctrl-C, or a SIGKILL of the lab (see
/// <see cref="Isolation"/>). It runs in a session of its own (a Ctrl-C typed at the terminal
/// reaches the lab only, which stops the server itself), and its stdout and stderr come back
/// line by line to a callback, on a thread of their own, as they are written (php-fpm's error
/// log is its stderr: the lab needs each line at once, to map a child's namespace pid while the
/// child still lives).
/// <para>Linux fires PR_SET_PDEATHSIG when the THREAD that forked the process ends, not the
/// process: every server is therefore forked from one dedicated thread that lives as long as the
/// lab, never from a thread-pool thread that may be retired.</para>
/// </summary>
public sealed partial class IsolatedProcess : IDisposable
{
    private static readonly BlockingCollection<Action> LauncherWork = new();
    private static readonly Lazy<Thread> LauncherThread = new(() =>
    {
        var t = new Thread(() => { foreach (var work in LauncherWork.GetConsumingEnumerable()) work(); })
        { IsBackground = true, Name = "lab server launcher" };
        t.Start();
        return t;
    });

    [ThreadStatic] private static IsolatedProcess? t_lineSource;

    private readonly Process _process;
    private readonly Action<string> _onLine;
    private readonly Thread _stdout, _stderr;
    private readonly object _gate = new();
    private readonly Dictionary<int, int> _namespaceToHost = new();
    private readonly Queue<string> _lastLines = new();
    private int _serverPid;

    private IsolatedProcess(Process process, Isolation isolation, string name, Action<string> onLine)
    {
        _process = process;
        Isolation = isolation;
        Name = name;
        _onLine = onLine;
        LauncherPid = process.Id;
        if (isolation == Isolation.ParentDeathSignal) _serverPid = process.Id;
        Exited = process.WaitForExitAsync();
        // last: the readers call back at once, on their own threads
        _stdout = ReaderThread(process.StandardOutput, name + " stdout");
        _stderr = ReaderThread(process.StandardError, name + " stderr");
    }

    public Isolation Isolation { get; }
    public string Name { get; }
    /// <summary>The process the lab forked (setpriv → unshare; the server itself without a namespace).</summary>
    public int LauncherPid { get; }
    /// <summary>Completes when the launcher has exited (and so, in a namespace, every process of it).</summary>
    public Task Exited { get; }
    public bool HasExited => Exited.IsCompleted;

    /// <summary>The isolated process whose output line is being handed to the callback on this thread (null elsewhere).</summary>
    public static IsolatedProcess? LineSource => t_lineSource;

    /// <summary>The first exception the line callback threw (null if none): a bug of the lab's, shown in error messages.</summary>
    public Exception? CallbackError { get; private set; }

    /// <summary>The last lines of output (for error messages).</summary>
    public IReadOnlyList<string> LastLines { get { lock (_gate) return _lastLines.ToList(); } }

    /// <summary>
    /// The last 8 lines of output that keep lets through (all by default), indented, for an error
    /// message; " (no output)" if none; and the line callback's failure, if it failed.
    /// </summary>
    public string Tail(Func<string, bool>? keep = null)
    {
        var lines = LastLines.Where(keep ?? (_ => true)).TakeLast(8).ToList();
        string text = lines.Count == 0 ? " (no output)" : "\n  " + string.Join("\n  ", lines);
        return CallbackError is { } e ? text + $"\n  (the lab failed to handle a line of {Name}'s output: {e})" : text;
    }

    /// <summary>The isolation this lab gets: a PID namespace as root, a user + PID namespace where allowed, else the parent-death signal.</summary>
    public static Isolation Available => LazyAvailable.Value;
    private static readonly Lazy<Isolation> LazyAvailable = new(Detect);

    /// <summary>
    /// Starts the program under the given isolation (default: <see cref="Available"/>).
    /// Every line it writes to stdout or stderr goes to onLine (on a reader thread).
    /// </summary>
    public static IsolatedProcess Start(IsolatedStart start, Action<string> onLine, Isolation? isolation = null)
    {
        var how = isolation ?? Available;
        var psi = new ProcessStartInfo(Tools.SetPriv)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = start.WorkingDirectory ?? "/",
        };
        foreach (var arg in Command(start, how)) psi.ArgumentList.Add(arg);
        foreach (var (k, v) in start.Environment)
        {
            if (v is null) psi.Environment.Remove(k);
            else psi.Environment[k] = v;
        }

        var started = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = LauncherThread.Value;
        LauncherWork.Add(() =>
        {
            try { started.SetResult(Process.Start(psi) ?? throw new InvalidOperationException($"could not start {start.Program}")); }
            catch (Exception e) { started.SetException(e); }
        });
        var process = started.Task.GetAwaiter().GetResult();
        process.StandardInput.Close();
        return new IsolatedProcess(process, how, start.Name, onLine);
    }

    /// <summary>The command line (after setpriv) for an isolation.</summary>
    public static IReadOnlyList<string> Command(IsolatedStart start, Isolation isolation)
    {
        var args = new List<string>();
        switch (isolation)
        {
            case Isolation.PidNamespace:
            case Isolation.UserPidNamespace:
                args.AddRange(["--pdeathsig", "KILL", "--", Tools.SetSid, Tools.Unshare]);
                if (isolation == Isolation.UserPidNamespace) args.AddRange(["--user", "--map-current-user"]);
                args.AddRange(["--pid", "--fork", "--kill-child=SIGKILL", "--"]);
                break;
            default:
                args.AddRange(["--pdeathsig", "TERM", "--", Tools.SetSid]);
                break;
        }
        args.Add(start.Program);
        args.AddRange(start.Arguments);
        return args;
    }

    /// <summary>
    /// The server's pid as /proc shows it (the namespace's pid 1), 0 while it is not there yet
    /// or after it ended.
    /// </summary>
    public int ServerPid
    {
        get
        {
            if (HasExited) return 0;
            lock (_gate)
            {
                if (_serverPid == 0) Refresh();
                return _serverPid;
            }
        }
    }

    /// <summary>Waits until the server process exists (in a namespace: unshare has forked it).</summary>
    public int WaitForServerPid(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (ServerPid is var pid and > 0) return pid;
            if (HasExited) return 0;
            Thread.Sleep(2);
        }
        return 0;
    }

    /// <summary>
    /// A pid as the server's own log writes it (a namespace pid) → the pid /proc shows. Known pids
    /// are remembered after the process ended, so the exit of a child maps too. 0 if unknown.
    /// </summary>
    public int MapPid(int loggedPid)
    {
        if (Isolation == Isolation.ParentDeathSignal) return loggedPid;
        lock (_gate)
        {
            if (_namespaceToHost.TryGetValue(loggedPid, out int host)) return host;
            Refresh();
            return _namespaceToHost.TryGetValue(loggedPid, out host) ? host : 0;
        }
    }

    /// <summary>Has this namespace pid been seen (mapped) already?</summary>
    public bool Knows(int loggedPid)
    {
        if (Isolation == Isolation.ParentDeathSignal) return true;
        lock (_gate) return _namespaceToHost.ContainsKey(loggedPid);
    }

    // under _gate: every live process of the namespace, by its innermost pid
    private void Refresh()
    {
        if (Isolation == Isolation.ParentDeathSignal) return;
        foreach (int pid in Proc.Proc.Descendants(LauncherPid))
        {
            var ns = ProcInfo.NamespacePids(pid);
            if (ns.Length < 2) continue; // not inside the namespace (or gone)
            _namespaceToHost[ns[^1]] = pid;
            if (ns[^1] == 1 && _serverPid == 0) _serverPid = pid;
        }
    }

    /// <summary>Sends a signal to the server (not to the launcher). False if it is not running.</summary>
    public bool Signal(int signal)
    {
        int pid = ServerPid;
        return pid > 0 && !HasExited && kill(pid, signal) == 0;
    }

    /// <summary>
    /// Sends the signal to the server and waits for the whole thing to end; past the grace period
    /// SIGKILLs it (in a namespace: every process of it). Then reads the output to its end.
    /// True if it ended by itself.
    /// </summary>
    public bool Stop(int signal, TimeSpan grace)
    {
        bool clean = true;
        if (!HasExited)
        {
            Signal(signal);
            if (!Exited.Wait(grace))
            {
                clean = false;
                Kill();
                Exited.Wait(TimeSpan.FromSeconds(10));
            }
        }
        DrainOutput();
        return clean;
    }

    /// <summary>SIGKILL: the server (in a namespace its death takes every process of the namespace) and the launcher.</summary>
    public void Kill()
    {
        if (HasExited) return; // reaped: its pid may belong to someone else now
        int server;
        lock (_gate) server = _serverPid;
        if (server > 0 && server != LauncherPid) kill(server, 9);
        kill(LauncherPid, 9);
    }

    /// <summary>Waits (bounded) until every line of output was handed over (the pipes reached end of file).</summary>
    public void DrainOutput()
    {
        _stdout.Join(TimeSpan.FromSeconds(5));
        _stderr.Join(TimeSpan.FromSeconds(5));
    }

    private Thread ReaderThread(StreamReader reader, string name)
    {
        var t = new Thread(() =>
        {
            try
            {
                string? line;
                while ((line = reader.ReadLine()) is not null)
                {
                    lock (_gate)
                    {
                        _lastLines.Enqueue(line);
                        if (_lastLines.Count > 40) _lastLines.Dequeue();
                    }
                    t_lineSource = this;
                    try { _onLine(line); }
                    catch (Exception e)
                    {
                        // a failure of the lab's own handling: kept for the error message, the reading goes on
                        lock (_gate) CallbackError ??= e;
                        Trace.WriteLine($"{Name}: the line callback failed: {e}");
                    }
                    finally { t_lineSource = null; }
                }
            }
            catch (IOException) { }
            catch (ObjectDisposedException) { }
        }) { IsBackground = true, Name = name };
        t.Start();
        return t;
    }

    public void Dispose()
    {
        if (!HasExited)
        {
            Kill();
            Exited.Wait(TimeSpan.FromSeconds(10));
        }
        DrainOutput();
        _process.Dispose();
    }

    private static Isolation Detect()
    {
        if (geteuid() == 0) return Isolation.PidNamespace;
        // An unprivileged lab: a user namespace may be allowed (kernel.unprivileged_userns_clone).
        try
        {
            var psi = new ProcessStartInfo(Tools.Unshare) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "--user", "--map-current-user", "--pid", "--fork", "--kill-child=SIGKILL", "--", "true" }) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi);
            if (p is not null && p.WaitForExit(5000) && p.ExitCode == 0) return Isolation.UserPidNamespace;
        }
        catch (System.ComponentModel.Win32Exception) { }
        return Isolation.ParentDeathSignal;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);

    [LibraryImport("libc")]
    private static partial uint geteuid();

    /// <summary>Is the lab running as root?</summary>
    public static bool IsRoot => geteuid() == 0;
}

/// <summary>util-linux's tools the launcher uses (setpriv, setsid, unshare: Debian's essential package).</summary>
public static class Tools
{
    public static string SetPriv => Find("setpriv");
    public static string SetSid => Find("setsid");
    public static string Unshare => Find("unshare");

    /// <summary>Null if every tool is there, else what is missing and how to get it.</summary>
    public static string? Missing()
    {
        var missing = new[] { "setpriv", "setsid", "unshare" }.Where(t => Locate(t) is null).ToList();
        return missing.Count == 0 ? null
            : $"{string.Join(", ", missing)} (util-linux) not found on PATH; install util-linux (sudo apt-get install -y util-linux)";
    }

    private static string Find(string tool) => Locate(tool) ?? tool;

    /// <summary>The full path of an executable on PATH or in the sbin folders, or null.</summary>
    public static string? Locate(string name) =>
        SearchDirs().Select(d => Path.Combine(d, name)).FirstOrDefault(p => File.Exists(p) && IsExecutable(p));

    /// <summary>Where programs are looked for: PATH, then the sbin folders (not on a user's PATH on Debian), /usr/bin and /bin.</summary>
    public static IEnumerable<string> SearchDirs() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin"]).Distinct();

    /// <summary>Has the file an execute bit (owner, group or others)?</summary>
    public static bool IsExecutable(string path) =>
        (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
}
