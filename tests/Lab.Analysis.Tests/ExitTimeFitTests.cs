using Lab.Analysis.Calibration;
using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.Results;
using Lab.Results.Reading;
using Lab.Results.Storm;
using Lab.Scenarios;
using Lab.Sim;

namespace Lab.Analysis.Tests;

/// <summary>
/// A recycled child's way out (memory.exit_time) on the simulator and fitted back from its run
/// (ExitTimeFit), and the storm compared under several seeds (StormComparison).
/// </summary>
public class ExitTimeFitTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("leaklab-exit-test-").FullName;
    public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    private const string Storm = """
        engine = "sim"
        seed = 7
        sample_interval = "250ms"
        [pool]
        pm = "static"
        max_children = 8
        max_requests = 50
        [request]
        leak = "1M"
        transient = "0K"
        work = "21.7ms"
        [load]
        arrivals = "even"
        [[load.phases]]
        phase = "inject"
        rate = 40
        during = "40s"
        """;

    private async Task<RunFolder> Run(string name, string memory)
    {
        var s = ScenarioLoader.Parse(Storm + "\n[memory]\n" + memory + "\n", name + ".toml", "storm", []);
        string dir = Path.Combine(_dir, name);
        await HeadlessRun.RunAsync(s, new SimEngine(), dir, "test");
        return RunFolder.Open(dir);
    }

    /// <summary>For every respawn: its fork − the last answer of the child whose exit it follows (ms).</summary>
    private static List<double> Ways(RunFolder run)
    {
        var r = run.Requests;
        var last = new Dictionary<int, double>();
        for (int i = 0; i < r.Count; i++) last[r.Pid[i]] = Math.Max(last.GetValueOrDefault(r.Pid[i]), r.TEnd[i]);
        var ways = new List<double>();
        int exited = 0;
        foreach (var e in run.Events)
        {
            if (e.Kind == PoolEventKind.Exit && e.Why == ExitCause.MaxRequests) exited = e.Pid;
            else if (e.Kind == PoolEventKind.Spawn && e.Spawned == SpawnCause.Respawn && exited != 0) { ways.Add((e.T - last[exited]) * 1000); exited = 0; }
        }
        return ways;
    }

    [Fact]
    public async Task A_recycled_child_leaves_its_exit_time_after_its_last_answer_and_takes_no_connection_meanwhile()
    {
        var run = await Run("const", "exit_time = \"10ms\"");
        var ways = Ways(run);
        Assert.True(ways.Count >= 30, $"{ways.Count} recycles");
        Assert.All(ways, w => Assert.Equal(10, w, 2)); // events.csv keeps µs
        // no child served a request after it reached pm.max_requests, and none served more than 50
        var r = run.Requests;
        Assert.All(Enumerable.Range(0, r.Count).GroupBy(i => r.Pid[i]), g => Assert.True(g.Count() <= 50));
        // by default a recycled child leaves at once (the lessons' runs are unchanged)
        Assert.All(Ways(await Run("zero", "")), w => Assert.Equal(0, w, 3));
    }

    [Fact]
    public async Task The_fit_finds_the_oracles_exit_time_and_its_spread()
    {
        var run = await Run("truth", "exit_time = { dist = \"normal\", mean = \"12ms\", stddev = \"3ms\" }");
        var plain = ScenarioLoader.Parse(Storm, "plain.toml", "storm", []);
        var fit = ExitTimeFit.Fit(run, plain);
        Assert.True(fit.Exits >= 30, $"{fit.Exits} recycles");
        Assert.Equal(DistributionKind.Normal, fit.ExitTime.Kind);
        Assert.InRange(fit.Ms.Value, 10.5, 13.5);
        Assert.InRange(fit.SpreadMs.Value, 1.8, 4.2);
        Assert.True(fit.Ms.Uncertainty is > 0 and < 1.5, $"uncertainty {fit.Ms.Uncertainty}");

        // a run whose children leave at once fits 0, a constant
        var zero = ExitTimeFit.Fit(await Run("zero", ""), plain);
        Assert.Equal(Distribution.Const(0), zero.ExitTime);
    }

    [Fact]
    public async Task Too_few_recycles_keep_the_scenarios_exit_time()
    {
        var s = ScenarioLoader.Parse(Storm.Replace("max_requests = 50", "max_requests = 1000"), "few.toml", "storm", []);
        string dir = Path.Combine(_dir, "few");
        await HeadlessRun.RunAsync(s, new SimEngine(), dir, "test");
        var kept = s with { Memory = s.Memory with { ExitTimeMs = Distribution.Const(7) } };
        var fit = ExitTimeFit.Fit(RunFolder.Open(dir), kept);
        Assert.Equal(Distribution.Const(7), fit.ExitTime);
        Assert.Contains(fit.Notes, n => n.Contains("kept from the scenario"));
    }

    [Fact]
    public async Task The_storm_under_other_seeds_is_computed_as_their_summary_json_would_be()
    {
        var s = ScenarioLoader.Parse(Storm + "\n[memory]\nexit_time = { dist = \"normal\", mean = \"12ms\", stddev = \"3ms\" }\naccept_wakeup = \"1ms\"\n", "s.toml", "storm", []);
        string dir = Path.Combine(_dir, "seed8");
        await HeadlessRun.RunAsync(s with { Seed = 8 }, new SimEngine(), dir, "test");
        var fromFiles = RunFolder.Open(dir).ComputeSummary().Storm!;
        var inMemory = StormComparison.OtherSeeds(s, 2); // seeds 8 and 9
        Assert.Equal(2, inMemory.Count);
        var a = inMemory[0];
        Assert.Equal(fromFiles.MaxRecyclesPerSecond, a.MaxRecyclesPerSecond);
        Assert.Equal(fromFiles.MaxStartingAtOnce, a.MaxStartingAtOnce);
        Assert.Equal(fromFiles.PoolRssPeakToMean!.Value, a.PoolRssPeakToMean!.Value, 2);
        Assert.Equal(fromFiles.P99NearRecyclesMs!.Value, a.P99NearRecyclesMs!.Value, 1);
        Assert.Equal(fromFiles.P99ElsewhereMs!.Value, a.P99ElsewhereMs!.Value, 1);
    }

    [Fact]
    public void A_figure_is_set_against_the_median_and_the_range_of_the_seeds()
    {
        var real = new StormSummary(8, 10, 5, 1.66, null, 24.6, 26.4, 400);
        StormSummary Sim(int starting, double p99) => new(8, 10, starting, 1.65, null, p99, 24.6, 400);
        var figures = StormComparison.Compare(real, [Sim(8, 24.6), Sim(4, 24.6), Sim(8, 24.6), Sim(7, 40), Sim(6, 40)]);
        var starting = figures.Single(f => f.Name == "max_starting_at_once");
        Assert.Equal((5.0, 7.0, 4.0, 8.0, 5), (starting.Real, starting.Sim, starting.SimMin, starting.SimMax, starting.Seeds));
        Assert.False(starting.Within(StormComparison.TolerancePercent)); // +40 % of the real figure
        Assert.True(starting.InSimRange);
        Assert.True(starting.Agrees(StormComparison.TolerancePercent));
        var p99 = figures.Single(f => f.Name == "p99_near_recycles_ms");
        Assert.Equal(24.6, p99.Sim);
        // outside the range and off the median: it does not agree
        var far = StormComparison.Compare(real with { MaxStartingAtOnce = 2 }, [Sim(8, 24.6), Sim(6, 24.6)]).Single(f => f.Name == "max_starting_at_once");
        Assert.False(far.Agrees(StormComparison.TolerancePercent));
    }
}
