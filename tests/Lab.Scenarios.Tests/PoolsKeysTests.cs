using Lab.Core.Scenarios;
using static Lab.Scenarios.Tests.Helpers;

namespace Lab.Scenarios.Tests;

/// <summary>pool.pools and pool.pools_step: several pools behind one upstream (the simulator's, not a php-fpm directive).</summary>
public class PoolsKeysTests
{
    private const string Two = """
        engine = "sim"
        [pool]
        pm = "static"
        max_children = 65
        max_requests = 400
        pools = 3
        pools_step = 200

        """;

    [Fact]
    public void The_pools_split_the_children_and_step_their_max_requests()
    {
        var s = Parse(Two + OnePhase);
        Assert.Equal(3, s.Pool.Pools);
        Assert.Equal(200, s.Pool.PoolsStep);
        var pools = Enumerable.Range(0, 3).Select(s.Pool.PoolOf).ToList();
        Assert.Equal(["www1", "www2", "www3"], pools.Select(p => p.Name));
        Assert.Equal([22, 22, 21], pools.Select(p => p.MaxChildren));
        Assert.Equal([400, 600, 800], pools.Select(p => p.MaxRequests));
        Assert.All(pools, p => Assert.Equal(1, p.Pools));
        // one pool is the pool itself
        var one = Parse("engine = \"sim\"\n" + OnePhase).Pool;
        Assert.Equal(one, one.PoolOf(0));
        // unlimited stays unlimited
        Assert.Equal(0, Parse(Two + OnePhase, "max_requests=0").Pool.PoolOf(2).MaxRequests);
    }

    [Fact]
    public void The_keys_are_written_back_and_read_the_same()
    {
        var s = Parse(Two + OnePhase);
        string toml = ScenarioWriter.ToToml(s);
        Assert.Contains("pools = 3\n", toml);
        Assert.Contains("pools_step = 200\n", toml);
        AssertSame(s, Parse(toml));
        Assert.DoesNotContain("pools", ScenarioWriter.ToToml(Parse("engine = \"sim\"\n" + OnePhase)));
        // short overrides, as sweeps use them
        Assert.Equal(4, Parse(Two + OnePhase, "pools=4").Pool.Pools);
        Assert.Equal(50, Parse(Two + OnePhase, "pools_step=50").Pool.PoolsStep);
    }

    [Theory]
    [InlineData("engine=php-fpm", "simulator only")]
    [InlineData("engine=dotnet", "simulator only")]
    [InlineData("pm=dynamic", "pm = \"static\" only")]
    [InlineData("max_children=2", "each pool needs a child")]
    [InlineData("pools=0", "positive integer")]
    [InlineData("pools_step=-1", "0 or a positive integer")]
    public void What_the_simulator_does_not_model_is_refused_with_a_clear_line(string overrideText, string expected)
    {
        var e = Bad(Two + OnePhase, overrideText);
        Assert.Contains(expected, e.Message);
        Assert.Contains("pool", e.Message);
    }

    [Fact]
    public void Several_pools_run_without_actions()
    {
        var e = Bad(Two + OnePhase + """
            [[actions]]
            at = "5s"
            action = "reload"

            """);
        Assert.Contains("without [[actions]]", e.Message);
    }
}
