using Lab.Linux.Proc;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Lab.Core.Php;
using Lab.Core.Records;
using Lab.Core.Requests;
using Lab.Core.Scenarios;
using Lab.Core.Time;
using Lab.FastCgi;
using Lab.Pool.Launcher;
using Lab.Probe;

namespace Lab.Benchmarks;

/// <summary>
/// The dotnet engine's pool: the published NativeAOT master and workers (artifacts/bin/Lab.Pool,
/// Lab.Worker), configured by FpmConfig's php-fpm text and launched by MasterLauncher as a run
/// launches them, driven over FastCGI (one connection per request, as nginx does) with trivial
/// requests (leak 0, work 0).
/// <list type="bullet">
/// <item>Throughput: pm static, 4 children, 8 concurrent clients. Mean is wall time per request
/// (all clients together), Op/s the pool's req/s.</item>
/// <item>ThroughputMaxRequests1: the same with pm.max_requests = 1: a new child per request.</item>
/// <item>WarmRequest: one request to a 1-child static pool whose child is waiting in accept() — the baseline.</item>
/// <item>RespawnRequest: the same pool with pm.max_requests = 1: each request is sent as soon as the
/// previous one is answered, so it waits for the child's max_requests exit, the reap and the new child.</item>
/// <item>SpawnOnEmptyPool: pm ondemand, no child running (the previous one was killed after
/// process_idle_timeout = 1s; the iteration setup waits for that): the request's accept event forks the child.</item>
/// </list>
/// "− warm" is a row's median minus WarmRequest's median: the respawn cost and the
/// spawn-to-first-request cost. The RSS columns are /proc/PID/statm of the pool's processes:
/// children fresh (idle, nothing served) after the pool started, children idle after the
/// benchmark's requests, and the master. Targets: ≤ 10 ms respawn / spawn, ≤ 16 MiB idle child.
/// Every master (and its children) is stopped in the global cleanup, and at process exit at the latest.
/// Run: ./run.sh bench '*Pool*'
/// </summary>
[Config(typeof(PoolBenchConfig))]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 12)]
public class PoolBenchmarks
{
    public const int Clients = 8;
    public const int ThroughputRequests = 4_000;
    public const int RecycleRequests = 600;

    private static readonly IReadOnlyList<KeyValuePair<string, string>> Trivial =
        FastCgiRequests.Get("/lab/php/leak.php", "/leak.php?" + new RequestSpec(1, 0, 0, 0, 0).Query);

    private BenchPool _pool = null!;
    private string _benchmark = "";
    private readonly Dictionary<string, double> _rss = [];

    /// <summary>Where a benchmark leaves its RSS figures for the summary's columns (they are computed in the host process).</summary>
    internal static string RssFile(string benchmark) => Path.Combine(Path.GetTempPath(), $"lab-bench-pool-{benchmark}.txt");

    [GlobalSetup(Target = nameof(Throughput))]
    public void SetupThroughput() => Setup(nameof(Throughput), new PoolSettings { Pm = ProcessManagerStyle.Static, MaxChildren = 4 });

    [GlobalSetup(Target = nameof(ThroughputMaxRequests1))]
    public void SetupThroughputMaxRequests1() =>
        Setup(nameof(ThroughputMaxRequests1), new PoolSettings { Pm = ProcessManagerStyle.Static, MaxChildren = 4, MaxRequests = 1 });

    [GlobalSetup(Target = nameof(WarmRequest))]
    public void SetupWarm() => Setup(nameof(WarmRequest), new PoolSettings { Pm = ProcessManagerStyle.Static, MaxChildren = 1 });

    [GlobalSetup(Target = nameof(RespawnRequest))]
    public void SetupRespawn() =>
        Setup(nameof(RespawnRequest), new PoolSettings { Pm = ProcessManagerStyle.Static, MaxChildren = 1, MaxRequests = 1 });

    [GlobalSetup(Target = nameof(SpawnOnEmptyPool))]
    public void SetupSpawn() =>
        Setup(nameof(SpawnOnEmptyPool), new PoolSettings { Pm = ProcessManagerStyle.Ondemand, MaxChildren = 1, ProcessIdleTimeout = TimeSpan.FromSeconds(1) });

    private void Setup(string benchmark, PoolSettings settings)
    {
        _benchmark = benchmark;
        File.Delete(RssFile(benchmark));
        _pool = new BenchPool(settings);
        if (_pool.MeanChildRssKb() is { } fresh) _rss["child_fresh_kb"] = fresh;
    }

    [Benchmark(OperationsPerInvoke = ThroughputRequests)]
    public Task<int> Throughput() => Load(ThroughputRequests);

    [Benchmark(OperationsPerInvoke = RecycleRequests)]
    public Task<int> ThroughputMaxRequests1() => Load(RecycleRequests);

    [Benchmark]
    public Task<int> WarmRequest() => One();

    [Benchmark]
    public Task<int> RespawnRequest() => One();

