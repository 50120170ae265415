using Lab.Core.Records;
using Lab.Core.Scenarios;
using static Lab.Scenarios.Tests.Helpers;

namespace Lab.Scenarios.Tests;

public class WriterTests
{
    /// <summary>Every phase kind, every distribution, every action kind, odd numbers.</summary>
    private const string Everything = """"
        title = "Everything: \"quoted\" and \\ backslashed"
        description = """
        Line one.
        Line two, with a tab\there."""
        engine = "sim"
        front = "nginx"
        seed = 9223372036854775807
        sample_interval = "1500us"
        log_level = "debug"

        [pool]
        name = "leaky"
        pm = "dynamic"
        max_children = 12
        start_servers = 3
        min_spare_servers = 2
        max_spare_servers = 5
        max_spawn_rate = 8
        process_idle_timeout = "2500ms"
        max_requests = 500
        request_terminate_timeout = "30s"
        request_slowlog_timeout = "1.5s"
        listen.backlog = 128
        memory_limit = "1000001"

        [request]
        script = "/other.php"
        leak = { dist = "normal", mean = "1.3K", stddev = "100B" }
        transient = { dist = "uniform", min = "0.5M", max = "3G" }
        work = { dist = "exponential", mean = "12.345ms" }
        wait = { dist = "uniform", min = "0ms", max = "1m30s" }

        [load]
        arrivals = "poisson"
        iterations = 1234
        max_in_flight = 64
        timeout = "2h"

        [[load.phases]]
        phase = "inject"
        rate = 0.1
        during = "10s"

        [[load.phases]]
        phase = "ramping-inject"
        rate = 33.333333333333336
        during = "20m"

        [[load.phases]]
        phase = "inject-random"
        min_rate = 1
        max_rate = 7.5
        interval = "250ms"
        during = "15s"

        [[load.phases]]
        phase = "keep-constant"
        copies = 4
        think = "20ms"
        during = "5s"

        [[load.phases]]
        phase = "ramping-constant"
        copies = 0
        during = "5s"

        [[load.phases]]
        phase = "pause"
        during = "0.5s"

        [[actions]]
        at = "1s"
        action = "restart"

        [[actions]]
        at = "2s"
        action = "reload"
        set = { pm = "static", max_requests = 7, memory_limit = "-1" }

        [[actions]]
        at = "3s"
        action = "kill-child"
        target = "largest"
        signal = "SIGSEGV"

        [[actions]]
        at = "4s"
        action = "kill-child"
        target = "busy"
        signal = 30

        [[actions]]
        at = "5s"
        action = "reload"

        [memory]
        child_baseline = "3000K"
        child_vsz = "1G"
        master_rss = "8M"
        master_vsz = "70000K"
        leak_scale = 0.93
        per_request = "0.75K"
        retain_fraction = 0.1
        retain_max = "16M"
        retain_shrink = 1
        spawn_time = "12ms"
        host_mem = "31G"

        [guard]
        max_rss = "1.5G"
        min_available = "100M"
        """";

    [Fact]
    public void Everything_round_trips_to_an_equal_scenario_and_the_same_text()
    {
        var s = Parse(Everything);
        string toml = ScenarioWriter.ToToml(s);
        var again = ScenarioLoader.Parse(toml, "results/x/scenario.toml", "x", []);
        AssertSame(s, again);
        Assert.Equal(toml, ScenarioWriter.ToToml(again));

        // Spot checks that the file was read as meant (so the round trip is not trivially empty).
        Assert.Equal(6, s.Load.Phases.Count);
        Assert.Equal(Enum.GetValues<LoadPhaseKind>().Order(), s.Load.Phases.Select(p => p.Kind).Order());
        Assert.Equal(Distribution.Normal(1.3, 100.0 / 1024), s.Request.LeakKb);
        Assert.Equal(Distribution.Uniform(512, 3 * 1024 * 1024), s.Request.TransientKb);
        Assert.Equal(Distribution.Exponential(12.345), s.Request.WorkMs);
        Assert.Equal(Distribution.Uniform(0, 90_000), s.Request.WaitMs);
        Assert.Equal([ActionKind.Restart, ActionKind.Reload, ActionKind.KillChild, ActionKind.KillChild, ActionKind.Reload], s.Actions.Select(a => a.Kind));
        Assert.Equal(11, s.Actions[2].Signal);
        Assert.Equal(30, s.Actions[3].Signal);
        Assert.Equal(-1, s.Actions[1].NewPool!.MemoryLimitBytes);
        Assert.Null(s.Actions[4].NewPool);
        Assert.Equal(ulong.MaxValue / 2, s.Seed);
        Assert.Equal(TimeSpan.FromTicks(15_000), s.SampleInterval);
        Assert.Equal(FpmLogLevel.Debug, s.LogLevel);
        Assert.Equal("Line one.\nLine two, with a tab\there.", s.Description);
        Assert.Equal(1_000_001, s.Pool.MemoryLimitBytes);
        Assert.Equal(3L << 29, s.Guard.MaxRssBytes);
    }

