using Lab.Core.Records;
using Lab.Core.Scenarios;
using static Lab.Scenarios.Tests.Helpers;

namespace Lab.Scenarios.Tests;

public class DefaultsTests
{
    [Fact]
    public void A_minimal_scenario_gets_php_fpm_s_defaults()
    {
        var s = Parse(OnePhase);
        Assert.Equal("x", s.Title);
        Assert.Equal("", s.Description);
        Assert.Equal(EngineKind.Dotnet, s.Engine);
        Assert.Equal(FrontKind.FastCgi, s.Front);
        Assert.Equal(1UL, s.Seed);
        Assert.Equal(TimeSpan.FromSeconds(1), s.SampleInterval);
        Assert.Equal(FpmLogLevel.Notice, s.LogLevel);
        Assert.Equal("www", s.Pool.Name);
        Assert.Equal(ProcessManagerStyle.Dynamic, s.Pool.Pm);
        Assert.Equal(5, s.Pool.MaxChildren);
        Assert.Equal((1, 3, 2), (s.Pool.MinSpareServers, s.Pool.MaxSpareServers, s.Pool.StartServers));
        Assert.Equal(32, s.Pool.MaxSpawnRate);
        Assert.Equal(TimeSpan.FromSeconds(10), s.Pool.ProcessIdleTimeout);
        Assert.Equal(0, s.Pool.MaxRequests);
        Assert.Equal(TimeSpan.Zero, s.Pool.RequestTerminateTimeout);
        Assert.Equal(-1, s.Pool.ListenBacklog); // php-fpm 8.2 on Linux: the kernel's somaxconn
        Assert.Equal(TimeSpan.Zero, s.Pool.ProcessControlTimeout);
        Assert.Equal((0, TimeSpan.Zero), (s.Pool.EmergencyRestartThreshold, s.Pool.EmergencyRestartInterval));
        Assert.Equal(128L * 1024 * 1024, s.Pool.MemoryLimitBytes);
        Assert.Equal(new RequestProfile(), s.Request);
        Assert.Equal(new MemoryModel(), s.Memory);
        Assert.Equal(new GuardSettings(), s.Guard);
        Assert.Equal(ArrivalProcess.Even, s.Load.Arrivals);
        Assert.Null(s.Load.Iterations);
        Assert.Equal(1024, s.Load.MaxInFlight);
        // The default duration (the sum of the phases) is made explicit.
        Assert.Equal(TimeSpan.FromSeconds(10), s.Duration);
    }

    [Theory]
    [InlineData(1, 3, 2)]
    [InlineData(2, 6, 4)]
    [InlineData(2, 7, 4)]
    [InlineData(5, 5, 5)]
    public void Start_servers_defaults_to_min_spare_plus_half_the_spare_range(int min, int max, int expected)
    {
        var s = Parse($"[pool]\nmax_children = 10\nmin_spare_servers = {min}\nmax_spare_servers = {max}\n" + OnePhase);
        Assert.Null(s.Pool.StartServersSetting); // left unset, as in php-fpm's config ("pm.start_servers is not set")
        Assert.Equal(expected, s.Pool.StartServers);
    }

    [Fact]
    public void Duration_when_given_wins_over_the_phases()
    {
        Assert.Equal(TimeSpan.FromSeconds(90), Parse("duration = \"1m30s\"\n" + OnePhase).RunLength);
        Assert.Equal(TimeSpan.FromSeconds(5), Parse("duration = \"5s\"\n" + OnePhase).RunLength);
    }

    [Fact]
    public void A_scenario_without_load_runs_for_its_duration()
    {
        var s = Parse("duration = \"30s\"\n");
        Assert.Empty(s.Load.Phases);
        Assert.Equal(TimeSpan.FromSeconds(30), s.RunLength);
    }

    [Fact]
    public void Listen_backlog_takes_php_fpm_s_dotted_spelling()
    {
        Assert.Equal(64, Parse("[pool]\nlisten.backlog = 64\n" + OnePhase).Pool.ListenBacklog);
        Assert.Equal(65, Parse("[pool]\n\"listen.backlog\" = 65\n" + OnePhase).Pool.ListenBacklog);
        Assert.Equal(66, Parse("[pool]\nlisten_backlog = 66\n" + OnePhase).Pool.ListenBacklog);
    }

