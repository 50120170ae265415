using Lab.Cli.Terminal;
using Lab.Core.Engines;
using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.Engines;
using Lab.Report;
using Lab.Results;
using Lab.Scenarios;
using RunResult = Lab.Analysis.RunResult;

namespace Lab.Cli.Commands;

/// <summary>
/// One run, without any display: the results folder is created, the engine runs into it (and
/// into the live view, when there is one), and the folder is completed. Used by a plain run, by
/// sweep cells and by advise's verifications.
/// </summary>
public static class RunPipeline
{
    public static async Task<(RunOutcome Outcome, Summary Summary)> RunAsync(Scenario scenario, IEngine engine, string dir,
        string commandLine, LiveView? live, CancellationToken cancel)
    {
        bool real = scenario.Engine != EngineKind.Sim;
        string engineName = EngineNames.Of(scenario.Engine);
        var header = RunHeader.For(scenario, engineName, engine.EpochUtc, real ? MachineInfo.ReadMemTotalKb() : scenario.Memory.HostMemKb, flushEveryTick: real);
        var manifest = Manifest.ForThisMachine(engineName, scenario.Name, scenario.Seed, commandLine, DateTime.UtcNow);
        using var writer = ResultsWriter.Create(dir, header, ScenarioWriter.ToToml(scenario), manifest);
        live?.Watch(writer);
        IRunSink sink = live is null ? writer : new TeeSink(writer, live);
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

    /// <summary>
    /// A run nobody watches (a sweep's cell, advise's verification): the scenario's engine into
    /// dir, then the run's report. A report that cannot be made is a warning naming <paramref name="report"/>, not a failed run.
    /// </summary>
    public static async Task<RunResult> RunWithReportAsync(Scenario scenario, string dir, string commandLine, string report, CancellationToken cancel)
    {
        IEngine engine = EngineFactory.Create(scenario, _ => { });
        var (outcome, summary) = await RunAsync(scenario, engine, dir, commandLine, live: null, cancel);
        try
        {
            RunReport.Generate(RunFolder.Open(dir), new ReportOptions());
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Console.Error.WriteLine($"warning: {report} could not be made ({e.Message}); retry with ./run.sh report {ResultsDirs.Display(dir)}");
        }
        return new RunResult(outcome.Status, outcome.Reason, summary);
    }
}
