using System.Runtime.InteropServices;
using Lab.Cli.Terminal;
using Lab.Core.Engines;
using Lab.Core.Paths;
using Lab.Core.Scenarios;
using Lab.Engines;
using Lab.Engines.Real;
using Lab.Report;
using Lab.Results;
using Lab.Results.Planning;
using Lab.Scenarios;

namespace Lab.Cli.Commands;

/// <summary>./run.sh &lt;scenario&gt; [key=value ...] [--out DIR]: run it, write its results folder, report.</summary>
public static class RunCommand
{
    public static async Task<int> RunAsync(RunArgs a)
    {
        PrivateTemp.RemoveAbandoned(); // what a SIGKILLed run left in the temporary folder
        // Everything that can be wrong with the input is found before anything is written.
        Scenario scenario = ScenarioLoader.Load(a.Scenario, a.Overrides, LabPaths.Scenarios, notice => Console.Error.WriteLine("notice: " + notice));
        CheckSize(scenario, a.Yes);
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

    /// <summary>
    /// A run that would write more than a few GB is not started without --yes: the line says how
    /// much, and that records=summary keeps per-second and per-PID aggregates instead (exit 2).
    /// </summary>
    public static void CheckSize(Scenario scenario, bool yes)
    {
        var size = RunSize.Of(scenario);
        if (yes || !size.NeedsConfirmation) return;
        var summary = size.AsSummary;
        string what = size.SummaryRecords
            ? $"{Fmt.Int((long)size.SampleRows)} sample rows"
            : $"{Fmt.Int((long)size.Requests)} requests and {Fmt.Int((long)size.SampleRows)} sample rows";
        string instead = size.SummaryRecords || summary.NeedsConfirmation
            ? "raise sample_interval or shorten the run to write less"
            : $"add records=summary to keep per-second and per-PID aggregates instead (about {Fmt.Bytes(summary.Bytes)})";
        throw new LabUsageException($"this run would write about {Fmt.Bytes(size.Bytes)} ({what}); add --yes to run it anyway, or {instead}.");
    }

    /// <summary>
    /// Runs a resolved scenario into dir with a live view; prints the summary and, last, the
    /// path. Ctrl-C, SIGTERM and SIGHUP (the terminal closed) stop the run and keep what was
    /// measured: the folder is completed, the report made (status incomplete, exit code 3); they
    /// are held until the report is written. A run whose results cannot be written (a full disk)
    /// ends with one line naming the file and the cause (status failed, exit code 1).
    /// </summary>
    public static async Task<RunOutcome> Execute(Scenario scenario, IEngine engine, string dir, string commandLine, bool plain)
    {
        var live = new LiveView();
        RunOutcome outcome;
        Summary summary;
        using var interruption = new Interruption(PosixSignal.SIGTERM, PosixSignal.SIGHUP);
        var run = RunPipeline.RunAsync(scenario, engine, dir, commandLine, live, interruption.Token, () => interruption.By);
        await RunDisplay.ShowAsync(scenario, live, run, plain);
        (outcome, summary) = await run;
        if (interruption.By is { } by) Console.Error.WriteLine($"interrupted by {by}: what was measured until then is kept.");
        if (outcome.Status == RunStatus.Failed && !File.Exists(Path.Combine(dir, Lab.Results.Formats.ResultsFiles.Summary)))
        {
            // the results could not be written: no summary, no report; the one line says why
            Console.Error.WriteLine($"error: the run failed: {outcome.Reason}");
            Console.Out.WriteLine(ResultsDirs.Display(dir));
            return outcome;
        }
        if (outcome.Status == RunStatus.Failed) Console.Error.WriteLine($"error: the run failed: {outcome.Reason}");
        SummaryPrinter.Print(scenario, summary, outcome);
        string last = dir;
        try
        {
            last = ReportCommand.WithProgress(plain, "report", p => RunReport.Generate(RunFolder.Open(dir), new ReportOptions(Progress: p)));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // the data is written and intact; the report can be made again with ./run.sh report DIR
            string why = IoProblem.IsIo(e) ? IoProblem.Cause(e) : e.Message;
            Console.Error.WriteLine($"warning: the report could not be made ({why}); the results are in {ResultsDirs.Display(dir)}; retry with ./run.sh report {ResultsDirs.Display(dir)}");
        }
        Console.Out.WriteLine(ResultsDirs.Display(last));
        return outcome;
    }
}
