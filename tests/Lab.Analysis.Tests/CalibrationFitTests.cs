using Lab.Analysis.Calibration;
using Lab.Core.Scenarios;
using Lab.Results;
using Lab.Scenarios;
using Lab.Sim;

namespace Lab.Analysis.Tests;

/// <summary>
/// The calibration's fitting on synthetic data with known parameters: runs of the simulator
/// itself, with a memory model chosen here, fitted as if they were real runs.
/// </summary>
public class CalibrationFitTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("leaklab-calibration-test-").FullName;
    public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    private static Scenario Scenario(string body) => ScenarioLoader.Parse(body, "test.toml", "synthetic", []);

    private async Task<RunFolder> Sim(Scenario s, string name)
    {
        string dir = Path.Combine(_dir, name);
        await HeadlessRun.RunAsync(s, new SimEngine(), dir, "test");
        return RunFolder.Open(dir);
    }

    private const string Known = """
        engine = "sim"
        seed = 11
        sample_interval = "100ms"
        [pool]
        pm = "static"
        max_children = 2
        max_requests = 7
        memory_limit = "6M"
        [request]
        leak = { dist = "uniform", min = "512K", max = "3M" }
        transient = { dist = "uniform", min = "0K", max = "8M" }
        work = "30ms"
        [load]
        iterations = 140
        [[load.phases]]
        phase = "inject"
        rate = 5
        during = "60s"
        [memory]
        child_baseline = "9000K"
        child_vsz = "70000K"
        master_rss = "15000K"
        master_vsz = "65000K"
        leak_scale = 0.8
        per_request = "150K"
        retain_fraction = 0.4
        retain_max = "3000K"
        retain_shrink = 0.3
        """;

    [Fact]
    public async Task The_replay_of_the_sims_memory_model_gives_the_sims_own_rss()
    {
        var s = Scenario(Known);
        var run = await Sim(s, "replay");
        int compared = 0;
        foreach (var child in ChildHistory.Of(run))
        {
            var rss = SimMemoryReplay.Rss(child.Requests, s.Seed, s.Pool.MemoryLimitBytes, s.Memory);
            foreach (var sample in child.Samples.Where(x => !x.Busy))
            {
                Assert.Equal(rss[sample.Served], sample.RssKb);
                compared++;
            }
        }
        Assert.True(compared > 100, $"{compared} samples compared");
        // some requests went over memory_limit (6M) and left the allocator alone: the replay knows it
        Assert.Contains(Enumerable.Range(0, run.Requests.Count), i => run.Requests.Status[i] == 500);
    }

    [Fact]
    public async Task The_fit_recovers_a_known_memory_model()
    {
        var s = Scenario(Known);
        var run = await Sim(s, "known");
        var master = Enumerable.Range(0, run.Samples.Count).Where(i => run.Samples.Role[i] == Lab.Core.Records.ProcessRole.Master)
            .Select(i => (run.Samples.RssKb[i], run.Samples.VszKb[i])).ToList();
        var fit = MemoryFit.Fit(ChildHistory.Of(run), master, s.Seed, s.Pool.MemoryLimitBytes, new MemoryModel());

        Assert.Equal(9000, fit.ChildBaseline.Value);
        Assert.Equal(70000, fit.ChildVsz.Value);
        Assert.Equal(15000, fit.MasterRss.Value);
        Assert.Equal(65000, fit.MasterVsz.Value);
        // the leak varies per request: leak_scale and per_request are told apart
        Assert.InRange(fit.LeakScale.Value, 0.8 * 0.97, 0.8 * 1.03);
        Assert.InRange(fit.PerRequest.Value, 150 - 40, 150 + 40);
        Assert.True(fit.LeakScale.Uncertainty is > 0 and < 0.05, $"± {fit.LeakScale.Uncertainty}");
        // the allocator: on the grid's resolution
        Assert.InRange(fit.RetainFraction.Value, 0.3, 0.5);
        Assert.InRange(fit.RetainMax.Value, 3000 * 0.85, 3000 * 1.15);
        Assert.InRange(fit.RetainShrink.Value, 0.15, 0.45);
        Assert.True(fit.RmsResidualKb < 200, $"rms residual {fit.RmsResidualKb} KiB");
    }

    [Fact]
    public async Task A_constant_leak_fits_leak_scale_alone_and_a_run_without_leak_fits_per_request()
    {
        var constant = Scenario(Known.Replace("""leak = { dist = "uniform", min = "512K", max = "3M" }""", """leak = "2M" """)
            .Replace("per_request = \"150K\"", "per_request = \"0K\""));
        var run = await Sim(constant, "constant");
        var fit = MemoryFit.Fit(ChildHistory.Of(run), [], constant.Seed, constant.Pool.MemoryLimitBytes, new MemoryModel());
        Assert.InRange(fit.LeakScale.Value, 0.8 * 0.98, 0.8 * 1.02);
        Assert.Equal(0, fit.PerRequest.Value);
        Assert.Contains(fit.Notes, n => n.Contains("cannot be told apart"));
        Assert.Contains(fit.Notes, n => n.Contains("master RSS")); // no master sample given: kept, and said so

        var none = Scenario(Known.Replace("""leak = { dist = "uniform", min = "512K", max = "3M" }""", """leak = "0K" """));
        run = await Sim(none, "none");
        fit = MemoryFit.Fit(ChildHistory.Of(run), [], none.Seed, none.Pool.MemoryLimitBytes, new MemoryModel());
        Assert.Equal(1, fit.LeakScale.Value);
        Assert.InRange(fit.PerRequest.Value, 150 * 0.9, 150 * 1.1);
    }

    [Fact]
    public async Task The_work_fit_finds_the_spread_of_request_times_the_scenario_did_not_state()
    {
        // the oracle: the sim's requests take normal(23 ms, 2 ms); the scenario handed to the fit says a constant 20 ms
        const string body = """
            engine = "sim"
            seed = 3
            [pool]
            pm = "static"
            max_children = 1
            [request]
            leak = "0K"
            transient = "0K"
            work = "20ms"
            [[load.phases]]
            phase = "inject"
            rate = 5
            during = "80s"
            """;
        var stated = Scenario(body);
        var run = await Sim(stated with { Request = stated.Request with { WorkMs = Lab.Core.Scenarios.Distribution.Normal(23, 2) } }, "spread");
        var fit = WorkFit.Fit(run, stated);
        Assert.InRange(fit.OverheadMs.Value, 2.8, 3.2);                    // the mean's 3 ms beyond the stated 20
        Assert.InRange(fit.SpreadMs.Value, 2 * 0.85, 2 * 1.15);           // the deviation itself
        Assert.Equal(DistributionKind.Normal, fit.Work.Kind);
        Assert.InRange(fit.Work.Mean, 22.8, 23.2);
        Assert.Equal(fit.SpreadMs.Value, fit.Work.B);
    }

    [Fact]
    public async Task The_work_fit_finds_no_overhead_in_the_sim_and_the_recycle_boundaries_are_the_teeth()
    {
        var s = Scenario(Known.Replace("max_children = 2", "max_children = 1").Replace("rate = 5", "rate = 2"));
        var run = await Sim(s, "work");
        var work = WorkFit.Fit(run, s);
        Assert.InRange(work.OverheadMs.Value, -0.01, 0.01); // the sim serves a request in exactly work + wait
        Assert.True(work.IdleRequests >= 60, $"{work.IdleRequests} idle requests"); // the 200s (memory_limit fails some)
        Assert.Equal(DistributionKind.Constant, work.Work.Kind);

        var teeth = RecycleBoundaries.Recycles(run);
        int recycles = run.Events.Count(e => e.Event == "exit" && e.Detail == "code 0;max_requests");
        Assert.Equal(recycles, teeth.Count);
        Assert.True(teeth.Count >= 15);
        Assert.All(teeth, t => Assert.Equal(7, t.Served)); // the child's own RSS right after its 7th and last request (rss_kb)
        // a run compared with itself agrees exactly
        var same = RecycleBoundaries.Compare(run, run);
        Assert.All(same, b => Assert.Equal(0, b.DifferencePercent));

        var growth = Scenario(Known.Replace("max_requests = 7", "max_requests = 0"));
        var noRecycle = await Sim(growth, "growth");
        Assert.False(RecycleBoundaries.HasRecycles(noRecycle));
        var checkpoints = RecycleBoundaries.Checkpoints(noRecycle);
        Assert.Equal(10, checkpoints.Count);
        Assert.True(checkpoints.Zip(checkpoints.Skip(1)).All(p => p.First.Served < p.Second.Served));
    }

    [Fact]
    public async Task A_sim_run_is_not_calibrated()
    {
        var run = await Sim(Scenario(Known), "sim");
        var e = Assert.Throws<CalibrationException>(() => Calibrator.Fit(run));
        Assert.Contains("real run", e.Message);
    }
}
