using Lab.Analysis.Advice;
using Lab.Core.Engines;
using Lab.Core.Paths;
using Lab.Core.Scenarios;
using Lab.Import;
using Lab.Results;
using Lab.Scenarios;

namespace Lab.Analysis.Tests;

/// <summary>advise: the fit, the recommendation under the budget, its verification on the sim, and bad input.</summary>
public class AdviseTests
{
    private const double MiB = 1024, GiB = 1024 * 1024;

    /// <summary>A sim run of a scenario (with overrides) into dir, read back.</summary>
    private static async Task<RunFolder> Run(string dir, string scenario, params string[] overrides)
    {
        var s = ScenarioLoader.Load(scenario, ["engine=sim", .. overrides], LabPaths.Scenarios);
        var r = await SweepSimRunner.Run(s, dir, CancellationToken.None);
        Assert.Equal(RunStatus.Complete, r.Status);
        return RunFolder.Open(dir);
    }

    [Fact]
    public async Task The_fit_finds_the_scenario_s_baseline_leak_and_master()
    {
        using var tmp = new SweepTempDir();
        var run = await Run(tmp.Sub("growth"), "article-growth");
        var fit = PoolFit.Of(run);
        Assert.Equal("request", fit.Unit);
        Assert.Equal(7148, fit.Baseline.Value, 0);                 // memory.child_baseline
        Assert.InRange(fit.Leak.Value, 2048 - 30, 2048 + 30);      // leak = "2M" a request
        Assert.InRange(fit.Leak.Uncertainty, 0.1, 50);
        Assert.True(fit.LeakUpperKb > fit.Leak.Value);
        Assert.Equal(16008, fit.Master.Value, 0);                  // memory.master_rss
        // what a child holds above baseline + leak: retention (≤ 4M) and the request in flight (≤ 4M transient + its 2M leak)
        Assert.InRange(fit.Retained.Value, 2 * MiB, 10.5 * MiB);
        Assert.Equal(1, fit.Children);
    }

    [Fact]
    public async Task The_advice_rerun_on_the_sim_stays_under_the_budget()
    {
        using var tmp = new SweepTempDir();
        var run = await Run(tmp.Sub("growth"), "article-growth");
        var request = new AdviceRequest(1 * GiB, RamGiven: true, Margin: 0.2, MaxChildren: 4);
        var outcome = await AdviseRun.RunAsync(run, request, tmp.Sub("advise"), SweepSimRunner.Run, "test", null, CancellationToken.None);
        var a = outcome.Advice;

        // the formula, by hand: 4 × (B + Lup × m + R) ≤ 1 GiB × 0.8 − master
        var f = a.Fit;
        double budget = 0.8 * GiB - f.Master.Value;
        Assert.Equal(budget, a.ChildrenBudgetKb, 6);
        int expected = (int)Math.Floor((budget / 4 - f.Baseline.Value - f.Retained.Value) / f.LeakUpperKb);
        var p = Assert.IsType<PoolChoice>(a.Primary);
        Assert.Equal(4, p.MaxChildren);
        Assert.Equal(Advisor.NiceFloor(expected), p.MaxRequests);
        Assert.InRange(p.MaxRequests, 60, 120);                   // ≈ (803 MiB / 4 − 16.5 MiB) / 2 MiB ≈ 91
        Assert.True(p.PeakPoolKb <= request.LimitKb);
        Assert.True(4 * f.ChildKb(p.MaxRequests + 1, f.LeakUpperKb) + f.Master.Value > request.LimitKb, "one more request per child would not fit");
        Assert.Null(a.ForRam); // max_children was given

        // verified: the sim, with the advice, every child at max_requests — under the budget
        var v = Assert.Single(outcome.Verifications);
        Assert.True(v.Ran, v.Problem);
        Assert.True(v.Held, $"peak pool RSS {v.PeakPoolRssKb} KiB > limit {v.LimitKb} KiB");
        Assert.True(v.PeakPoolRssKb > 0.6 * request.LimitKb, "the verification should load every child: its peak is near the budget");
        Assert.InRange(v.Recycles, 4, 8); // every child reached max_requests
        var verify = RunFolder.Open(v.Dir);
        var toml = verify.ScenarioToml;
        Assert.Contains("max_requests = " + p.MaxRequests, toml);
        Assert.Contains("max_children = 4", toml);
        Assert.Contains("pm = \"static\"", toml);
        Assert.Contains("engine = \"sim\"", toml);

        // the files
        foreach (var file in new[] { "report.html", "report.md", "tradeoff.png", "tradeoff.svg", AdviseRun.JsonFile })
            Assert.True(File.Exists(Path.Combine(tmp.Sub("advise"), file)), file);
        Assert.Contains("the advice held", string.Join('\n', outcome.Lines));
        Assert.Contains(outcome.Lines, l => l.Contains("max_children × (B + L × max_requests + R) ≤ budget"));
        Assert.Contains(outcome.Lines, l => l.Contains($"⇒ max_requests ≤ {expected}"));
    }