    /// <summary>Waits (untimed) until the ondemand pool has no child left, reaped and gone.</summary>
    [IterationSetup(Target = nameof(SpawnOnEmptyPool))]
    public void WaitForEmptyPool()
    {
        if (!BenchPool.WaitFor(() => _pool.ChildCount() == 0, TimeSpan.FromSeconds(15)))
            throw new InvalidOperationException("the ondemand pool's child was not killed after process_idle_timeout");
    }

    [Benchmark]
    public Task<int> SpawnOnEmptyPool() => One();

    /// <summary>One trivial request on its own connection; throws unless it is answered 200.</summary>
    private async Task<int> One()
    {
        await using var c = await FastCgiClient.ConnectAsync(_pool.EndPoint, CancellationToken.None);
        var r = await c.SendAsync(Trivial, ReadOnlyMemory<byte>.Empty, CancellationToken.None);
        if (r.Status != 200) throw new InvalidOperationException($"status {r.Status}: {r.BodyText}");
        return r.Status;
    }

    /// <summary>`total` trivial requests from `Clients` concurrent loops, one connection per request.</summary>
    private async Task<int> Load(int total)
    {
        var ep = _pool.EndPoint;
        int next = -1, failures = 0;
        var loops = new Task[Clients];
        for (int l = 0; l < Clients; l++)
            loops[l] = Task.Run(async () =>
            {
                while (Interlocked.Increment(ref next) < total)
                {
                    try
                    {
                        await using var c = await FastCgiClient.ConnectAsync(ep, CancellationToken.None);
                        var r = await c.SendAsync(Trivial, ReadOnlyMemory<byte>.Empty, CancellationToken.None);
                        if (r.Status != 200) Interlocked.Increment(ref failures);
                    }
                    catch (IOException) { Interlocked.Increment(ref failures); }
                }
            });
        await Task.WhenAll(loops);
        if (failures > 0) throw new InvalidOperationException($"{failures} of {total} requests failed");
        return total;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        try
        {
            // the children idle after the benchmark's requests (a static pool's respawns done)
            _pool.Master.WaitUntilReady(TimeSpan.FromSeconds(10));
            if (_pool.MeanChildRssKb() is { } idle) _rss["child_idle_kb"] = idle;
            if (BenchPool.StatmRssKb(_pool.Master.Pid) is { } master) _rss["master_kb"] = master;
            File.WriteAllLines(RssFile(_benchmark), _rss.Select(kv => $"{kv.Key}={kv.Value.ToString("R", CultureInfo.InvariantCulture)}"));
            Console.WriteLine("// pool RSS (KiB): " + string.Join(", ", _rss.Select(kv => $"{kv.Key} {kv.Value:F0}")));
        }
        finally
        {
            _pool.Dispose();
        }
    }
}

/// <summary>Req/s, median, "− warm" and the RSS columns in the summary table.</summary>
public sealed class PoolBenchConfig : ManualConfig
{
    public PoolBenchConfig()
    {
        AddColumn(StatisticColumn.Median, StatisticColumn.OperationsPerSecond);
        AddColumn(new MinusWarmColumn());
        AddColumn(new RssColumn("child_fresh_kb", "child RSS fresh", "mean RSS of the pool's children right after it started (idle, nothing served), /proc/PID/statm", 1),
                  new RssColumn("child_idle_kb", "child RSS idle", "mean RSS of the pool's idle children after the benchmark's requests, /proc/PID/statm (target ≤ 16 MiB)", 2),
                  new RssColumn("master_kb", "master RSS", "the master's RSS after the benchmark's requests, /proc/PID/statm", 3));
    }

    private abstract class PoolColumn : IColumn
    {
        public abstract string Id { get; }
        public abstract string ColumnName { get; }
        public abstract string Legend { get; }
        public abstract int PriorityInCategory { get; }
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public bool IsAvailable(Summary summary) => true;
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);
        public abstract string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style);
    }

    /// <summary>The row's median minus WarmRequest's: what the respawn / the spawn adds to a request.</summary>
    private sealed class MinusWarmColumn : PoolColumn
    {
        public override string Id => "PoolMinusWarm";
        public override string ColumnName => "− warm";
        public override string Legend => "the median minus WarmRequest's median: the respawn (RespawnRequest) and spawn-to-first-request (SpawnOnEmptyPool) cost (target ≤ 10 ms)";
        public override int PriorityInCategory => 0;

        public override string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            string name = benchmarkCase.Descriptor.WorkloadMethod.Name;
            if (name is not (nameof(PoolBenchmarks.RespawnRequest) or nameof(PoolBenchmarks.SpawnOnEmptyPool))) return "-";
            var warm = summary.BenchmarksCases.FirstOrDefault(c => c.Descriptor.WorkloadMethod.Name == nameof(PoolBenchmarks.WarmRequest));
            var a = summary[benchmarkCase]?.ResultStatistics;
            var b = warm is null ? null : summary[warm]?.ResultStatistics;
            if (a is null || b is null) return "?";
            return ((a.Median - b.Median) / 1e6).ToString("0.00", CultureInfo.InvariantCulture) + " ms";
        }
    }

    private sealed class RssColumn(string key, string name, string legend, int priority) : PoolColumn
    {
        public override string Id => "PoolRss_" + key;
        public override string ColumnName => name;
        public override string Legend => legend;
        public override int PriorityInCategory => priority;

        public override string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            string file = PoolBenchmarks.RssFile(benchmarkCase.Descriptor.WorkloadMethod.Name);
            if (!File.Exists(file)) return "?";
            foreach (var line in File.ReadLines(file))
                if (line.StartsWith(key + "=", StringComparison.Ordinal)
                    && double.TryParse(line[(key.Length + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out double kb))
                    return (kb / 1024).ToString("0.0", CultureInfo.InvariantCulture) + " MiB";
            return "-";
        }
    }
}