    [Theory]
    [InlineData("\"128M\"", 128L << 20)]
    [InlineData("\"128m\"", 128L << 20)]
    [InlineData("\"2G\"", 2L << 30)]
    [InlineData("\"512K\"", 512L << 10)]
    [InlineData("\"1000000\"", 1000000L)]
    [InlineData("1000000", 1000000L)]
    [InlineData("-1", -1L)]
    [InlineData("\"-1\"", -1L)]
    public void Memory_limit_follows_php(string toml, long bytes) =>
        Assert.Equal(bytes, Parse($"[pool]\nmemory_limit = {toml}\n" + OnePhase).Pool.MemoryLimitBytes);

    [Fact]
    public void Timeouts_accept_a_bare_zero_for_off()
    {
        var s = Parse("[pool]\nrequest_terminate_timeout = 0\nrequest_slowlog_timeout = \"0\"\n" + OnePhase);
        Assert.Equal(TimeSpan.Zero, s.Pool.RequestTerminateTimeout);
        Assert.Equal(TimeSpan.Zero, s.Pool.RequestSlowlogTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), Parse("[pool]\nrequest_terminate_timeout = \"30s\"\n" + OnePhase).Pool.RequestTerminateTimeout);
    }

    [Fact]
    public void Actions_are_sorted_by_time_and_kill_child_has_defaults()
    {
        var s = Parse(OnePhase + """
            [[actions]]
            at = "8s"
            action = "restart"

            [[actions]]
            at = "2s"
            action = "kill-child"
            """);
        Assert.Equal([ActionKind.KillChild, ActionKind.Restart], s.Actions.Select(a => a.Kind));
        Assert.Equal(ChildSelector.Oldest, s.Actions[0].Target);
        Assert.Equal(9, s.Actions[0].Signal);
    }

    [Fact]
    public void A_reload_set_is_the_pool_after_the_reload_with_start_servers_recomputed()
    {
        var s = Parse("[pool]\nmax_children = 10\n" + OnePhase + """
            [[actions]]
            at = "5s"
            action = "reload"
            set = { max_requests = 5, min_spare_servers = 4, max_spare_servers = 8, "listen.backlog" = 100 }
            """);
        var newPool = Assert.Single(s.Actions).NewPool!;
        Assert.Equal(s.Pool with { MaxRequests = 5, MinSpareServers = 4, MaxSpareServers = 8, ListenBacklog = 100 }, newPool);
        Assert.Equal(6, newPool.StartServers);
        Assert.Equal(2, s.Pool.StartServers);
    }

    [Fact]
    public void A_reload_without_set_keeps_the_pool()
    {
        var s = Parse(OnePhase + "[[actions]]\nat = \"5s\"\naction = \"reload\"\n");
        Assert.Null(Assert.Single(s.Actions).NewPool);
    }

    [Fact]
    public void Phases_may_also_be_an_array_of_inline_tables()
    {
        var s = Parse("[load]\nphases = [ { phase = \"inject\", rate = 1, during = \"5s\" }, { phase = \"pause\", during = \"5s\" } ]\n");
        Assert.Equal([LoadPhaseKind.Inject, LoadPhaseKind.Pause], s.Load.Phases.Select(p => p.Kind));
    }
}

public class OverrideTests
{
    private const string TwoPhases = """
        [[load.phases]]
        phase = "inject"
        rate = 2
        during = "10s"

        [[load.phases]]
        phase = "keep-constant"
        copies = 3
        during = "10s"

        [request]
        leak = { dist = "uniform", min = "0K", max = "4M" }
        """;

