using Lab.Linux.Proc;
using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Lab.Core.Time;
using Lab.Probe;

namespace Lab.Benchmarks;

/// <summary>
/// The sampler's cost for a pool of 100 processes (the benchmark process + 100 children): one
/// tick = find the tree + read stat and statm of every process. At 10 Hz the share of one core is
/// Mean × 10 / 1 s (e.g. 1 ms per tick = 1%). Target: ≤ 1% of a core. The children are `sleep`
/// (about 20 mappings) or the PHP interpreter (`php -r 'sleep(3600);'`, about 220 mappings, as a
/// php-fpm child with its extensions): smaps_rollup's cost grows with the mappings it walks.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 15)]
public class ProbeBenchmarks
{
    private readonly List<Process> _children = [];
    private Sampler _sampler = null!;
    private RunClock _clock = null!;
    private IReadOnlyList<ProcSample> _tree = [];

    [Params(100)]
    public int Processes { get; set; }

    [Params("sleep", "php")]
    public string Child { get; set; } = "sleep";

    [GlobalSetup]
    public void Setup()
    {
        for (int i = 0; i < Processes; i++)
            _children.Add(Process.Start(Child == "php"
                ? new ProcessStartInfo("php", ["-r", "sleep(3600);"]) { UseShellExecute = false }
                : new ProcessStartInfo("sleep", "3600") { UseShellExecute = false })!);
        Thread.Sleep(Child == "php" ? 2000 : 200); // the interpreters have mapped their extensions
        _clock = new RunClock();
        _sampler = new Sampler(_clock, TimeSpan.FromMilliseconds(100), () => [Environment.ProcessId], (_, _) => { });
        var first = _sampler.SampleOnce();
        if (first.Count < Processes + 1)
            throw new InvalidOperationException($"the tree holds {first.Count} processes, expected {Processes + 1}");
        _tree = first;
    }

    /// <summary>One sample tick of the whole tree (what the sampler does 10 times a second).</summary>
    [Benchmark]
    public int Tick() => _sampler.SampleOnce().Count;

    /// <summary>
    /// smaps_rollup of the whole tree (PSS, USS, swap of the 100 processes and this one): what a
    /// tick that reads them adds, once every pss_interval. At pss_interval = 1 s the share of one
    /// core is Mean / 1 s (e.g. 20 ms = 2%). Target: ≤ 2% of a core; a pass that costs more makes
    /// SmapsSchedule wait longer before the next (Mean / 2 %), so the sampler never spends more.
    /// </summary>
    [Benchmark]
    public int SmapsTick() => new SmapsSchedule(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)).ReadIfDue(0, _tree, force: true)!.Count;

    /// <summary>One process read (stat + statm), for scale.</summary>
    [Benchmark]
    public bool ReadOneProcess() => Proc.TryRead(_children[0].Id, _clock, out _);

    [GlobalCleanup]
    public void Cleanup()
    {
        _sampler.Dispose();
        foreach (var p in _children)
        {
            try { p.Kill(); p.WaitForExit(); } catch (InvalidOperationException) { }
            p.Dispose();
        }
    }
}