    [Fact]
    public async Task Ram_alone_also_sizes_max_children_and_both_advices_hold()
    {
        using var tmp = new SweepTempDir();
        var run = await Run(tmp.Sub("spike"), "dynamic-spike");
        var request = new AdviceRequest(512 * MiB, RamGiven: true, Margin: 0.25, MaxChildren: null);
        var outcome = await AdviseRun.RunAsync(run, request, tmp.Sub("advise"), SweepSimRunner.Run, "test", null, CancellationToken.None);
        var a = outcome.Advice;
        Assert.Equal(20, a.MaxChildren);                           // the run's pm.max_children
        var p = Assert.IsType<PoolChoice>(a.Primary);
        var forRam = Assert.IsType<PoolChoice>(a.ForRam);
        // 20 children fit 512 MiB only if recycled early; at max_requests = 500 (www.conf's example) fewer fit
        Assert.True(p.MaxRequests < Advisor.Moderate, string.Join('\n', outcome.Lines));
        Assert.InRange(forRam.MaxChildren, 2, p.MaxChildren - 1);
        Assert.True(forRam.MaxRequests >= Advisor.Moderate);
        Assert.True(forRam.PeakPoolKb <= request.LimitKb && p.PeakPoolKb <= request.LimitKb);
        Assert.Equal(2, outcome.Verifications.Count);
        Assert.All(outcome.Verifications, v => Assert.True(v.Held, $"{v.Choice}: {v.PeakPoolRssKb} > {v.LimitKb}"));
    }

    [Fact]
    public void The_advisor_s_arithmetic()
    {
        Fitted F(double v, double u = 0) => new(v, u, "test");
        var fit = new PoolFit("request", F(7000), F(2000, 10), F(1000), F(16000), 100, 1, 100, []);
        var request = new AdviceRequest(1 * GiB, true, 0.2, MaxChildren: 4);
        var a = Advisor.Advise(fit, request, runMaxChildren: 1, runMaxRequests: 0);
        double lup = 2000 + 1.96 * 10;
        double bound = ((0.8 * GiB - 16000) / 4 - 8000) / lup;
        Assert.Equal(bound, a.MaxRequestsBound, 6);
        Assert.Equal(Advisor.NiceFloor(bound), a.Primary!.MaxRequests);
        Assert.Equal(1000.0 / a.Primary.MaxRequests, a.Primary.RespawnsPer1k, 9);

        // no growth: unlimited; a tiny leak: capped
        var flat = fit with { Leak = F(0, 0) };
        Assert.Equal(0, Advisor.Advise(flat, request, 1, 0).Primary!.MaxRequests);
        var tiny = fit with { Leak = F(0.5, 0.01) };
        Assert.Equal(Advisor.Cap, Advisor.Advise(tiny, request, 1, 0).Primary!.MaxRequests);

        // nothing fits 40 children: no primary, and the most children that do fit
        var crowded = Advisor.Advise(fit, request with { MaxChildren = 200 }, 1, 0);
        Assert.Null(crowded.Primary);
        Assert.NotNull(crowded.ForRam);
        Assert.True(crowded.ForRam!.PeakPoolKb <= request.LimitKb);
        Assert.Contains(crowded.Notes, n => n.Contains("does not fit"));

        // a budget smaller than the master is bad input
        Assert.Throws<AdviseException>(() => Advisor.Advise(fit, new AdviceRequest(10 * MiB, true, 0.2, 1), 1, 0));
    }

    [Theory]
    [InlineData(397.9, 390)]
    [InlineData(1234, 1200)]
    [InlineData(99.9, 99)]
    [InlineData(57, 57)]
    [InlineData(0.4, 0)]
    [InlineData(10_000, 10_000)]
    public void Advice_is_rounded_down_to_two_significant_figures(double x, int expected) => Assert.Equal(expected, Advisor.NiceFloor(x));