    [Fact]
    public void The_written_file_is_explicit_and_commented()
    {
        string toml = ScenarioWriter.ToToml(Parse(OnePhase, "max_requests=5"));
        Assert.StartsWith("# Leak Lab scenario \"x\"", toml);
        foreach (var line in new[]
                 {
                     "seed = 1", "duration = \"10s\"", "engine = \"dotnet\"", "max_requests = 5", "process_control_timeout = \"0\"", "listen_backlog = -1",
                     "memory_limit = \"128M\"", "request_terminate_timeout = \"0\"", "leak = \"0K\"", "work = \"10ms\"", "rate = 2",
                 })
            Assert.Contains(line + "\n", toml);
        Assert.Contains("# start_servers: not set, php-fpm's default min_spare_servers + (max_spare_servers - min_spare_servers) / 2 = 2", toml);
        Assert.Contains("# max_rss: not set", toml);
        Assert.Contains("# iterations: not set", toml);
    }

    [Fact]
    public void Every_written_key_is_in_the_schema()
    {
        string toml = ScenarioWriter.ToToml(Parse(Everything));
        string table = "";
        foreach (var line in toml.Split('\n'))
        {
            if (line.StartsWith("[[")) { table = line.Trim('[', ']') == "actions" ? "actions.N" : "load.phases.N"; continue; }
            if (line.StartsWith('[')) { table = line.Trim('[', ']'); continue; }
            if (line.Length == 0 || line.StartsWith('#') || !line.Contains(" = ")) continue;
            string key = line[..line.IndexOf(" = ", StringComparison.Ordinal)];
            string path = table == "" ? key : $"{table}.{key}";
            Assert.True(ScenarioSchema.Find(path) is not null, $"written key {path} is not in the schema");
        }
    }

    [Fact]
    public void A_scenario_built_in_code_is_written_explicitly()
    {
        var s = new Scenario
        {
            Name = "code",
            Title = "Built in code",
            Seed = 3,
            Pool = new PoolSettings { Pm = ProcessManagerStyle.Static, MaxChildren = 2 },
            Request = new RequestProfile { LeakKb = Distribution.Const(1.5) },
            Load = new LoadPlan { Phases = [new LoadPhase { Kind = LoadPhaseKind.Inject, Rate = 1.25, During = TimeSpan.FromSeconds(7) }] },
        };
        string toml = ScenarioWriter.ToToml(s);
        var parsed = ScenarioLoader.Parse(toml, "scenario.toml", "code", []);
        // Null defaults come back resolved; everything else is equal.
        Assert.Equal(TimeSpan.FromSeconds(7), parsed.Duration);
        Assert.Null(parsed.Pool.StartServersSetting);
        AssertSame(s with { Duration = TimeSpan.FromSeconds(7) }, parsed);
        Assert.Equal(toml, ScenarioWriter.ToToml(parsed));
    }

    [Fact]
    public void Overrides_are_in_the_written_scenario()
    {
        var s = Parse(OnePhase, "max_requests=5", "leak=8M", "rate=0.5");
        var again = ScenarioLoader.Parse(ScenarioWriter.ToToml(s), "scenario.toml", "x", []);
        Assert.Equal(5, again.Pool.MaxRequests);
        Assert.Equal(Distribution.Const(8192), again.Request.LeakKb);
        Assert.Equal(0.5, again.Load.Phases[0].Rate);
    }

    [Fact]
    public void A_results_folder_s_scenario_toml_reruns_under_the_run_s_name()
    {
        string dir = Path.Combine(Path.GetTempPath(), "lab-scenarios-" + Guid.NewGuid().ToString("N"), "article-x-20260101-120000");
        Directory.CreateDirectory(dir);
        try
        {
            string path = Path.Combine(dir, "scenario.toml");
            File.WriteAllText(path, ScenarioWriter.ToToml(Parse(OnePhase)));
            var s = ScenarioLoader.Load(path, ["seed=5"], "/nonexistent");
            Assert.Equal("x", s.Name); // the name the writer recorded in its header
            Assert.Equal(5UL, s.Seed);
            // without the header (a hand-edited file), the run folder's name gives it
            File.WriteAllText(path, string.Join('\n', File.ReadAllLines(path).Skip(1)));
            Assert.Equal("article-x", ScenarioLoader.Load(path, [], "/nonexistent").Name);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(dir)!, true);
        }
    }
}
