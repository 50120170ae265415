using Lab.Cli.Commands;
using Lab.Cli.Terminal;
using Lab.Core.Engines;
using Lab.Core.Paths;
using Lab.Engines;
using Lab.Report;
using Lab.Results;
using Lab.Scenarios;

namespace Lab.Cli.Tests;

/// <summary>
/// One source for counts: children spawned, recycled, exits by cause and child PIDs agree
/// between the terminal, summary.json, the plot's legend and the report — on the simulator over
/// several scenarios and seeds (the real engines: DotnetEngineTests, PhpFpmEngineTests).
/// </summary>
public class CountAgreementTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("leaklab-counts-").FullName;
    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    public static TheoryData<string, string[]> Runs() => new()
    {
        { "article-max-requests", ["max_requests=1", "max_children=4", "rate=20"] }, // children living less than a sample interval (44 PIDs: drawn as a distribution)
        { "article-max-requests", ["max_requests=1", "max_children=2", "rate=20", "iterations=30"] }, // the same, 32 PIDs drawn one by one
        { "article-max-requests", ["rate=20"] },
        { "article-restart", [] },
        { "dynamic-spike", [] },
        { "ondemand-idle", [] },
    };

    [Theory]
    [MemberData(nameof(Runs))]
    public async Task Terminal_summary_plot_and_report_agree_on_the_children(string scenario, string[] overrides)
    {
        foreach (int seed in new[] { 1, 2, 3 })
        {
            var s = ScenarioLoader.Load(scenario, [.. overrides, "engine=sim", $"seed={seed}"], LabPaths.Scenarios);
            string dir = Path.Combine(_root, $"{scenario}-{string.Join('-', overrides)}-{seed}");
            var (outcome, summary) = await RunPipeline.RunAsync(s, EngineFactory.Create(s, _ => { }), dir, "test", live: null, CancellationToken.None);
            Assert.Equal(RunStatus.Complete, outcome.Status);
            RunReport.Generate(RunFolder.Open(dir), new ReportOptions());
            string terminal = string.Join('\n', SummaryPrinter.Lines(s, summary));
            Assert.Empty(CountAgreement.Check(dir, terminal));
            Assert.Equal(summary.ChildPids, summary.ChildrenSpawned); // the sim logs every child it forks
        }
    }

    [Fact]
    public void A_run_prints_nothing_from_the_plotting_library_and_ends_with_the_report_s_path()
    {
        using var lab = new LabSandbox();
        var r = lab.Run("article-max-requests", "engine=sim", "max_requests=1", "max_children=4", "rate=20");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.DoesNotContain("Unsupported", r.Stderr + r.Stdout);
        Assert.EndsWith("/report.html", r.LastLine);
        Assert.True(File.Exists(Path.Combine(lab.Root, r.LastLine)), r.LastLine);
        string dir = Path.GetDirectoryName(Path.Combine(lab.Root, r.LastLine))!;
        Assert.Empty(CountAgreement.Check(dir, r.Stdout));
        // the cap ended the run: said in the terminal and the report
        Assert.Contains("stopped after 40 requests at 1.97 s: load.iterations", r.Stdout);
        Assert.Contains("stopped after 40 requests at 1.97 s: load.iterations", File.ReadAllText(Path.Combine(dir, "report.md")));
        // the override is in the title: the scenario's title says pm.max_requests = 5
        Assert.Contains("(overridden: max_requests 1, max_children 4, rate 20)", File.ReadAllText(Path.Combine(dir, "report.md")).Replace("\\_", "_"));
        Assert.Contains("(overridden: max_requests 1, max_children 4, rate 20)", r.Stdout);
    }
}
