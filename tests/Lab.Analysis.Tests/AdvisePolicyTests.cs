using Lab.Analysis.Advice;
using Lab.Core.Engines;
using Lab.Core.Paths;
using Lab.Results;
using Lab.Scenarios;

namespace Lab.Analysis.Tests;

/// <summary>advise's comparison of recycling policies, each run on the simulator under the run's load.</summary>
public class AdvisePolicyTests
{
    [Fact]
    public async Task Advise_compares_the_fixed_limit_with_the_other_servers_policies_on_the_sim()
    {
        using var tmp = new SweepTempDir();
        // the storm in small: 8 static children at an even 40 req/s, 1M leaked a request
        var s = ScenarioLoader.Load("article-max-requests", ["engine=sim", "pm=static", "max_children=8", "max_requests=50", "rate=40", "during=30s",
            "iterations=100000", "leak=1M", "transient=0K"], LabPaths.Scenarios);
        string dir = tmp.Sub("storm");
        Assert.Equal(RunStatus.Complete, (await SweepSimRunner.Run(s, dir, CancellationToken.None)).Status);
        var run = RunFolder.Open(dir);

        var outcome = await AdviseRun.RunAsync(run, new AdviceRequest(1024 * 1024, true, 0.2, null), tmp.Sub("advise"), SweepSimRunner.Run, "test", null, CancellationToken.None);
        var c = Assert.IsType<PolicyComparison>(outcome.Policies);
        Assert.Equal(8, c.MaxChildren);
        Assert.Equal(5, c.Results.Count);
        Assert.All(c.Results, r => Assert.True(r.Ran, r.Problem));
        var fix = c.Results[0];
        Assert.True(fix.PhpFpm);
        Assert.Equal(1, c.Results.Count(r => r.PhpFpm));
        var jitter = c.Results.Single(r => r.Name.StartsWith("gunicorn", StringComparison.Ordinal));
        var delta = c.Results.Single(r => r.Name.StartsWith("uWSGI: max-requests-delta", StringComparison.Ordinal));
        // the fixed limit recycles the 8 children together; the same mean limit spread by jitter or delta does not
        Assert.Equal(8, fix.MaxRecyclesPerSecond);
        Assert.True(jitter.MaxRecyclesPerSecond < fix.MaxRecyclesPerSecond && delta.MaxRecyclesPerSecond < fix.MaxRecyclesPerSecond);
        Assert.True(jitter.PeakPoolRssKb < fix.PeakPoolRssKb && delta.PeakPoolRssKb < fix.PeakPoolRssKb);
        Assert.InRange(jitter.RespawnsPer1k, 0.8 * fix.RespawnsPer1k, 1.2 * fix.RespawnsPer1k); // the same mean limit
        // every policy's run is a sim run of the run's load with its rules, read back from its folder
        var toml = RunFolder.Open(jitter.Dir).ScenarioToml;
        Assert.Contains("[recycle]", toml);
        Assert.Contains("engine = \"sim\"", toml);

        string text = string.Join('\n', outcome.Lines);
        Assert.Contains("recycling policies on the sim under the run's load", text);
        Assert.Contains("the same RAM holds the most with", text);
        Assert.Contains("php-fpm itself offers only the fixed limit", text);
        Assert.Contains("Recycling policies side by side", File.ReadAllText(Path.Combine(tmp.Sub("advise"), "report.html")));
    }
}
