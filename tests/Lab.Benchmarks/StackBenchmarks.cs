using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using BenchmarkDotNet.Attributes;
using Lab.Core.Load;
using Lab.Core.Paths;
using Lab.Core.Records;
using Lab.Core.Requests;
using Lab.Core.Scenarios;
using Lab.Core.Time;
using Lab.Load;
using Lab.Nginx;
using Lab.PhpFpm;
using Lab.Linux.Processes;

namespace Lab.Benchmarks;

/// <summary>
/// The real stack the article ran, as the lab starts it (front = nginx, engine = php-fpm: the
/// lab's nginx template, php-fpm with the generated configuration, lab/php/hello.php): the lab's
/// load driver against it, next to wrk against the same stack (wrk -t1 -c8 -d5s, run before and
/// after each benchmark; its mean goes in the table). Both use 8 keep-alive connections; the
/// driver runs the closed model (8 users, no think time), the way wrk loops.
/// <list type="bullet">
/// <item>NginxOk: nginx's `location = /ok { return 200; }` — nginx alone, the driver's ceiling.</item>
/// <item>PhpFpmHello: nginx → FastCGI → php-fpm (pm static, 4 children) running hello.php.</item>
/// <item>PhpFpmHelloMaxRequests1: the same with pm.max_requests = 1: every request forks a fresh child.</item>
/// </list>
/// Op/s is the driver's req/s; "vs wrk" is its ratio to wrk's. Run:
///   dotnet run -c Release --project tests/Lab.Benchmarks -- --filter '*StackBenchmarks*'
/// (as root, with php8.2-fpm, nginx and wrk installed).
/// </summary>
[BenchmarkDotNet.Attributes.Config(typeof(HttpDriverConfig))]
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class StackBenchmarks
{
    public const int Connections = 8;
    public const int OkRequests = 20_000;
    public const int HelloRequests = 5_000;
    public const int RecycleRequests = 1_000;

    private BenchStack _stack = null!;
    private string _benchmark = "";
    private string _path = "/";
    private readonly List<double> _wrk = [];

    [GlobalSetup(Target = nameof(NginxOk))]
    public void SetupOk() => Setup(nameof(NginxOk), maxRequests: 0, "/ok");

    [GlobalSetup(Target = nameof(PhpFpmHello))]
    public void SetupHello() => Setup(nameof(PhpFpmHello), maxRequests: 0, "/hello.php");

    [GlobalSetup(Target = nameof(PhpFpmHelloMaxRequests1))]
    public void SetupRecycle() => Setup(nameof(PhpFpmHelloMaxRequests1), maxRequests: 1, "/hello.php");

    private void Setup(string benchmark, int maxRequests, string path)
    {
        _benchmark = benchmark;
        _path = path;
        _stack = new BenchStack(maxRequests);
        _wrk.Add(RunWrk());
    }

    [Benchmark(OperationsPerInvoke = OkRequests)]
    public Task<long> NginxOk() => Drive(OkRequests);

    [Benchmark(OperationsPerInvoke = HelloRequests)]
    public Task<long> PhpFpmHello() => Drive(HelloRequests);

    [Benchmark(OperationsPerInvoke = RecycleRequests)]
    public Task<long> PhpFpmHelloMaxRequests1() => Drive(RecycleRequests);

    /// <summary>The whole driver (schedule, request stream, histograms, records) over the lab's HTTP transport.</summary>
    private async Task<long> Drive(int requests)
    {
        var plan = new LoadPlan
        {
            Phases = [new LoadPhase { Kind = LoadPhaseKind.KeepConstant, Copies = Connections, During = TimeSpan.FromMinutes(10) }],
            Iterations = requests,
        };
        await using var transport = new HttpTransport(_stack.Nginx.EndPoint, _path, Connections);
        var observer = new CountingObserver();
        var driver = new LoadDriver(plan, new LoadSchedule(plan, 1), new RequestStream(new RequestProfile { WorkMs = Distribution.Const(0) }, 1),
            new RunClock(), transport, observer, startAt: 0);
        await driver.RunAsync(CancellationToken.None);
        if (observer.Ok != requests) throw new InvalidOperationException($"{observer.Ok} of {requests} requests were ok");
        return observer.Ok;
    }

    /// <summary>wrk against the same stack and path (a shared machine drifts: one run before, one after).</summary>
    private double RunWrk()
    {
        string url = $"http://{_stack.Nginx.EndPoint}{_path}";
        var wrk = Process.Start(new ProcessStartInfo("wrk", $"-t1 -c{Connections} -d5s {url}")
        { RedirectStandardOutput = true, UseShellExecute = false })
            ?? throw new InvalidOperationException("wrk is not installed (apt-get install -y wrk)");
        string output = wrk.StandardOutput.ReadToEnd();
        wrk.WaitForExit();
        var m = Regex.Match(output, @"Requests/sec:\s+([0-9.]+)");
        if (!m.Success) throw new InvalidOperationException("no Requests/sec in wrk's output: " + output);
        if (Regex.Match(output, @"Non-2xx or 3xx responses: (\d+)") is { Success: true } bad)
            throw new InvalidOperationException($"wrk got {bad.Groups[1].Value} failed answers from {url}: " + output);
        double rps = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        Console.WriteLine($"// wrk -t1 -c{Connections} -d5s {url}: {rps:F0} req/s");
        return rps;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _wrk.Add(RunWrk());
        File.WriteAllText(LoadBenchmarks.WrkFile(_benchmark), _wrk.Average().ToString("F0", CultureInfo.InvariantCulture));
        _stack.Dispose();
    }

    private sealed class CountingObserver : ILoadObserver
    {
        private long _ok;
        public long Ok => Interlocked.Read(ref _ok);
        public void OnRequest(in RequestRecord record) { if (record.Ok) Interlocked.Increment(ref _ok); }
    }
}

/// <summary>php-fpm (static, 4 children) behind nginx, started as the lab starts them (PID namespaces, generated configs).</summary>
internal sealed class BenchStack : IDisposable
{
    private readonly string _dir;
    public PhpFpmMaster Fpm { get; }
    public NginxServer Nginx { get; }

    public BenchStack(int maxRequests)
    {
        _dir = Directory.CreateTempSubdirectory("lab-bench-stack-").FullName;
        File.SetUnixFileMode(_dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        string bin = PhpFpmInstall.Locate() ?? throw new InvalidOperationException("php-fpm is not installed: sudo apt-get install -y php8.2-fpm");
        var fpm = PhpFpmInstall.Probe(bin);
        var nginx = NginxInstall.Probe(NginxInstall.Locate() ?? throw new InvalidOperationException("nginx is not installed: sudo apt-get install -y nginx-light"));
        var files = new PhpFpmFiles(_dir);
        var pool = new PoolSettings { Pm = ProcessManagerStyle.Static, MaxChildren = 4, MaxRequests = maxRequests };
        files.Write(pool, UnprivilegedUser.ForThisLab(), Path.Combine(LabPaths.LabDir, "php"));
        Fpm = PhpFpmMaster.Start(fpm, files, _ => { }, TimeSpan.FromSeconds(30));
        Nginx = NginxServer.Start(nginx, NginxSettings.InFrontOf(Path.Combine(_dir, "nginx"), "unix:" + files.Socket, files.Scripts, StackBenchmarks.Connections));
    }

    public void Dispose()
    {
        Nginx.Stop();
        Nginx.Dispose();
        Fpm.Stop(15, TimeSpan.FromSeconds(10));
        Fpm.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
