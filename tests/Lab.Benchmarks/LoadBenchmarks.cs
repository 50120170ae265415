using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Lab.Core.Load;
using Lab.Core.Records;
using Lab.Core.Requests;
using Lab.Core.Scenarios;
using Lab.Core.Time;
using Lab.Load;
using Lab.Nginx;

namespace Lab.Benchmarks;

/// <summary>
/// The lab's HTTP driver against an nginx `return 200` location, next to wrk against the same
/// nginx (wrk -t1 -c8, run before and after each benchmark). Both use 8 keep-alive connections; the driver runs
/// the closed model (8 users, no think time), the way wrk loops. Op/s is the driver's req/s;
/// "wrk req/s" and "vs wrk" compare. Target: the driver at ≥ 70% of wrk.
/// </summary>
[Config(typeof(HttpDriverConfig))]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 10)]
public class LoadBenchmarks
{
    public const int RequestsPerOp = 20_000;
    public const int Connections = 8;
    private BenchNginx _nginx = null!;
    private string _benchmark = "";
    private readonly List<double> _wrk = [];

    /// <summary>Where the setup leaves wrk's figure for the summary's columns (they are computed in the host process).</summary>
    internal static string WrkFile(string benchmark) => Path.Combine(Path.GetTempPath(), $"lab-bench-wrk-{benchmark}.txt");

    [GlobalSetup(Target = nameof(Driver))]
    public void SetupDriver() => Setup(nameof(Driver));

    [GlobalSetup(Target = nameof(TransportOnly))]
    public void SetupTransportOnly() => Setup(nameof(TransportOnly));

    private void Setup(string benchmark)
    {
        _nginx = new BenchNginx();
        _benchmark = benchmark;
        _wrk.Add(RunWrk());
    }

    /// <summary>wrk against the same nginx, before and after the benchmark (a shared machine drifts): the mean goes in the table.</summary>
    private double RunWrk() => Wrk.RequestsPerSecond($"http://{_nginx.Server}/", Connections);

    /// <summary>The whole driver: schedule, ids, request stream, timeouts, histograms, records to an observer.</summary>
    [Benchmark(OperationsPerInvoke = RequestsPerOp)]
    public async Task<long> Driver()
    {
        var plan = new LoadPlan
        {
            Phases = [new LoadPhase { Kind = LoadPhaseKind.KeepConstant, Copies = Connections, During = TimeSpan.FromMinutes(5) }],
            Iterations = RequestsPerOp,
        };
        await using var transport = new HttpTransport(_nginx.Server, "/", Connections);
        var observer = new CountingObserver();
        var driver = new LoadDriver(plan, new LoadSchedule(plan, 1), new RequestStream(new RequestProfile(), 1),
            new RunClock(), transport, observer, startAt: 0);
        await driver.RunAsync(CancellationToken.None);
        if (observer.Ok != RequestsPerOp) throw new InvalidOperationException($"{observer.Ok} of {RequestsPerOp} requests were ok");
        return observer.Ok;
    }

    /// <summary>The transport alone, 8 loops of SendAsync: the driver's own overhead is the difference.</summary>
    [Benchmark(OperationsPerInvoke = RequestsPerOp)]
    public async Task<long> TransportOnly()
    {
        await using var transport = new HttpTransport(_nginx.Server, "/", Connections);
        long next = 0, ok = 0;
        var loops = new Task[Connections];
        for (int c = 0; c < Connections; c++)
            loops[c] = Task.Run(async () =>
            {
                long id;
                while ((id = Interlocked.Increment(ref next)) <= RequestsPerOp)
                    if ((await transport.SendAsync(new RequestSpec(id, 0, 0, 0, 0), CancellationToken.None)).Status == 200)
                        Interlocked.Increment(ref ok);
            });
        await Task.WhenAll(loops);
        return ok;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _wrk.Add(RunWrk());
        File.WriteAllText(WrkFile(_benchmark), _wrk.Average().ToString("F0", CultureInfo.InvariantCulture));
        _nginx.Dispose();
    }
}

/// <summary>Counts the requests that ended ok, and keeps nothing (the driver benchmarks' observer).</summary>
internal sealed class CountingObserver : ILoadObserver
{
    private long _ok;
    public long Ok => Interlocked.Read(ref _ok);
    public void OnRequest(in RequestRecord record) { if (record.Ok) Interlocked.Increment(ref _ok); }
}

