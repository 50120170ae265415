using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Lab.Core.Events;
using Lab.Core.Php;
using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.FastCgi;
using Lab.Pool.Launcher;

namespace Lab.Pool.Tests;

/// <summary>
/// A real pool for one test: a private temp folder, the php-fpm configuration rendered by
/// Lab.Core's FpmConfig, the published master launched by MasterProcess, a FastCGI client.
/// Everything is ended in Dispose (SIGTERM, then SIGKILL of the process group), and the
/// processes seen are checked gone.
/// </summary>
public sealed class TestPool : IDisposable
{
    public static readonly Regex FpmLine = new(@"^\[\d{2}-[A-Z][a-z]{2}-\d{4} \d{2}:\d{2}:\d{2}\] (DEBUG|NOTICE|WARNING|ERROR|ALERT): \S.*$");

    private readonly HashSet<int> _seenPids = new();

    public TestPool(PoolSettings settings, FpmLogLevel logLevel = FpmLogLevel.Notice, bool start = true, IEnumerable<string>? extraLines = null)
    {
        RequireBinaries();
        Dir = Directory.CreateTempSubdirectory("lab-pool-test-").FullName;
        Settings = settings;
        ConfigPath = Path.Combine(Dir, "php-fpm.conf");
        LogLevel = logLevel;
        ExtraLines = extraLines;
        WriteConfig(settings);
        if (start) Start();
    }

    public string Dir { get; }
    public string ConfigPath { get; }
    public string SocketPath => Path.Combine(Dir, "php-fpm.sock");
    public string LogPath => Path.Combine(Dir, "fpm.log");
    public string PidFile => Path.Combine(Dir, "php-fpm.pid");
    public PoolSettings Settings { get; private set; }
    public FpmLogLevel LogLevel { get; }
    public IEnumerable<string>? ExtraLines { get; }
    public MasterProcess Master { get; private set; } = null!;
    public UnixDomainSocketEndPoint EndPoint => new(SocketPath);

    public static void RequireBinaries()
    {
        if (MasterProcess.Unpublished() is { } missing) throw new InvalidOperationException(missing);
    }

    public string RenderConfig(PoolSettings settings) =>
        FpmConfig.Render(settings, new FpmPaths(PidFile, LogPath, SocketPath, SlowLog: Path.Combine(Dir, "slow.log")), LogLevel, ExtraLines);

    public void WriteConfig(PoolSettings settings)
    {
        Settings = settings;
        File.WriteAllText(ConfigPath, RenderConfig(settings));
    }

    public void Start()
    {
        Master = MasterProcess.Start(new MasterLaunchOptions
        {
            ConfigPath = ConfigPath, OutputPath = Path.Combine(Dir, "master.out"),
        });
        _seenPids.Add(Master.Pid);
        Assert.True(Master.WaitUntilReady(TimeSpan.FromSeconds(20)), "the pool did not become ready:\n" + Log());
    }

    public static IReadOnlyList<KeyValuePair<string, string>> Params(string query, string script = "/leak.php") =>
        FastCgiRequests.Get("/lab/php" + script, script + (query.Length > 0 ? "?" + query : ""));

    public async Task<FastCgiResponse> SendAsync(string query, string script = "/leak.php", TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        await using var client = await FastCgiClient.ConnectAsync(EndPoint, cts.Token);
        var response = await client.SendAsync(Params(query, script), ReadOnlyMemory<byte>.Empty, cts.Token);
        if (response.Header("X-Lab-Pid") is { } pid) _seenPids.Add(int.Parse(pid, CultureInfo.InvariantCulture));
        return response;
    }

    public static string Query(long id, long leakKb = 0, long transientKb = 0, double workMs = 0, double waitMs = 0) =>
        new Lab.Core.Requests.RequestSpec(id, leakKb, transientKb, workMs, waitMs).Query;

    public string Log() => File.Exists(LogPath) ? File.ReadAllText(LogPath) : "";
    public string[] LogLines() => Log().Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private readonly Dictionary<int, ExitCause> _expected = new();

