using System.Runtime.InteropServices;
using Lab.Cli.Terminal;
using Lab.Core.Engines;
using Lab.Core.Paths;
using Lab.Core.Scenarios;
using Lab.Engines;
using Lab.Report;
using Lab.Results;
using Lab.Scenarios;

namespace Lab.Cli.Commands;

/// <summary>./run.sh &lt;scenario&gt; [key=value ...] [--out DIR]: run it, write its results folder, report.</summary>
public static class RunCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var a = RunArgs.Parse(args);
        // Everything that can be wrong with the input is found before anything is written.
        Scenario scenario = ScenarioLoader.Load(a.Scenario, a.Overrides, LabPaths.Scenarios, notice => Console.Error.WriteLine("notice: " + notice));
        string dir = ResultsDirs.Choose(a.Out, scenario.Name, DateTime.UtcNow);
        IEngine engine = EngineFactory.Create(scenario, line => Console.Error.WriteLine(line));

        var outcome = await Execute(scenario, engine, dir, "./run.sh " + string.Join(' ', a.Raw), a.Plain);
        return outcome.Status switch
        {
            RunStatus.Complete => 0,
            RunStatus.Incomplete => 3,
            _ => 1,
        };
    }

    /// <summary>Runs a resolved scenario into dir with a live view; prints the summary and, last, the path.</summary>
    public static async Task<RunOutcome> Execute(Scenario scenario, IEngine engine, string dir, string commandLine, bool plain)
    {
        var live = new LiveView();
        RunOutcome outcome;
        Summary summary;
        string? interruptedBy;
        using (var interruption = new Interruption(PosixSignal.SIGTERM, PosixSignal.SIGHUP))
        {
            var run = RunPipeline.RunAsync(scenario, engine, dir, commandLine, live, interruption.Token);
            await RunDisplay.ShowAsync(scenario, live, run, plain);
            (outcome, summary) = await run;
            interruptedBy = interruption.By;
        }
        if (outcome.Status == RunStatus.Failed) Console.Error.WriteLine($"error: the run failed: {outcome.Reason}");
        if (interruptedBy is not null) Console.Error.WriteLine($"interrupted by {interruptedBy}: what was measured until then is kept.");
        SummaryPrinter.Print(scenario, summary, outcome);
        string last = dir;
        try
        {
            last = ReportCommand.WithProgress(plain, "report", p => RunReport.Generate(RunFolder.Open(dir), new ReportOptions(Progress: p)));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // the data is written and intact; the report can be made again with ./run.sh report DIR
            Console.Error.WriteLine($"warning: the report could not be made ({e.Message}); the results are in {ResultsDirs.Display(dir)}; retry with ./run.sh report {ResultsDirs.Display(dir)}");
        }
        Console.Out.WriteLine(ResultsDirs.Display(last));
        return outcome;
    }
}
