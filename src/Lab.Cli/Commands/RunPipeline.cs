using Lab.Cli.Terminal;
using Lab.Core.Engines;
using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.Engines;
using Lab.Results;
using Lab.Scenarios;

namespace Lab.Cli.Commands;

/// <summary>
/// One run, without any display: the results folder is created, the engine runs into it (and
/// into an optional extra sink, e.g. a live view), and the folder is completed. Used by a plain
/// run, by sweep cells and by calibrate/advise verifications.
/// </summary>
public static class RunPipeline
{
    public static async Task<(RunOutcome Outcome, Summary Summary)> RunAsync(Scenario scenario, IEngine engine, string dir,
        string commandLine, IRunSink? also, CancellationToken cancel)
    {
        bool real = scenario.Engine != EngineKind.Sim;
        var header = new RunHeader(scenario.Name, EngineFactory.Name(scenario.Engine), scenario.Seed, engine.EpochUtc,
            real ? MachineInfo.ReadMemTotalKb() : scenario.Memory.HostMemKb, scenario.LogLevel, scenario.RunLength.TotalSeconds, FlushEveryTick: real);
        var manifest = Manifest.ForThisMachine(EngineFactory.Name(scenario.Engine), scenario.Name, scenario.Seed, commandLine, DateTime.UtcNow);
        using var writer = ResultsWriter.Create(dir, header, ScenarioWriter.ToToml(scenario), manifest);
        IRunSink sink = also is null ? writer : new TeeSink(writer, also);
        RunOutcome outcome;
        try
        {
            outcome = await Task.Run(() => engine.RunAsync(scenario, sink, cancel), CancellationToken.None);
            if (cancel.IsCancellationRequested && outcome.Status == RunStatus.Complete)
                outcome = outcome with { Status = RunStatus.Incomplete, Reason = "interrupted" };
        }
        catch (Exception e)
        {
            outcome = new RunOutcome(RunStatus.Failed, $"{e.GetType().Name}: {e.Message}");
        }
        var summary = writer.Complete(outcome, manifest with { EndUtc = DateTime.UtcNow });
        return (outcome, summary);
    }
}