    [Fact]
    public void A_leaf_resolves_to_its_unique_key()
    {
        Assert.Equal(5, Parse(OnePhase, "max_requests=5").Pool.MaxRequests);
        Assert.Equal(ProcessManagerStyle.Static, Parse(OnePhase, "pm=static").Pool.Pm);
        Assert.Equal(EngineKind.Sim, Parse(OnePhase, "engine=sim").Engine);
        Assert.Equal(7UL, Parse(OnePhase, "seed=7").Seed);
        Assert.Equal(TimeSpan.FromSeconds(30), Parse(OnePhase, "duration=30s").Duration);
        Assert.Equal("pool2", Parse(OnePhase, "name=pool2").Pool.Name);
    }

    [Fact]
    public void The_dotted_form_and_php_fpm_s_spelling_work_too()
    {
        Assert.Equal(5, Parse(OnePhase, "pool.max_requests=5").Pool.MaxRequests);
        Assert.Equal(6, Parse(OnePhase, "pm.max_requests=6").Pool.MaxRequests);
        Assert.Equal(7, Parse(OnePhase, "pm.max_children=7").Pool.MaxChildren);
        Assert.Equal(99, Parse(OnePhase, "listen.backlog=99").Pool.ListenBacklog);
        Assert.Equal(98, Parse(OnePhase, "pool.listen_backlog=98").Pool.ListenBacklog);
    }

    [Fact]
    public void Values_are_parsed_by_the_key_s_type()
    {
        var s = Parse(OnePhase, "memory_limit=256M", "leak=8M", "work=1.5s", "rate=0.5", "retain_fraction=0.25", "guard.max_rss=1G", "request_terminate_timeout=0", "title=A title, with = sign");
        Assert.Equal(256L << 20, s.Pool.MemoryLimitBytes);
        Assert.Equal(Distribution.Const(8192), s.Request.LeakKb);
        Assert.Equal(Distribution.Const(1500), s.Request.WorkMs);
        Assert.Equal(0.5, s.Load.Phases[0].Rate);
        Assert.Equal(0.25, s.Memory.RetainFraction);
        Assert.Equal(1L << 30, s.Guard.MaxRssBytes);
        Assert.Equal("A title, with = sign", s.Title);
    }

    [Fact]
    public void Phases_are_addressed_from_1_and_a_bare_leaf_resolves_when_one_phase_has_it()
    {
        var s = Parse(TwoPhases, "load.phases.1.rate=10", "copies=8", "load.phases.2.during=20s", "think=100ms");
        Assert.Equal(10, s.Load.Phases[0].Rate);
        Assert.Equal(8, s.Load.Phases[1].Copies);
        Assert.Equal(TimeSpan.FromSeconds(20), s.Load.Phases[1].During);
        Assert.Equal(TimeSpan.FromMilliseconds(100), s.Load.Phases[1].Think);
        Assert.Equal(TimeSpan.FromSeconds(30), s.RunLength);
        // Only phase 1 takes a rate: rate= resolves to it.
        Assert.Equal(3, Parse(TwoPhases, "rate=3").Load.Phases[0].Rate);
    }

    [Fact]
    public void A_distribution_takes_a_sub_key_or_a_constant_or_a_whole_table()
    {
        Assert.Equal(Distribution.Uniform(0, 8192), Parse(TwoPhases, "request.leak.max=8M").Request.LeakKb);
        Assert.Equal(Distribution.Uniform(1024, 4096), Parse(TwoPhases, "leak.min=1M").Request.LeakKb);
        Assert.Equal(Distribution.Const(8192), Parse(TwoPhases, "leak=8M").Request.LeakKb);
        Assert.Equal(Distribution.Normal(2048, 512), Parse(TwoPhases, "leak={dist=\"normal\",mean=\"2M\",stddev=\"512K\"}").Request.LeakKb);
        Assert.Equal(Distribution.Exponential(300), Parse(OnePhase, "work.dist=exponential", "work.mean=300ms").Request.WorkMs);
    }

