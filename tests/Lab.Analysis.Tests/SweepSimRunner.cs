using Lab.Analysis;
using Lab.Core.Engines;
using Lab.Core.Scenarios;
using Lab.Results;
using Lab.Scenarios;
using Lab.Sim;

namespace Lab.Analysis.Tests;

/// <summary>The tests' ScenarioRunner: the simulator into a results folder (as RunPipeline does for the CLI), no report.</summary>
public static class SweepSimRunner
{
    public static Task<RunResult> Run(Scenario scenario, string dir, CancellationToken cancel)
    {
        Assert.Equal(EngineKind.Sim, scenario.Engine);
        var header = new RunHeader(scenario.Name, "sim", scenario.Seed, SimEngine.Epoch, scenario.Memory.HostMemKb, scenario.LogLevel,
            scenario.RunLength.TotalSeconds, FlushEveryTick: false);
        var manifest = Manifest.ForThisMachine("sim", scenario.Name, scenario.Seed, "test", DateTime.UtcNow);
        using var writer = ResultsWriter.Create(dir, header, ScenarioWriter.ToToml(scenario), manifest);
        var outcome = SimEngine.Run(scenario, writer, cancel);
        var summary = writer.Complete(outcome, manifest with { EndUtc = DateTime.UtcNow });
        return Task.FromResult(new RunResult(outcome.Status, outcome.Reason, summary));
    }
}

/// <summary>A temporary folder, deleted after the test.</summary>
public sealed class SweepTempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("leaklab-analysis-").FullName;

    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