/// <summary>wrk, the reference the HTTP driver is measured against.</summary>
internal static class Wrk
{
    /// <summary>wrk -t1 -c{connections} -d5s url: its Requests/sec; throws if wrk is missing or saw failed answers.</summary>
    public static double RequestsPerSecond(string url, int connections)
    {
        var wrk = Process.Start(new ProcessStartInfo("wrk", $"-t1 -c{connections} -d5s {url}")
        { RedirectStandardOutput = true, UseShellExecute = false })
            ?? throw new InvalidOperationException("wrk is not installed (apt-get install -y wrk)");
        string output = wrk.StandardOutput.ReadToEnd();
        wrk.WaitForExit();
        var m = Regex.Match(output, @"Requests/sec:\s+([0-9.]+)");
        if (!m.Success) throw new InvalidOperationException("no Requests/sec in wrk's output: " + output);
        if (Regex.Match(output, @"Non-2xx or 3xx responses: (\d+)") is { Success: true } bad)
            throw new InvalidOperationException($"wrk got {bad.Groups[1].Value} failed answers from {url}: " + output);
        double rps = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        Console.WriteLine($"// wrk -t1 -c{connections} -d5s {url}: {rps:F0} req/s");
        return rps;
    }
}

/// <summary>Adds req/s, wrk's req/s (from the setup) and the ratio to the summary table.</summary>
public sealed class HttpDriverConfig : ManualConfig
{
    public HttpDriverConfig()
    {
        AddColumn(StatisticColumn.OperationsPerSecond);
        AddColumn(new WrkColumn(ratio: false), new WrkColumn(ratio: true));
    }

    private sealed class WrkColumn(bool ratio) : IColumn
    {
        public string Id => ratio ? "VsWrk" : "WrkRps";
        public string ColumnName => ratio ? "vs wrk" : "wrk req/s";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => ratio ? 1 : 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => ratio ? "the benchmark's req/s over wrk's (target ≥ 70%)" : "wrk -t1 -c8 -d5s against the same nginx, mean of a run before and one after the benchmark";
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public bool IsAvailable(Summary summary) => true;
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            string file = LoadBenchmarks.WrkFile(benchmarkCase.Descriptor.WorkloadMethod.Name);
            if (!File.Exists(file)
                || !double.TryParse(File.ReadAllText(file), NumberStyles.Float, CultureInfo.InvariantCulture, out double wrk))
                return "?";
            if (!ratio) return wrk.ToString("N0", CultureInfo.InvariantCulture);
            var stats = summary[benchmarkCase]?.ResultStatistics;
            if (stats is null || stats.Mean <= 0) return "?";
            double rps = 1e9 / stats.Mean; // Mean is ns per request (OperationsPerInvoke)
            return (rps / wrk).ToString("P0", CultureInfo.InvariantCulture);
        }
    }
}

/// <summary>nginx with one worker and a `return 200` location on a free loopback port.</summary>
internal sealed class BenchNginx : IDisposable
{
    private readonly Process _nginx;
    private readonly string _dir;

    public IPEndPoint Server { get; }

    public BenchNginx()
    {
        _dir = Directory.CreateTempSubdirectory("lab-bench-nginx-").FullName;
        using (var l = new TcpListener(IPAddress.Loopback, 0)) { l.Start(); Server = (IPEndPoint)l.LocalEndpoint; }
        string conf = Path.Combine(_dir, "nginx.conf");
        File.WriteAllText(conf, $$"""
            worker_processes 1;
            error_log {{_dir}}/error.log;
            pid {{_dir}}/nginx.pid;
            events { worker_connections 1024; }
            http {
                access_log off;
                keepalive_requests 1000000;
                client_body_temp_path {{_dir}}/b; proxy_temp_path {{_dir}}/p; fastcgi_temp_path {{_dir}}/f;
                uwsgi_temp_path {{_dir}}/u; scgi_temp_path {{_dir}}/s;
                server { listen {{Server}}; location / { return 200; } }
            }
            """);
        var psi = new ProcessStartInfo(NginxInstall.Locate() ?? "nginx") { UseShellExecute = false };
        foreach (var a in new[] { "-p", _dir, "-e", Path.Combine(_dir, "error.log"), "-c", conf, "-g", "daemon off;" }) psi.ArgumentList.Add(a);
        _nginx = Process.Start(psi) ?? throw new InvalidOperationException("install nginx (apt-get install -y nginx-light)");
        for (int i = 0; ; i++)
        {
            try { using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp); s.Connect(Server); break; }
            catch (SocketException) when (i < 200 && !_nginx.HasExited) { Thread.Sleep(25); }
        }
    }

    public void Dispose()
    {
        try { _nginx.Kill(entireProcessTree: true); _nginx.WaitForExit(5000); } catch (InvalidOperationException) { }
        _nginx.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
