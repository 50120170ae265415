using BenchmarkDotNet.Attributes;
using Lab.Core.Engines;
using Lab.Core.Records;
using Lab.Report;
using Lab.Results;

namespace Lab.Benchmarks;

/// <summary>
/// Plotting and reporting a big run: 2,000 child PIDs × 500 one-second ticks (20 children at a
/// time, recycled after 500 requests) plus the master: 1,050,000 samples and 1,000,000
/// requests, written once by the results writer. Measures RunReport.Generate (three plots as
/// PNG and SVG, report.html, report.md) on the folder read once, and the same with the
/// reading. Target: under 5 s.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class ReportBenchmarks
{
    public const int Children = 2_000, Ticks = 500, Concurrent = 20;

    private string _dir = null!;
    private RunFolder _run = null!;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "lab-report-bench-" + Guid.NewGuid().ToString("N"));
        WriteRun(_dir);
        _run = RunFolder.Open(_dir);
        if (_run.Samples.Count != Children * Ticks + Children / Concurrent * Ticks)
            throw new InvalidOperationException($"unexpected sample count {_run.Samples.Count}");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Benchmark(Description = "report: 1.05 M samples, 2,000 PIDs (plots + html + md)")]
    public string Generate() => RunReport.Generate(_run, new ReportOptions());

    [Benchmark(Description = "report: read the folder, then plots + html + md")]
    public string OpenAndGenerate() => RunReport.Generate(RunFolder.Open(_dir), new ReportOptions());

    /// <summary>The run: generation after generation of 20 children, each leaking 512 KiB per request, one request per tick.</summary>
    public static void WriteRun(string dir)
    {
        const int master = 100;
        string toml = $"title = \"Report benchmark: {Children} children\"\nseed = 1\nsample_interval = \"1s\"\n\n[pool]\npm = \"static\"\nmax_children = {Concurrent}\nmax_requests = {Ticks}\nmemory_limit = \"128M\"\n\n[request]\nleak = \"512K\"\n\n[[load.phases]]\nphase = \"inject\"\nrate = {Concurrent}\nduring = \"{Children / Concurrent * Ticks}s\"\n";
        double length = Children / Concurrent * Ticks;
        var header = new RunHeader("report-bench", "sim", 1, new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc), 16L << 20, FpmLogLevel.Notice, length, FlushEveryTick: false);
        var manifest = Manifest.ForThisMachine("sim", "report-bench", 1, "benchmark", DateTime.UtcNow);
        using var w = ResultsWriter.Create(dir, header, toml, manifest);
        w.Process(new ProcessInfo(master, ProcessRole.Master, "root", "php-fpm: master process", 0));
        w.Event(new PoolEvent(0, EventNames.Start, master, $"pm=static max_children={Concurrent} max_requests={Ticks}"));
        long id = 0;
        for (int g = 0; g < Children / Concurrent; g++)
        {
            int first = master + 1 + g * Concurrent;
            double t0 = g * Ticks;
            for (int c = 0; c < Concurrent; c++)
            {
                w.Process(new ProcessInfo(first + c, ProcessRole.Child, "www-data", "php-fpm: pool www", t0, master));
                w.Event(new PoolEvent(t0, EventNames.Spawn, first + c, "respawn"));
                w.Log(t0, FpmLogLevel.Notice, $"[pool www] child {first + c} started");
            }
            for (int k = 0; k < Ticks; k++)
            {
                double t = t0 + k;
                w.Sample(new Sample(t, master, ProcessRole.Master, 16_008, 60_284, 0.5, 'S', 0));
                for (int c = 0; c < Concurrent; c++)
                {
                    int pid = first + c;
                    w.Sample(new Sample(t, pid, ProcessRole.Child, 7_148 + 512L * k + (k * 7919 + pid) % 900, 60_604 + 512L * k, 0.02 * k, 'S', k));
                    double end = Math.Round(t + 0.3 + 0.01 * c, 6);
                    w.Request(new RequestRecord(++id, t + 0.29, t + 0.29, end, pid, RequestStatus.Ok, Math.Round((end - t - 0.29) * 1000 + (k % 13), 3), 512, 1024));
                }
                w.EndTick(t);
            }
            double exit = t0 + Ticks - 0.5;
            for (int c = 0; c < Concurrent; c++)
            {
                w.Event(new PoolEvent(exit, EventNames.Exit, first + c, "code 0;max_requests"));
                w.Log(exit, FpmLogLevel.Notice, $"[pool www] child {first + c} exited with code 0 after {Ticks - 0.5:0.000000} seconds from start");
            }
        }
        w.Complete(RunOutcome.Complete, manifest with { EndUtc = DateTime.UtcNow });
    }
}
