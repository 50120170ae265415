using Lab.Core.Scenarios;
using static Lab.Scenarios.Tests.Helpers;

namespace Lab.Scenarios.Tests;

/// <summary>[recycle]: the other servers' recycling rules, not php-fpm directives.</summary>
public class RecycleKeysTests
{
    private const string All = """
        engine = "sim"

        [recycle]
        jitter = 250
        delta = 7
        max_rss = "300M"
        max_uss = "250M"
        kill_rss = "1G"
        pool_budget = "8G"
        check_interval = "1500ms"
        min_lifetime = "10s"

        """;

    [Fact]
    public void Every_key_is_read_and_written_back()
    {
        var s = Parse(All + OnePhase);
        Assert.Equal(new RecycleSettings
        {
            Jitter = 250, Delta = 7, MaxRssBytes = 300L << 20, MaxUssBytes = 250L << 20, KillRssBytes = 1L << 30, PoolBudgetBytes = 8L << 30,
            CheckInterval = TimeSpan.FromMilliseconds(1500), MinLifetime = TimeSpan.FromSeconds(10),
        }, s.Recycle);
        string written = ScenarioWriter.ToToml(s);
        Assert.Contains("[recycle]", written);
        Assert.Contains("not php-fpm directives", written);
        AssertSame(s, Parse(written));
        Assert.Equal(new RecycleSettings(), Parse(OnePhase).Recycle);
        Assert.DoesNotContain("[recycle]", ScenarioWriter.ToToml(Parse(OnePhase)));
    }

    [Fact]
    public void Overrides_name_recycle_keys_and_a_bare_max_rss_stays_the_guards()
    {
        var s = Parse(OnePhase, "max_requests=375", "recycle.jitter=250", "engine=sim");
        Assert.Equal(375, s.Pool.MaxRequests);
        Assert.Equal(250, s.Recycle.Jitter);
        Assert.Equal(3, Parse(OnePhase, "jitter=3").Recycle.Jitter);
        // [guard] max_rss and [recycle] max_rss: the bare key keeps the guard's meaning; the rule needs its table
        var g = Parse(OnePhase, "max_rss=100M", "engine=sim");
        Assert.Equal(100L << 20, g.Guard.MaxRssBytes);
        Assert.Equal(0, g.Recycle.MaxRssBytes);
        Assert.Equal(100L << 20, Parse(OnePhase, "recycle.max_rss=100M", "engine=sim").Recycle.MaxRssBytes);
    }

    [Fact]
    public void The_php_fpm_engine_refuses_recycle_rules_it_does_not_have()
    {
        var e = Bad(All.Replace("engine = \"sim\"", "engine = \"php-fpm\"") + OnePhase);
        Assert.Contains("php-fpm has no such rule", e.Message);
        Assert.Contains("jitter", e.Message);
        Assert.Contains("engine=sim or engine=dotnet", e.Message);
        e = Bad(OnePhase, "engine=php-fpm", "recycle.jitter=10");
        Assert.Contains("php-fpm has no such rule", e.Message);
        // the dotnet engine runs them
        Assert.Equal(10, Parse(OnePhase, "engine=dotnet", "recycle.jitter=10").Recycle.Jitter);
    }

    [Fact]
    public void Bad_values_are_refused_with_their_place()
    {
        Assert.Contains("recycle.jitter", Bad(OnePhase + "[recycle]\njitter = -1\n").Message);
        Assert.Contains("recycle.check_interval", Bad(OnePhase + "[recycle]\ncheck_interval = \"0s\"\n").Message);
        Assert.Contains("did you mean", Bad(OnePhase + "[recycle]\njiter = 5\n").Message);
    }
}
