using Lab.Cli.Terminal;
using Lab.Core.Engines;
using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.Engines;
using Lab.Report;
using Lab.Results;
using Lab.Results.Planning;
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
    /// <param name="interruptedBy">Who cancelled (Ctrl-C, SIGHUP, SIGTERM), asked when the run was cancelled; its reason says so.</param>
    public static async Task<(RunOutcome Outcome, Summary Summary)> RunAsync(Scenario scenario, IEngine engine, string dir,
        string commandLine, LiveView? live, CancellationToken cancel, Func<string?>? interruptedBy = null)
    {
        bool real = scenario.Engine != EngineKind.Sim;
        string engineName = EngineNames.Of(scenario.Engine);
        var size = RunSize.Of(scenario);
        var header = RunHeader.For(scenario, engineName, engine.EpochUtc, real ? MachineInfo.ReadMemTotalKb() : scenario.Memory.HostMemKb, flushEveryTick: real)
            with { Compress = size.Compress, SummaryRecords = size.SummaryRecords };
        var manifest = Manifest.ForThisMachine(engineName, scenario.Name, scenario.Seed, commandLine, DateTime.UtcNow);
        using var writer = ResultsWriter.Create(dir, header, ScenarioWriter.ToToml(scenario), manifest);
        live?.Watch(writer);
        IRunSink sink = live is null ? writer : new TeeSink(writer, live);
        // the run stops when the user interrupts it or when its results can no longer be written
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel, writer.WriteFailed);
        RunOutcome outcome;
        try
        {
            outcome = await Task.Run(() => engine.RunAsync(scenario, sink, stop.Token), CancellationToken.None);
            if (cancel.IsCancellationRequested && outcome.Status != RunStatus.Failed)
                outcome = outcome with { Status = RunStatus.Incomplete, Reason = interruptedBy?.Invoke() is { } by ? $"interrupted by {by}" : "interrupted" };
        }
        catch (Exception e)
        {
            outcome = new RunOutcome(RunStatus.Failed, IoProblem.IsIo(e) ? e.Message : $"{e.GetType().Name}: {e.Message}");
        }
        var summary = writer.Complete(outcome, manifest with { EndUtc = DateTime.UtcNow });
        if (writer.Failure is { } failure) outcome = outcome with { Status = RunStatus.Failed, Reason = failure };
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
