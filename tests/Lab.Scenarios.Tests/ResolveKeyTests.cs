namespace Lab.Scenarios.Tests;

public class ResolveKeyTests
{
    private const string Spike = """
        [request]
        leak = { dist = "uniform", min = "0K", max = "4M" }

        [[load.phases]]
        phase = "inject"
        rate = 5
        during = "20s"

        [[load.phases]]
        phase = "ramping-inject"
        rate = 60
        during = "10s"

        [[load.phases]]
        phase = "keep-constant"
        copies = 4
        during = "10s"

        [[actions]]
        at = "5s"
        action = "kill-child"
        """;

    [Theory]
    [InlineData("max_requests", "pool.max_requests")]
    [InlineData("max_requests=5", "pool.max_requests")]
    [InlineData("pool.max_requests", "pool.max_requests")]
    [InlineData("pm.max_requests", "pool.max_requests")]
    [InlineData("listen.backlog", "pool.listen_backlog")]
    [InlineData("engine", "engine")]
    [InlineData("seed", "seed")]
    [InlineData("duration", "duration")]
    [InlineData("timeout", "load.timeout")]
    [InlineData("memory_limit", "pool.memory_limit")]
    [InlineData("leak", "request.leak")]
    [InlineData("leak.max", "request.leak.max")]
    [InlineData("name", "pool.name")]
    [InlineData("guard.max_rss", "guard.max_rss")]
    [InlineData("load.phases.2.rate", "load.phases.2.rate")]
    [InlineData("actions.1.set.max_requests", "actions.1.set.max_requests")]
    public void Keys_resolve_without_the_scenario(string key, string path) =>
        Assert.Equal(path, ScenarioLoader.ResolveKey(key));

    [Theory]
    [InlineData("copies", "load.phases.3.copies")]
    [InlineData("think", "load.phases.3.think")]
    [InlineData("target", "actions.1.target")]
    [InlineData("at", "actions.1.at")]
    [InlineData("load.phases.1.rate", "load.phases.1.rate")]
    public void Phase_and_action_leaves_resolve_against_the_scenario(string key, string path) =>
        Assert.Equal(path, ScenarioLoader.ResolveKey(key, Spike));

    [Fact]
    public void An_ambiguous_leaf_lists_every_candidate()
    {
        var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.ResolveKey("rate", Spike));
        Assert.StartsWith("command line: ", e.Message);
        Assert.Contains("\"rate\" is ambiguous: it names load.phases.1.rate, load.phases.2.rate;", e.Message);
        var d = Assert.Throws<ScenarioException>(() => ScenarioLoader.ResolveKey("during", Spike));
        Assert.Contains("load.phases.1.during, load.phases.2.during, load.phases.3.during", d.Message);
        var m = Assert.Throws<ScenarioException>(() => ScenarioLoader.ResolveKey("max"));
        Assert.Contains("request.leak.max, request.transient.max, request.work.max, request.wait.max", m.Message);
    }

    [Fact]
    public void A_phase_leaf_without_the_scenario_asks_for_the_phase_number()
    {
        var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.ResolveKey("rate"));
        Assert.Contains("rate is a key of a load phase: name which one, numbered from 1 (e.g. load.phases.1.rate=...)", e.Message);
    }

    [Theory]
    [InlineData("max_request", "did you mean max_requests, that is pool.max_requests?")]
    [InlineData("pool.max_childs", "did you mean pool.max_children?")]
    [InlineData("enigne", "did you mean engine?")]
    [InlineData("sample_intervl", "did you mean sample_interval?")]
    [InlineData("memory_limt=1G", "did you mean memory_limit, that is pool.memory_limit?")]
    public void Unknown_keys_get_a_did_you_mean(string key, string hint)
    {
        var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.ResolveKey(key));
        Assert.StartsWith("command line: ", e.Message);
        Assert.Contains("unknown key", e.Message);
        Assert.Contains(hint, e.Message);
    }

    [Fact]
    public void An_unknown_key_with_no_near_name_lists_the_top_level_keys_and_tables()
    {
        var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.ResolveKey("zzzzzz"));
        Assert.Contains("top-level keys: title, description, engine", e.Message);
        Assert.Contains("[[load.phases]]", e.Message);
    }

    [Theory]
    [InlineData("pool", "[pool] is a table")]
    [InlineData("load.phases.x.rate", "numbered from 1")]
    [InlineData("load.phases.0.rate", "numbered from 1")]
    [InlineData("actions.1.set.max_requsts", "unknown key \"max_requsts\" in a reload's set (did you mean max_requests?)")]
    public void Tables_and_bad_numbers(string key, string message)
    {
        var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.ResolveKey(key));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void A_set_key_of_an_action_that_is_not_a_reload_is_refused()
    {
        var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.ResolveKey("actions.1.set.pm=static", Spike));
        Assert.Contains("actions.1 is a kill-child action; set belongs to reload actions only", e.Message);
    }

    [Fact]
    public void Every_schema_key_resolves_to_itself()
    {
        foreach (var key in ScenarioSchema.Keys)
        {
            string path = key.Path.Replace(".N.", ".1.");
            Assert.Equal(path, ScenarioLoader.ResolveKey(path));
        }
    }
}
