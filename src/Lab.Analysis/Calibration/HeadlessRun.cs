using Lab.Core.Engines;
using Lab.Core.Scenarios;
using Lab.Results;
using Lab.Scenarios;

namespace Lab.Analysis.Calibration;

/// <summary>
/// Runs a scenario into a results folder without a terminal view (the calibrated sim; tests):
/// the same files `./run.sh` writes — scenario.toml, manifest.json, samples.csv, ...,
/// summary.json — but no report.
/// </summary>
public static class HeadlessRun
{
    public static async Task<(RunOutcome Outcome, Summary Summary)> RunAsync(Scenario scenario, IEngine engine, string dir,
        string commandLine, CancellationToken cancel = default)
    {
        bool real = scenario.Engine != EngineKind.Sim;
        string name = EngineNames.Of(scenario.Engine);
        var header = RunHeader.For(scenario, name, engine.EpochUtc, real ? MachineInfo.ReadMemTotalKb() : scenario.Memory.HostMemKb, flushEveryTick: real);
        var manifest = Manifest.ForThisMachine(name, scenario.Name, scenario.Seed, commandLine, DateTime.UtcNow);
        using var writer = ResultsWriter.Create(dir, header, ScenarioWriter.ToToml(scenario), manifest);
        RunOutcome outcome;
        try
        {
            outcome = await engine.RunAsync(scenario, writer, cancel);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            outcome = new RunOutcome(RunStatus.Failed, $"{e.GetType().Name}: {e.Message}");
        }
        var summary = writer.Complete(outcome, manifest with { EndUtc = DateTime.UtcNow });
        return (outcome, summary);
    }
}
