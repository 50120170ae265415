using Lab.Analysis.Conformance;
using Lab.Core.Engines;
using Lab.Core.Scenarios;

namespace Lab.Analysis.Tests;

/// <summary>
/// The conformance suite's machinery, with the simulator standing in for every engine: each
/// scenario of lab/conformance/ loads and runs; identical runs are "same" on every rule; a figure
/// outside its tolerance is "differs" and says how; a run that did not complete is never "same".
/// (Against the real php-fpm: Lab.Cli.Tests' ConformCliTests.)
/// </summary>
public class ConformanceJudgeTests
{
    private static Task<RunResult> SimAsEveryEngine(Scenario scenario, string dir, CancellationToken cancel) =>
        SweepSimRunner.Run(scenario with { Engine = EngineKind.Sim }, dir, cancel);

    [Fact]
    public async Task Identical_runs_are_the_same_on_every_rule()
    {
        using var tmp = new SweepTempDir();
        var outcome = await ConformanceRunner.RunAsync([EngineKind.PhpFpm, EngineKind.Sim], tmp.Path, SimAsEveryEngine);
        Assert.Equal(["php-fpm", "sim"], outcome.Engines);
        Assert.True(outcome.AllSame, string.Join("\n", outcome.Results.SelectMany(r => r.Verdicts.Values.SelectMany(v => v.Differences))));
        Assert.Equal(ConformanceSuite.Rules.Count, outcome.Results.Count);
        Assert.True(ConformanceSuite.Rules.Count(r => r.Scenario != "*") >= 16);
        // the rules the issue names, each with a scenario of its own or shared
        foreach (var id in new[] { "static-max-requests", "dynamic-spawn-rate", "max-children", "ondemand-burst", "ondemand-idle-timeout",
                     "request-terminate-timeout", "slowlog", "reload-default-timeout", "reload-5s-timeout", "graceful-stop", "kill-child",
                     "emergency-restart", "listen-backlog", "memory-limit" })
            Assert.Contains(ConformanceSuite.Rules, r => r.Id == id);

        string html = ConformanceReport.Write(ConformanceReport.Page(outcome, "8.2.36", DateTime.UtcNow), tmp.Path);
        Assert.True(File.Exists(html));
        Assert.Contains("| kill-child | reference | same |", File.ReadAllText(Path.Combine(tmp.Path, ConformanceReport.Markdown)));
    }

    [Fact]
    public async Task A_figure_outside_its_tolerance_differs_and_a_failed_run_is_never_the_same()
    {
        using var tmp = new SweepTempDir();
        var outcome = await ConformanceRunner.RunAsync([EngineKind.PhpFpm, EngineKind.Sim], tmp.Path, SimAsEveryEngine);
        var rule = ConformanceSuite.Rules.First(r => r.Id == "kill-child");
        var shifted = rule with { Measures = [.. rule.Measures, new Measure("502s, shifted on the sim", f => f.Requests(502) + (f.Directory.Contains("/sim") ? 2 : 0), 1)] };
        var verdict = ConformanceRunner.Judge(shifted, outcome.Engines, outcome.Runs).Verdicts["sim"];
        Assert.False(verdict.Same);
        Assert.Equal("502s, shifted on the sim: 3 (php-fpm: 1, tolerance ±1)", Assert.Single(verdict.Differences));

        var runs = outcome.Runs.Select(r => r.Engine == "sim" && r.Scenario == "kill-child" ? r with { Status = RunStatus.Failed, Reason = "boom", Facts = null } : r).ToList();
        var failed = ConformanceRunner.Judge(rule, outcome.Engines, runs).Verdicts["sim"];
        Assert.False(failed.Same);
        Assert.Contains("did not complete (failed: boom)", Assert.Single(failed.Differences));
        Assert.False((outcome with { Runs = runs }).AllSame);
    }
}