    /// <summary>
    /// The pool's events, as a run makes them: the master's log read back line by line and
    /// followed by Lab.Core's FpmLogFollower (T: seconds of the day of the line's timestamp; a
    /// log at debug has the spawns and the exits of a stop or reload, at notice only the others).
    /// </summary>
    public IReadOnlyList<PoolEvent> Events()
    {
        var events = new List<PoolEvent>();
        var follower = new FpmLogFollower(events.Add, Settings);
        lock (_expected) foreach (var (pid, why) in _expected) follower.ExpectExit(pid, why);
        foreach (var raw in LogLines())
        {
            if (Lab.Results.Reading.FpmLogParser.ParseLine(raw) is not { } line) continue;
            var stamp = DateTime.ParseExact(line.Timestamp, "dd-MMM-yyyy HH:mm:ss", CultureInfo.InvariantCulture);
            int dot = raw.IndexOf('.', 1);
            double fraction = dot > 0 && dot < raw.IndexOf(']') ? double.Parse("0" + raw[dot..raw.IndexOf(']')], CultureInfo.InvariantCulture) : 0;
            follower.On(stamp.TimeOfDay.TotalSeconds + fraction, Lab.Results.Reading.FpmLogParser.Classify(line.Message), line.Level);
        }
        return events;
    }

    /// <summary>The lab's kill-child: picks and signals a child; its exit will read "kill-child", as in a run.</summary>
    public int KillChild(ChildSelector target, int signal)
    {
        int pid = Master.KillChild(target, signal);
        if (pid != 0 && FpmLogFollower.EndsProcess(signal)) lock (_expected) _expected[pid] = ExitCause.KillChild;
        return pid;
    }

    /// <summary>Polls (no wall-clock assertion: the deadline is only a bound against hanging).</summary>
    public static bool WaitFor(Func<bool> condition, TimeSpan? limit = null)
    {
        var sw = Stopwatch.StartNew();
        var max = limit ?? TimeSpan.FromSeconds(30);
        while (sw.Elapsed < max)
        {
            if (condition()) return true;
            Thread.Sleep(20);
        }
        return condition();
    }

    public IReadOnlyList<int> ChildPids()
    {
        var pids = Master.Children().Select(c => c.Pid).ToList();
        foreach (var p in pids) _seenPids.Add(p);
        return pids;
    }

    /// <summary>Live processes whose parent is the given pid (from /proc).</summary>
    public static IReadOnlyList<int> ProcChildren(int parent)
    {
        var list = new List<int>();
        foreach (var d in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(d), out int pid)) continue;
            try
            {
                string stat = File.ReadAllText(Path.Combine(d, "stat"));
                var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (int.Parse(rest[1], CultureInfo.InvariantCulture) == parent && rest[0] != "Z") list.Add(pid);
            }
            catch (IOException) { }
        }
        return list;
    }

    /// <summary>Is the process alive (exists and is not a zombie)?</summary>
    public static bool Alive(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException) { return false; }
    }

    /// <summary>RSS in KiB from /proc/PID/statm (resident pages × page size).</summary>
    public static long StatmRssKb(int pid)
    {
        var parts = File.ReadAllText($"/proc/{pid}/statm").Split(' ');
        return long.Parse(parts[1], CultureInfo.InvariantCulture) * Environment.SystemPageSize / 1024;
    }

    public static string Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return output;
    }

    public void Dispose()
    {
        try
        {
            if (Master is not null)
            {
                foreach (var c in TryChildPids()) _seenPids.Add(c);
                Master.Dispose();
            }
        }
        finally
        {
            // nothing may outlive a test: kill what is left of what we saw
            WaitFor(() => _seenPids.All(p => !Alive(p)), TimeSpan.FromSeconds(10));
            foreach (var p in _seenPids.Where(Alive)) Lab.Pool.Tests.Sys.Kill(p, 9);
            try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
        }
    }

    private IReadOnlyList<int> TryChildPids()
    {
        try { return ProcChildren(Master.Pid); } catch (IOException) { return []; }
    }
}

internal static partial class Sys
{
    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);
}
