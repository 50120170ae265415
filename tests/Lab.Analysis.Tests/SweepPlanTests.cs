using Lab.Analysis.Sweeps;
using Lab.Core.Paths;
using Lab.Core.Scenarios;
using Lab.Scenarios;

namespace Lab.Analysis.Tests;

/// <summary>The sweep's grid: swept keys and plain overrides, every cell checked before anything runs.</summary>
public class SweepPlanTests
{
    private static SweepPlan Plan(params string[] keyValues) => SweepPlan.Create("article-growth", keyValues, LabPaths.Scenarios);

    [Fact]
    public void A_comma_list_is_swept_the_rest_are_overrides_and_the_engine_is_the_sim()
    {
        var plan = Plan("max_requests=0,5,50", "seed=7", "memory_limit=256M");
        var axis = Assert.Single(plan.Axes);
        Assert.Equal("max_requests", axis.Key);
        Assert.Equal("pool.max_requests", axis.Path);
        Assert.Equal(["0", "5", "50"], axis.Values);
        Assert.Equal(["engine=sim", "seed=7", "memory_limit=256M"], plan.Overrides);
        Assert.Equal([0, 5, 50], plan.Cells.Select(c => c.Scenario.Pool.MaxRequests));
        Assert.All(plan.Cells, c => Assert.Equal(EngineKind.Sim, c.Scenario.Engine));
        Assert.All(plan.Cells, c => Assert.Equal(7UL, c.Scenario.Seed));
        Assert.All(plan.Cells, c => Assert.Equal(256L << 20, c.Scenario.Pool.MemoryLimitBytes));
        Assert.Equal(["max_requests=0", "max_requests=5", "max_requests=50"], plan.Cells.Select(c => c.Folder));
        Assert.False(plan.AnyReal);
        Assert.Equal("article-growth", plan.ScenarioName);
    }

    [Fact]
    public void Two_swept_keys_make_every_combination_the_first_varying_slowest()
    {
        var plan = Plan("max_requests=5,10", "pm.max_children=1,2,4");
        Assert.Equal(6, plan.Cells.Count);
        Assert.Equal(["5/1", "5/2", "5/4", "10/1", "10/2", "10/4"],
            plan.Cells.Select(c => $"{c.Scenario.Pool.MaxRequests}/{c.Scenario.Pool.MaxChildren}"));
        Assert.Equal("max_requests=10,pm.max_children=2", plan.Cells[4].Folder);
        Assert.Equal("max_requests=10 pm.max_children=2", plan.Cells[4].Label);
        Assert.Equal(Enumerable.Range(0, 6), plan.Cells.Select(c => c.Index));
    }

    [Fact]
    public void An_explicit_engine_is_kept_and_a_real_engine_makes_the_sweep_sequential()
    {
        var plan = Plan("max_requests=0,5", "engine=dotnet");
        Assert.True(plan.AnyReal);
        Assert.DoesNotContain("engine=sim", plan.Overrides);
        Assert.All(plan.Cells, c => Assert.Equal(EngineKind.Dotnet, c.Scenario.Engine));

        var mixed = Plan("engine=sim,dotnet");
        Assert.True(mixed.AnyReal);
        Assert.Equal([EngineKind.Sim, EngineKind.Dotnet], mixed.Cells.Select(c => c.Scenario.Engine));
    }

    [Fact]
    public void An_inline_table_with_commas_is_one_value_not_a_list()
    {
        var plan = Plan("leak={dist=\"uniform\",min=\"0K\",max=\"4M\"}", "max_requests=0,5");
        Assert.Single(plan.Axes);
        Assert.All(plan.Cells, c => Assert.Equal(DistributionKind.Uniform, c.Scenario.Request.LeakKb.Kind));
    }

    [Fact]
    public void An_unknown_key_is_a_scenario_error_with_did_you_mean()
    {
        var e = Assert.Throws<ScenarioException>(() => Plan("max_request=0,5"));
        Assert.Contains("max_request", e.Message);
        Assert.Contains("did you mean", e.Message);
        Assert.Contains("max_requests", e.Message);
    }

    [Theory]
    [InlineData("max_requests=,", "empty value")]
    [InlineData("max_requests=5,,50", "empty value")]
    [InlineData("max_requests=5,", "empty value")]
    [InlineData("max_requests=", "no value")]
    [InlineData("max_requests=5,5", "listed twice")]
    public void An_empty_or_repeated_value_is_a_clear_error(string arg, string expected)
    {
        var e = Assert.Throws<SweepException>(() => Plan(arg));
        Assert.Contains(expected, e.Message);
        Assert.Contains("max_requests", e.Message);
    }

    [Fact]
    public void No_swept_key_a_key_swept_twice_or_both_swept_and_set_are_errors()
    {
        Assert.Contains("at least one key with a list of values", Assert.Throws<SweepException>(() => Plan()).Message);
        Assert.Contains("plain override", Assert.Throws<SweepException>(() => Plan("max_requests=5")).Message);
        Assert.Contains("swept twice", Assert.Throws<SweepException>(() => Plan("max_requests=0,5", "pool.max_requests=1,2")).Message);
        Assert.Contains("also swept", Assert.Throws<SweepException>(() => Plan("max_requests=0,5", "pm.max_requests=3")).Message);
    }

    [Fact]
    public void A_bad_value_in_one_cell_stops_the_sweep_and_names_the_cell()
    {
        var e = Assert.Throws<ScenarioException>(() => Plan("max_requests=5,-1"));
        Assert.Contains("max_requests=-1", e.Message);
        Assert.Contains("in the sweep's cell", e.Message);
    }

    [Fact]
    public void An_unknown_scenario_is_reported_by_the_loader()
    {
        var e = Assert.Throws<ScenarioException>(() => SweepPlan.Create("artcle-growth", ["max_requests=0,5"], LabPaths.Scenarios));
        Assert.Contains("did you mean article-growth", e.Message);
    }

    [Fact]
    public void Folder_names_keep_settings_readable_and_safe()
    {
        Assert.Equal("memory_limit=1G", SweepPlan.FolderName([new("memory_limit", "1G")]));
        Assert.Equal("script=_x_y.php", SweepPlan.FolderName([new("script", "/x/y.php")]));
    }
}
