using Lab.Report.Model;
using Lab.Report.Sections;

namespace Lab.Report.Tests;

/// <summary>
/// The report's growth by request kind against the simulator, which knows the truth: each
/// kind's leak is what the scenario says (leak_scale 1), for any seed and mix.
/// </summary>
public class GrowthByKindTests
{
    [Theory]
    [InlineData(1UL, "20M", "0K", "10%")]
    [InlineData(7UL, "8M", "256K", "30%")]
    [InlineData(42UL, "50M", "64K", "2%")]
    public void The_fitted_growth_of_each_kind_is_its_leak_and_the_leading_kind_is_named(ulong seed, string heavy, string light, string share)
    {
        using var tmp = new TempDir();
        var run = TestRuns.Sim(tmp.Sub("run"), "rare-heavy-request", $"seed={seed}", $"request.kinds.2.leak={heavy}", $"request.kinds.1.leak={light}",
            $"request.kinds.2.share={share}", "memory.retain_fraction=0", "load.phases.1.during=20s");
        var g = KindGrowth.Of(run.Samples, run.Requests, exactTimes: true)!;
        Assert.Equal("per request", g.Method); // the sim writes each request's rss_kb: exact
        double Kb(string size) => Lab.Scenarios.ScenarioUnits.ParseSizeKb(size, out _)!.Value;
        var export = g.Kinds.Single(k => k.Kind == "export");
        var page = g.Kinds.Single(k => k.Kind == "page");
        Assert.InRange(export.KbPerRequest, Kb(heavy) * 0.97, Kb(heavy) * 1.03);
        Assert.InRange(page.KbPerRequest, Kb(light) - 16, Kb(light) * 1.03 + 16);
        Assert.Equal(export.Requests + page.Requests, run.Requests.Count);
        Assert.Equal(export.Kind, g.Leading!.Kind);
        Assert.StartsWith($"export ({Fmt.Percent(export.Share)} of the requests, {export.Requests} of {run.Requests.Count}) accounts for", GrowthByKind.Sentence(g));
    }

    [Fact]
    public void A_run_without_kinds_has_no_such_section()
    {
        using var tmp = new TempDir();
        var run = TestRuns.Sim(tmp.Sub("run"), "article-max-requests");
        Assert.Null(KindGrowth.Of(run.Samples, run.Requests));
    }
}
