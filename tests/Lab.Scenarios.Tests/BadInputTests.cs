using static Lab.Scenarios.Tests.Helpers;

namespace Lab.Scenarios.Tests;

/// <summary>
/// Bad input: each a one-paragraph message naming where (file:line or "command line"), the
/// key, and where relevant the valid choices and a "did you mean".
/// </summary>
public class BadInputTests
{
    private static void AssertAt(ScenarioException e, string toml, string lineText)
    {
        int line = LineOf(toml, lineText);
        Assert.StartsWith($"{Source}:{line}: ", e.Message);
        Assert.Equal(Source, e.File);
        Assert.Equal(line, e.Line);
        Assert.DoesNotContain('\n', e.Message);
    }

    private static void AssertCommandLine(ScenarioException e)
    {
        Assert.StartsWith("command line: ", e.Message);
        Assert.Null(e.File);
        Assert.Null(e.Line);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Unknown_key_in_the_file_lists_the_table_s_keys_and_a_did_you_mean()
    {
        string toml = "[pool]\npm = \"static\"\nmax_request = 5\n" + OnePhase;
        var e = Bad(toml);
        AssertAt(e, toml, "max_request = 5");
        Assert.Contains("unknown key \"max_request\" in [pool]", e.Message);
        Assert.Contains("did you mean max_requests?", e.Message);
        Assert.Contains("keys of [pool]: name, pm, max_children", e.Message);
    }

    [Fact]
    public void A_key_in_the_wrong_table_says_where_it_belongs()
    {
        string toml = "max_requests = 5\n" + OnePhase;
        var e = Bad(toml);
        AssertAt(e, toml, "max_requests = 5");
        Assert.Contains("max_requests belongs in [pool]", e.Message);

        string phases = "[[phases]]\nphase = \"inject\"\n";
        var p = Bad(phases);
        AssertAt(p, phases, "[[phases]]");
        Assert.Contains("[[load.phases]]", p.Message);
    }

    [Fact]
    public void Unknown_key_on_the_command_line_has_a_did_you_mean_with_the_full_path()
    {
        var e = Bad(OnePhase, "max_request=5");
        AssertCommandLine(e);
        Assert.Contains("max_request=5", e.Message);
        Assert.Contains("did you mean max_requests, that is pool.max_requests?", e.Message);
        Assert.Contains("keys of [pool]:", e.Message);
    }

    [Fact]
    public void An_ambiguous_leaf_lists_the_candidates()
    {
        string toml = OnePhase + "[[load.phases]]\nphase = \"ramping-inject\"\nrate = 9\nduration = \"5s\"\n".Replace("duration", "during");
        var e = Bad(toml, "rate=5");
        AssertCommandLine(e);
        Assert.Contains("\"rate\" is ambiguous", e.Message);
        Assert.Contains("load.phases.1.rate, load.phases.2.rate", e.Message);
        Assert.Contains("load.phases.1.rate=5", e.Message);
    }

    [Fact]
    public void Max_requests_minus_one()
    {
        string toml = "[pool]\nmax_requests = -1\n" + OnePhase;
        var e = Bad(toml);
        Assert.Equal($"{Source}:2: pool.max_requests = -1: must be 0 (unlimited) or a positive integer.", e.Message);
    }

    [Fact]
    public void A_bad_override_value_reads_like_a_bad_file_value_at_the_command_line()
    {
        var e = Bad(OnePhase, "max_requests=-1");
        Assert.Equal("command line: pool.max_requests = -1: must be 0 (unlimited) or a positive integer.", e.Message);
        AssertCommandLine(e);
    }

    [Fact]
    public void Max_children_zero()
    {
        string toml = "[pool]\nmax_children = 0\n" + OnePhase;
        var e = Bad(toml);
        AssertAt(e, toml, "max_children = 0");
        Assert.Contains("pool.max_children = 0: must be a positive integer", e.Message);
    }

    [Fact]
    public void Min_spare_greater_than_max_spare_in_php_fpm_s_words()
    {
        string toml = "[pool]\nmin_spare_servers = 4\nmax_spare_servers = 3\n" + OnePhase;
        var e = Bad(toml);
        AssertAt(e, toml, "min_spare_servers = 4");
        Assert.Contains("pm.min_spare_servers(4) must not be greater than pm.max_spare_servers(3)", e.Message);
    }

    [Fact]
    public void A_cross_key_problem_made_by_an_override_is_located_at_the_command_line()
    {
        var e = Bad("[pool]\nmin_spare_servers = 2\n" + OnePhase, "max_spare_servers=1");
        AssertCommandLine(e);
        Assert.Contains("pm.min_spare_servers(2) must not be greater than pm.max_spare_servers(1)", e.Message);
    }

    [Fact]
    public void Start_servers_outside_the_spare_range()
    {
        string toml = "[pool]\nmax_children = 10\nstart_servers = 5\nmin_spare_servers = 1\nmax_spare_servers = 3\n" + OnePhase;
        var e = Bad(toml);
        AssertAt(e, toml, "start_servers = 5");
        Assert.Contains("pm.start_servers(5) must not be less than pm.min_spare_servers(1) and not greater than pm.max_spare_servers(3)", e.Message);
    }

    [Fact]
    public void Max_spare_greater_than_max_children()
    {
        string toml = "[pool]\nmax_children = 4\nmax_spare_servers = 6\n" + OnePhase;
        var e = Bad(toml);
        AssertAt(e, toml, "max_spare_servers = 6");
        Assert.Contains("pm.max_spare_servers(6) must not be greater than pm.max_children(4)", e.Message);
        // A static pool does not use the spare settings (as php-fpm): no error.
        Assert.Equal(4, Parse(toml, "pm=static").Pool.MaxChildren);
    }

    [Fact]
    public void Pm_dinamic_suggests_dynamic_and_lists_the_choices()
    {
        string toml = "[pool]\npm = \"dinamic\"\n" + OnePhase;
        var e = Bad(toml);
        Assert.Equal($"{Source}:2: pool.pm = \"dinamic\": must be one of static, dynamic, ondemand (did you mean dynamic?).", e.Message);
    }

    [Fact]
    public void A_rate_of_abc_in_the_file_and_on_the_command_line()
    {
        string toml = "[[load.phases]]\nphase = \"inject\"\nrate = \"abc\"\nduration = \"10s\"\n".Replace("duration", "during");
        var e = Bad(toml);
        AssertAt(e, toml, "rate = \"abc\"");
        Assert.Contains("load.phases.1.rate = \"abc\": must be a number of requests per second", e.Message);

        var c = Bad(OnePhase, "rate=abc");
        AssertCommandLine(c);
        Assert.Contains("load.phases.1.rate = abc: must be a number of requests per second", c.Message);
    }

    [Fact]
    public void A_negative_rate()
    {
        string toml = "[[load.phases]]\nphase = \"inject\"\nrate = -2\nduring = \"10s\"\n";
        var e = Bad(toml);
        AssertAt(e, toml, "rate = -2");
        Assert.Contains("load.phases.1.rate = -2: must be a number of requests per second, 0 or more", e.Message);
    }

    [Fact]
    public void A_duration_without_a_unit()
    {
        string toml = "[[load.phases]]\nphase = \"inject\"\nrate = 2\nduring = \"30\"\n";
        var e = Bad(toml);
        AssertAt(e, toml, "during = \"30\"");
        Assert.Contains("load.phases.1.during = \"30\": needs a unit: us, ms, s, m or h (e.g. \"30s\"", e.Message);
        // A bare integer too (only the *_timeout keys take a bare 0).
        var bare = Bad("[[load.phases]]\nphase = \"pause\"\nduring = 0\n");
        Assert.Contains("load.phases.1.during = 0: needs a unit", bare.Message);
        var sample = Bad("sample_interval = \"5x\"\n" + OnePhase);
        Assert.Contains("unknown time unit \"x\"", sample.Message);
    }

    [Fact]
    public void A_size_with_a_bad_suffix()
    {
        string toml = "[request]\nleak = \"4X\"\n" + OnePhase;
        var e = Bad(toml);
        AssertAt(e, toml, "leak = \"4X\"");
        Assert.Contains("request.leak = \"4X\": has an unknown size unit \"X\"; units: B, K, M or G", e.Message);
        Assert.Contains("did you mean M?", Bad(OnePhase, "leak=4MB").Message);
        Assert.Contains("request.transient.max = \"4\": needs a unit", Bad("[request]\ntransient = { dist = \"uniform\", min = \"0K\", max = \"4\" }\n" + OnePhase).Message);
    }

    [Fact]
    public void Memory_limit_12Q()
    {
        string toml = "[pool]\nmemory_limit = \"12Q\"\n" + OnePhase;
        var e = Bad(toml);
        AssertAt(e, toml, "memory_limit");
        Assert.Contains("pool.memory_limit = \"12Q\": must be php's memory_limit syntax: bytes, or a number with K, M or G", e.Message);
        Assert.Contains("-1 for unlimited", e.Message);
    }

    [Fact]
    public void An_unknown_phase_kind()
    {
        string toml = "[[load.phases]]\nphase = \"injct\"\nrate = 2\nduring = \"10s\"\n";
        var e = Bad(toml);
        AssertAt(e, toml, "phase = \"injct\"");
        Assert.Contains("load.phases.1.phase = \"injct\": must be one of inject, ramping-inject, inject-random, keep-constant, ramping-constant, pause (did you mean inject?)", e.Message);
    }

    [Fact]
    public void A_phase_without_during()
    {
        string toml = "[[load.phases]]\nphase = \"inject\"\nrate = 2\n";
        var e = Bad(toml);
        AssertAt(e, toml, "[[load.phases]]");
        Assert.Contains("load.phases.1 (phase = \"inject\") has no during", e.Message);
    }

    [Fact]
    public void Inject_without_rate()
    {
        string toml = OnePhase + "[[load.phases]]\nphase = \"inject\"\nduring = \"10s\"\n";
        var e = Bad(toml);
        Assert.StartsWith($"{Source}:5: ", e.Message); // the second [[load.phases]]
        Assert.Contains("load.phases.2 (phase = \"inject\") has no rate: an inject phase needs rate (requests per second", e.Message);
    }

    [Fact]
    public void Keep_constant_without_copies()
    {
        string toml = "[[load.phases]]\nphase = \"keep-constant\"\nduring = \"10s\"\n";
        var e = Bad(toml);
        AssertAt(e, toml, "[[load.phases]]");
        Assert.Contains("has no copies: a keep-constant phase needs copies", e.Message);
    }

    [Fact]
    public void A_key_that_does_not_apply_to_the_phase_kind()
    {
        string toml = "[[load.phases]]\nphase = \"inject\"\nrate = 1\ncopies = 3\nduring = \"10s\"\n";
        var e = Bad(toml);
        AssertAt(e, toml, "copies = 3");
        Assert.Contains("load.phases.1.copies: copies does not apply to an inject phase; its keys: phase, during, rate", e.Message);
    }

    [Fact]
    public void An_action_after_the_run_ends()
    {
        string toml = OnePhase + "[[actions]]\nat = \"30s\"\naction = \"restart\"\n";
        var e = Bad(toml);
        AssertAt(e, toml, "at = \"30s\"");
        Assert.Contains("actions.1.at = \"30s\": is at or after the end of the run (10s)", e.Message);
        // A longer run makes it fine.
        Assert.Single(Parse(toml, "duration=60s").Actions);
    }

    [Fact]
    public void A_reload_set_with_an_unknown_pool_key()
    {
        string toml = OnePhase + "[[actions]]\nat = \"5s\"\naction = \"reload\"\nset = { max_request = 5 }\n";
        var e = Bad(toml);
        AssertAt(e, toml, "set = ");
        Assert.Contains("unknown key \"max_request\" in actions.1.set (did you mean max_requests?)", e.Message);
        Assert.Contains("keys of actions.1.set: name, pm, max_children", e.Message);
    }

    [Fact]
    public void A_reload_set_is_validated_as_a_whole_pool()
    {
        string toml = "[pool]\nmax_children = 10\nmax_spare_servers = 5\n" + OnePhase + "[[actions]]\nat = \"5s\"\naction = \"reload\"\nset = { min_spare_servers = 6 }\n";
        var e = Bad(toml);
        AssertAt(e, toml, "set = ");
        Assert.Contains("actions.1.set (the pool after the reload): pm.min_spare_servers(6) must not be greater than pm.max_spare_servers(5)", e.Message);
        Assert.Contains("actions.1.set.max_requests = -3: must be 0 (unlimited)",
            Bad(OnePhase + "[[actions]]\nat = \"5s\"\naction = \"reload\"\nset = { max_requests = -3 }\n").Message);
    }

    [Fact]
    public void A_kill_child_with_an_unknown_signal()
    {
        string toml = OnePhase + "[[actions]]\nat = \"5s\"\naction = \"kill-child\"\nsignal = \"KIL\"\n";
        var e = Bad(toml);
        AssertAt(e, toml, "signal = ");
        Assert.Contains("actions.1.signal = \"KIL\": is not a signal the lab knows (did you mean KILL?); signals: KILL, TERM, SEGV", e.Message);
        Assert.Contains("from 1 to 64", Bad(OnePhase + "[[actions]]\nat = \"5s\"\naction = \"kill-child\"\nsignal = 99\n").Message);
    }

    [Fact]
    public void A_missing_scenario_lists_the_available_ones_with_a_did_you_mean()
    {
        string dir = Path.Combine(Path.GetTempPath(), "lab-scenarios-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "article-growth.toml"), OnePhase);
            File.WriteAllText(Path.Combine(dir, "dynamic-spike.toml"), OnePhase);
            var e = Assert.Throws<ScenarioException>(() => ScenarioLoader.Load("artcle-growth", [], dir));
            Assert.Contains("no scenario \"artcle-growth\"", e.Message);
            Assert.Contains("(did you mean article-growth?)", e.Message);
            Assert.Contains("available: article-growth, dynamic-spike", e.Message);
            var p = Assert.Throws<ScenarioException>(() => ScenarioLoader.Load("results/nope/scenario.toml", [], dir));
            Assert.Contains("no file results/nope/scenario.toml", p.Message);
            // And found with or without .toml.
            Assert.Equal("article-growth", ScenarioLoader.Load("article-growth.toml", [], dir).Name);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void A_broken_toml_file_reports_tomlyn_s_diagnostic_with_its_line()
    {
        string toml = "title = \"x\"\n[pool]\nmax_children = \n" + OnePhase;
        var e = Bad(toml);
        Assert.StartsWith($"{Source}:3: this is not valid TOML: ", e.Message);
        Assert.Contains("expecting a value", e.Message);
        Assert.Equal(3, e.Line);
        var dup = Bad("[pool]\npm = \"static\"\npm = \"dynamic\"\n" + OnePhase);
        Assert.StartsWith($"{Source}:3: this is not valid TOML: ", dup.Message);
        Assert.Contains("already defined", dup.Message);
    }

    [Fact]
    public void An_override_without_equals()
    {
        var e = Bad(OnePhase, "max_requests5");
        AssertCommandLine(e);
        Assert.Contains("\"max_requests5\" is not an override: write key=value", e.Message);
        Assert.Contains("has no key", Bad(OnePhase, "=5").Message);
    }

    [Fact]
    public void No_load_phases_and_no_duration()
    {
        var e = Bad("title = \"nothing\"\n");
        Assert.StartsWith($"{Source}: the scenario has no load phases and no duration", e.Message);
        Assert.Equal(Source, e.File);
        Assert.Null(e.Line);
    }

    [Fact]
    public void A_distribution_sub_key_that_does_not_fit_the_distribution()
    {
        string toml = "[request]\nleak = { dist = \"normal\", mean = \"1M\", max = \"2M\" }\n" + OnePhase;
        var e = Bad(toml);
        AssertAt(e, toml, "leak = ");
        Assert.Contains("request.leak.max: max is not a key of a normal distribution; its keys: dist, mean, stddev", e.Message);
        var c = Bad(OnePhase, "leak.max=8M");
        AssertCommandLine(c);
        Assert.Contains("request.leak is a constant (0K), not a distribution", c.Message);
        Assert.Contains("min (4M) must not be greater than max (1M)", Bad("[request]\nleak = { dist = \"uniform\", min = \"4M\", max = \"1M\" }\n" + OnePhase).Message);
        Assert.Contains("(did you mean uniform?)", Bad("[request]\nleak = { dist = \"unifrom\", min = \"0K\", max = \"1M\" }\n" + OnePhase).Message);
    }

    [Fact]
    public void A_phase_number_out_of_range_and_a_key_no_phase_takes()
    {
        var e = Bad(OnePhase, "load.phases.3.rate=1");
        AssertCommandLine(e);
        Assert.Contains("the scenario has 1 load phase, so there is no load.phases.3", e.Message);
        var c = Bad(OnePhase, "copies=4");
        Assert.Contains("no load phase of this scenario takes copies (load.phases.1 is an inject load phase)", c.Message);
        var k = Bad(OnePhase, "load.phases.1.copies=4");
        Assert.Contains("load.phases.1 is an inject load phase, and copies does not apply to it", k.Message);
    }

    [Fact]
    public void Seed_and_other_integers_out_of_range()
    {
        Assert.Contains("seed = -1: must be an integer from 0", Bad("seed = -1\n" + OnePhase).Message);
        Assert.Contains("load.max_in_flight = 0: must be a positive integer", Bad("[load]\nmax_in_flight = 0\n" + OnePhase).Message);
        Assert.Contains("pool.max_children = 2.5: must be a positive integer", Bad("[pool]\nmax_children = 2.5\n" + OnePhase).Message);
        Assert.Contains("memory.retain_fraction = 1.5: must be a number from 0 to 1", Bad("[memory]\nretain_fraction = 1.5\n" + OnePhase).Message);
    }

    [Fact]
    public void Php_fpm_s_pm_prefix_inside_pool_gets_a_hint()
    {
        string toml = "[pool]\npm.max_children = 5\n" + OnePhase;
        var e = Bad(toml);
        AssertAt(e, toml, "pm.max_children");
        Assert.Contains("write max_children = 5", e.Message);
    }

    [Fact]
    public void Slowlog_greater_than_terminate_timeout()
    {
        var e = Bad("[pool]\nrequest_terminate_timeout = \"10s\"\nrequest_slowlog_timeout = \"30s\"\n" + OnePhase);
        Assert.Contains("[pool www] 'request_slowlog_timeout' (30) can't be greater than 'request_terminate_timeout' (10)", e.Message);
    }

    [Fact]
    public void Single_brackets_for_phases_say_to_use_double_brackets()
    {
        string toml = "[load.phases]\nphase = \"inject\"\nrate = 1\nduring = \"1s\"\n";
        var e = Bad(toml);
        Assert.Contains("write [[load.phases]] (double brackets)", e.Message);
    }
}
