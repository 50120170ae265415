using Lab.Core.Paths;
using Lab.Core.Scenarios;

namespace Lab.Scenarios.Tests;

/// <summary>The scenario files of scenarios/: they parse, and say what their briefs say.</summary>
public class ScenarioFilesTests
{
    private static string Dir => LabPaths.Scenarios;

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(LabPaths.Scenarios, "*.toml")) data.Add(Path.GetFileNameWithoutExtension(f));
        return data;
    }

    [Fact]
    public void The_folder_holds_the_five_scenarios()
    {
        var names = ScenarioLoader.List(Dir).Select(l => l.Name).ToList();
        foreach (var expected in new[] { "article-growth", "article-restart", "article-max-requests", "dynamic-spike", "ondemand-idle" })
            Assert.Contains(expected, names);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Every_file_parses_with_a_title_a_description_and_an_explicit_seed(string name)
    {
        var s = ScenarioLoader.Load(name, [], Dir);
        Assert.Equal(name, s.Name);
        Assert.NotEqual(name, s.Title);
        Assert.False(string.IsNullOrWhiteSpace(s.Description));
        int sentences = s.Description.Split(". ").Length;
        Assert.InRange(sentences, 2, 4);
        string text = File.ReadAllText(Path.Combine(Dir, name + ".toml"));
        Assert.Matches(@"(?m)^seed\s*=\s*\d+", text);
        // The default engine (dotnet) runs them: no file names one.
        Assert.DoesNotMatch(@"(?m)^engine\s*=", text);
        Assert.Equal(EngineKind.Dotnet, s.Engine);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Every_file_round_trips_through_the_writer(string name)
    {
        var s = ScenarioLoader.Load(name, [], Dir);
        string toml = ScenarioWriter.ToToml(s);
        var again = ScenarioLoader.Parse(toml, "scenario.toml", name, []);
        Helpers.AssertSame(s, again);
        Assert.Equal(toml, ScenarioWriter.ToToml(again));
    }

    [Fact]
    public void Article_growth_is_one_static_child_leaking_2M_at_2_per_second_for_60s()
    {
        var s = ScenarioLoader.Load("article-growth", [], Dir);
        Assert.Equal(ProcessManagerStyle.Static, s.Pool.Pm);
        Assert.Equal(1, s.Pool.MaxChildren);
        Assert.Equal(0, s.Pool.MaxRequests);
        Assert.Equal(128L << 20, s.Pool.MemoryLimitBytes);
        Assert.Equal(Distribution.Const(2048), s.Request.LeakKb);
        Assert.Equal(Distribution.Uniform(0, 4096), s.Request.TransientKb);
        Assert.Equal(Distribution.Const(20), s.Request.WorkMs);
        Assert.Equal(TimeSpan.FromMilliseconds(250), s.SampleInterval);
        var phase = Assert.Single(s.Load.Phases);
        Assert.Equal(LoadPhaseKind.Inject, phase.Kind);
        Assert.Equal(2, phase.Rate);
        Assert.Equal(TimeSpan.FromSeconds(60), phase.During);
        // The point of the scenario: the leak of the whole run passes memory_limit.
        double leakedKb = phase.Rate * phase.During.TotalSeconds * s.Request.LeakKb.Mean;
        Assert.True(leakedKb * 1024 > s.Pool.MemoryLimitBytes);
        Assert.Empty(s.Actions);
    }

    [Fact]
    public void Article_restart_restarts_at_30s_of_60s()
    {
        var s = ScenarioLoader.Load("article-restart", [], Dir);
        var growth = ScenarioLoader.Load("article-growth", [], Dir);
        Assert.Equal(growth.Pool, s.Pool);
        Assert.Equal(growth.Request, s.Request);
        Assert.Equal(TimeSpan.FromSeconds(60), s.RunLength);
        var action = Assert.Single(s.Actions);
        Assert.Equal(ActionKind.Restart, action.Kind);
        Assert.Equal(TimeSpan.FromSeconds(30), action.At);
    }

    [Fact]
    public void Article_max_requests_recycles_every_5_of_40_requests()
    {
        var s = ScenarioLoader.Load("article-max-requests", [], Dir);
        Assert.Equal(ProcessManagerStyle.Static, s.Pool.Pm);
        Assert.Equal(1, s.Pool.MaxChildren);
        Assert.Equal(5, s.Pool.MaxRequests);
        Assert.Equal(Distribution.Const(4096), s.Request.LeakKb);
        Assert.Equal(Distribution.Uniform(0, 4096), s.Request.TransientKb);
        Assert.Equal(Distribution.Const(20), s.Request.WorkMs);
        Assert.Equal(TimeSpan.FromMilliseconds(250), s.SampleInterval);
        var phase = Assert.Single(s.Load.Phases);
        Assert.Equal(40, phase.Rate * phase.During.TotalSeconds);
        Assert.Equal(40, s.Load.Iterations);
    }

    [Fact]
    public void Dynamic_spike_ramps_from_5_to_60_and_back()
    {
        var s = ScenarioLoader.Load("dynamic-spike", [], Dir);
        Assert.Equal(ProcessManagerStyle.Dynamic, s.Pool.Pm);
        Assert.Equal((20, 3, 2, 6), (s.Pool.MaxChildren, s.Pool.StartServers, s.Pool.MinSpareServers, s.Pool.MaxSpareServers));
        Assert.Equal(Distribution.Const(64), s.Request.LeakKb);
        Assert.Equal(Distribution.Const(5), s.Request.WorkMs);
        Assert.Equal(Distribution.Exponential(200), s.Request.WaitMs);
        Assert.Equal(
            new (LoadPhaseKind, double, double)[] { (LoadPhaseKind.Inject, 5, 20), (LoadPhaseKind.RampingInject, 60, 10), (LoadPhaseKind.Inject, 60, 20), (LoadPhaseKind.RampingInject, 5, 10), (LoadPhaseKind.Inject, 5, 30) },
            s.Load.Phases.Select(p => (p.Kind, p.Rate, p.During.TotalSeconds)));
        Assert.Equal(TimeSpan.FromSeconds(90), s.RunLength);
    }

    [Fact]
    public void Ondemand_idle_bursts_pauses_and_trickles()
    {
        var s = ScenarioLoader.Load("ondemand-idle", [], Dir);
        Assert.Equal(ProcessManagerStyle.Ondemand, s.Pool.Pm);
        Assert.Equal(10, s.Pool.MaxChildren);
        Assert.Equal(TimeSpan.FromSeconds(10), s.Pool.ProcessIdleTimeout);
        Assert.Equal(0, s.Pool.InitialChildren);
        Assert.Equal(Distribution.Const(256), s.Request.LeakKb);
        Assert.Equal(Distribution.Exponential(100), s.Request.WaitMs);
        Assert.Equal(
            new (LoadPhaseKind, double, double)[] { (LoadPhaseKind.Inject, 20, 15), (LoadPhaseKind.Pause, 0, 30), (LoadPhaseKind.Inject, 2, 15) },
            s.Load.Phases.Select(p => (p.Kind, p.Rate, p.During.TotalSeconds)));
        // The pause outlasts the idle timeout: the burst's children are killed in it.
        Assert.True(s.Load.Phases[1].During > s.Pool.ProcessIdleTimeout);
    }

    [Fact]
    public void The_readme_documents_every_key()
    {
        string readme = File.ReadAllText(Path.Combine(Dir, "README.md"));
        foreach (var key in ScenarioSchema.Keys)
            Assert.True(readme.Contains($"`{key.Leaf}`", StringComparison.Ordinal), $"scenarios/README.md does not document {key.Path}");
    }
}