    [Fact]
    public async Task Too_few_samples_to_fit_is_a_clear_error()
    {
        using var tmp = new SweepTempDir();
        // one request, over before the second sample: nothing to fit a slope on
        var run = await Run(tmp.Sub("short"), "article-growth", "iterations=1");
        var e = Assert.Throws<AdviseException>(() => PoolFit.Of(run));
        Assert.Contains("too few readings to fit the leak per request", e.Message);
        Assert.Contains("child sample(s)", e.Message);
        Assert.Contains("sample_interval", e.Message);
        Assert.Throws<AdviseException>(() => AdviseRun.Prepare(run, new AdviceRequest(GiB, true, 0.2, null)));
    }

    [Fact]
    public async Task Advise_on_an_imported_ps_log_needs_a_rate_or_answers_per_snapshot_when_asked()
    {
        using var tmp = new SweepTempDir();
        string log = Path.Combine(LabPaths.LabDir, "lessons", "data", "ps-aux-php-fpm-max-requests-5.txt");
        var imported = PsLogImport.Read(log, new ImportOptions());
        var written = PsLogImport.Write(imported, tmp.Sub("import"), "test", new ImportOptions());
        var run = RunFolder.Open(written.Directory);

        // snapshots are not requests: refused without --per-block
        var e = Assert.Throws<AdviseException>(() => PoolFit.Of(run));
        Assert.Contains("cannot turn snapshots into requests", e.Message);
        Assert.Contains("--requests-per-block", e.Message);
        Assert.Contains("--per-block", e.Message);

        var fit = PoolFit.Of(run, perBlock: true);
        Assert.Equal(PoolFit.PerSnapshot, fit.Unit);
        Assert.Equal(7148, fit.Baseline.Value, 0);      // the two children seen starting; not the first block's (already 11 MiB)
        Assert.InRange(fit.Leak.Value, 2 * MiB, 4.5 * MiB);
        Assert.Contains(fit.Notes, n => n.Contains("answered per snapshot"));

        var outcome = await AdviseRun.RunAsync(run, new AdviceRequest(GiB, true, 0.2, null) { PerBlock = true }, tmp.Sub("advise"), SweepSimRunner.Run, "test", null, CancellationToken.None);
        var p = Assert.IsType<PoolChoice>(outcome.Advice.Primary);
        Assert.Equal(1, p.MaxChildren);
        Assert.Contains(outcome.Lines, l => l.Contains("snapshots (--per-block: counted in snapshots of the log, not requests)"));

        // with the rate known (one request per snapshot, as the article took it), per request
        var rated = PsLogImport.Read(log, new ImportOptions { Rate = new Lab.Import.Following.RequestRate(1, null) });
        var run2 = RunFolder.Open(PsLogImport.Write(rated, tmp.Sub("import-rated"), "test", new ImportOptions()).Directory);
        var fit2 = PoolFit.Of(run2);
        Assert.Equal("request", fit2.Unit);
        Assert.Equal(fit.Leak.Value, fit2.Leak.Value, 6);
    }

    [Fact]
    public async Task The_verification_scenario_is_the_run_s_with_the_advice_and_the_fit()
    {
        using var tmp = new SweepTempDir();
        var run = await Run(tmp.Sub("mr"), "article-max-requests");
        var fit = PoolFit.Of(run);
        var scenario = ScenarioLoader.Parse(run.ScenarioToml, "scenario.toml", "article-max-requests", []);
        var s = Verification.Build(scenario with { Actions = [new ScenarioAction { At = TimeSpan.FromSeconds(1), Kind = ActionKind.Restart }] },
            fit, new PoolChoice(3, 7, 0, 0, "test"));
        Assert.Equal(EngineKind.Sim, s.Engine);
        Assert.Equal(ProcessManagerStyle.Static, s.Pool.Pm);
        Assert.Equal(3, s.Pool.MaxChildren);
        Assert.Equal(7, s.Pool.MaxRequests);
        Assert.Empty(s.Actions);
        Assert.Equal(3 * (7 + 5), s.Load.Iterations); // N × (max_requests + max(5, 10%))
        Assert.Equal(3, Assert.Single(s.Load.Phases).Copies);
        Assert.Equal(Math.Round(fit.Baseline.Value), s.Memory.ChildBaselineKb);
        Assert.Equal(fit.Leak.Value, s.Memory.LeakScale * s.Request.LeakKb.Mean, 0.05); // LeakScale is written rounded
        // it round-trips through scenario.toml like any run
        var again = ScenarioLoader.Parse(ScenarioWriter.ToToml(s), "x.toml", s.Name, []);
        Assert.Equal(s.Pool, again.Pool);
    }
}