/// <summary>
/// A dotnet pool for one benchmark: a private temp folder, the php-fpm configuration rendered by
/// FpmConfig, the published master launched by MasterLauncher. Dispose stops the master (SIGTERM,
/// then SIGKILL of its process group) and SIGKILLs anything left in that group; pools not disposed
/// are stopped at process exit.
/// </summary>
internal sealed class BenchPool : IDisposable
{
    private static readonly List<BenchPool> Live = [];
    private int _disposed;

    static BenchPool() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        BenchPool[] left;
        lock (Live) left = [.. Live];
        foreach (var p in left) p.Dispose();
    };

    public BenchPool(PoolSettings settings)
    {
        if (MasterProcess.Unpublished() is { } missing) throw new InvalidOperationException(missing);
        Dir = Directory.CreateTempSubdirectory("lab-bench-pool-").FullName;
        string config = Path.Combine(Dir, "php-fpm.conf");
        File.WriteAllText(config, FpmConfig.Render(settings,
            new FpmPaths(Path.Combine(Dir, "php-fpm.pid"), Path.Combine(Dir, "fpm.log"), SocketPath), FpmLogLevel.Notice));
        Master = MasterLauncher.Start(new MasterLaunchOptions { ConfigPath = config, OutputPath = Path.Combine(Dir, "master.out") });
        lock (Live) Live.Add(this);
        if (!Master.WaitUntilReady(TimeSpan.FromSeconds(20)))
        {
            string log = File.Exists(Path.Combine(Dir, "fpm.log")) ? File.ReadAllText(Path.Combine(Dir, "fpm.log")) : "";
            Dispose();
            throw new InvalidOperationException("the pool did not become ready:\n" + log);
        }
    }

    public string Dir { get; }
    public string SocketPath => Path.Combine(Dir, "php-fpm.sock");
    public UnixDomainSocketEndPoint EndPoint => new(SocketPath);
    public MasterProcess Master { get; }

    /// <summary>Children of the master in /proc, zombies (not yet reaped) included.</summary>
    public int ChildCount() => Processes().Count(p => p.Ppid == Master.Pid);

    /// <summary>Mean RSS (KiB) of the children the scoreboard shows, or null when there are none.</summary>
    public double? MeanChildRssKb()
    {
        var rss = Master.Children().Select(c => StatmRssKb(c.Pid)).OfType<long>().ToList();
        return rss.Count == 0 ? null : rss.Average();
    }

    private static readonly RunClock Clock = new();

    /// <summary>RSS in KiB as the lab's sampler reads it (/proc/PID/statm, equal to ps), null if the process is gone.</summary>
    public static long? StatmRssKb(int pid) => Proc.TryRead(pid, Clock, out var s) ? s.RssKb : null;

    /// <summary>Polls (the limit only guards against hanging).</summary>
    public static bool WaitFor(Func<bool> condition, TimeSpan limit)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < limit)
        {
            if (condition()) return true;
            Thread.Sleep(10);
        }
        return condition();
    }

    /// <summary>(pid, state, parent pid, process group) of every process in /proc.</summary>
    private static List<(int Pid, char State, int Ppid, int Pgrp)> Processes()
    {
        var list = new List<(int, char, int, int)>();
        foreach (var d in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) continue;
            try
            {
                string stat = File.ReadAllText(Path.Combine(d, "stat"));
                var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                list.Add((pid, rest[0][0], int.Parse(rest[1], CultureInfo.InvariantCulture), int.Parse(rest[2], CultureInfo.InvariantCulture)));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return list;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            int group = Master.Pid; // the master leads its own process group; its children are in it
            Master.Dispose(); // SIGTERM, 5 s, then SIGKILL to the process group
            // nothing may outlive the benchmark: whatever is left alive in the group (its id stays
            // reserved while a member lives, so these are ours)
            bool Left(out List<int> pids)
            {
                pids = Processes().Where(p => p.Pgrp == group && p.State != 'Z').Select(p => p.Pid).ToList();
                return pids.Count > 0;
            }
            WaitFor(() => !Left(out _), TimeSpan.FromSeconds(5));
            if (Left(out var survivors))
            {
                foreach (var pid in survivors) kill(pid, 9);
                WaitFor(() => !Left(out _), TimeSpan.FromSeconds(5));
            }
            if (Left(out var still)) Console.Error.WriteLine($"// warning: pool processes still alive after cleanup: {string.Join(' ', still)}");
        }
        finally
        {
            lock (Live) Live.Remove(this);
            try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