    [Fact]
    public void A_reload_set_can_be_overridden_key_by_key()
    {
        const string reload = OnePhase + "[[actions]]\nat = \"5s\"\naction = \"reload\"\nset = { max_requests = 5 }\n";
        var s = Parse(reload, "actions.1.set.max_requests=9", "actions.1.set.pm=static", "actions.1.at=2s");
        var a = Assert.Single(s.Actions);
        Assert.Equal(TimeSpan.FromSeconds(2), a.At);
        Assert.Equal(9, a.NewPool!.MaxRequests);
        Assert.Equal(ProcessManagerStyle.Static, a.NewPool.Pm);
        // A reload without set gets one.
        var t = Parse(OnePhase + "[[actions]]\nat = \"5s\"\naction = \"reload\"\n", "actions.1.set.max_requests=3");
        Assert.Equal(3, t.Actions[0].NewPool!.MaxRequests);
    }

    [Fact]
    public void A_repeated_action_happens_every_period_until_the_run_ends_as_a_cron_job()
    {
        const string cron = "duration = \"10s\"\n" + OnePhase + "[[actions]]\nat = \"2s\"\naction = \"reload\"\nevery = \"3s\"\n[[actions]]\nat = \"3s\"\naction = \"kill-child\"\n";
        var s = Parse(cron);
        Assert.Equal([2, 3, 5, 8], s.Actions.Select(a => a.At.TotalSeconds));
        Assert.Equal([ActionKind.Reload, ActionKind.KillChild, ActionKind.Reload, ActionKind.Reload], s.Actions.Select(a => a.Kind));
        Assert.Equal([2, 3, 4, 5, 6, 7, 8, 9], Parse(cron, "actions.1.every=1s").Actions.Where(a => a.Kind == ActionKind.Reload).Select(a => a.At.TotalSeconds));
        Assert.Contains("actions.1.every = \"500ms\": must be at least 1s", Bad(cron.Replace("every = \"3s\"", "every = \"500ms\"")).Message);
        Assert.Contains("actions.1.every: every does not apply to a stop action", Bad("duration = \"10s\"\n" + OnePhase + "[[actions]]\nat = \"2s\"\naction = \"stop\"\nevery = \"3s\"\n").Message);
    }

    [Fact]
    public void An_integer_given_as_text_is_accepted_on_the_command_line_only()
    {
        Assert.Equal(5, Parse(OnePhase, "max_children=5").Pool.MaxChildren);
        var e = Bad("[pool]\nmax_children = \"5\"\n" + OnePhase);
        Assert.Contains("without quotes", e.Message);
    }

    [Fact]
    public void The_last_override_of_a_key_wins_and_overrides_fix_bad_file_values()
    {
        Assert.Equal(7, Parse(OnePhase, "max_requests=5", "max_requests=7").Pool.MaxRequests);
        Assert.Equal(3, Parse("[pool]\nmax_requests = -1\n" + OnePhase, "max_requests=3").Pool.MaxRequests);
    }

    [Fact]
    public void Overrides_create_the_tables_they_need()
    {
        var s = Parse(OnePhase, "guard.min_available=512M", "host_mem=8G");
        Assert.Equal(512L << 20, s.Guard.MinAvailableBytes);
        Assert.Equal(8L << 20, s.Memory.HostMemKb);
    }

    [Fact]
    public void A_rerun_with_more_overrides_adds_them_to_the_title_and_the_description_it_already_notes()
    {
        string toml = "title = \"t\"\ndescription = \"Five requests.\"\n" + OnePhase.Replace("title = \"x\"\n", "");
        var first = Parse(toml, "max_requests=5", "rate=20");
        Assert.Equal("t (overridden: max_requests 5, rate 20)", first.Title);
        Assert.Equal("Five requests. (This run overrides max_requests 5, rate 20: where the text above names another value, the run used these.)", first.Description);
        // the resolved scenario (a results folder's scenario.toml) run again with more: one mark, one note
        var again = Parse(ScenarioWriter.ToToml(first), "rate=30", "max_children=4");
        Assert.Equal("t (overridden: max_requests 5, rate 30, max_children 4)", again.Title);
        Assert.Equal("Five requests. (This run overrides max_requests 5, rate 30, max_children 4: where the text above names another value, the run used these.)", again.Description);
    }
}
