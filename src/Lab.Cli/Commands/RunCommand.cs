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
        Scenario scenario = ScenarioLoader.Load(a.Scenario, a.Overrides, LabPaths.Scenarios);
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
        bool real = scenario.Engine != EngineKind.Sim;
        var header = new RunHeader(scenario.Name, EngineFactory.Name(scenario.Engine), scenario.Seed, engine.EpochUtc,
            real ? MachineInfo.ReadMemTotalKb() : scenario.Memory.HostMemKb, scenario.LogLevel, scenario.RunLength.TotalSeconds, FlushEveryTick: real);
        var startUtc = DateTime.UtcNow;
        var manifest = Manifest.ForThisMachine(EngineFactory.Name(scenario.Engine), scenario.Name, scenario.Seed, commandLine, startUtc);
        using var writer = ResultsWriter.Create(dir, header, ScenarioWriter.ToToml(scenario), manifest);
        var live = new LiveView();
        var sink = new TeeSink(writer, live);

        using var cancel = new CancellationTokenSource();
        string? interruptedBy = null;
        ConsoleCancelEventHandler onCtrlC = (_, e) => { e.Cancel = true; interruptedBy ??= "Ctrl-C"; cancel.Cancel(); };
        Console.CancelKeyPress += onCtrlC;
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; interruptedBy ??= "SIGTERM"; cancel.Cancel(); });
        using var onHup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, ctx => { ctx.Cancel = true; interruptedBy ??= "SIGHUP"; cancel.Cancel(); });

        RunOutcome outcome;
        try
        {
            var run = Task.Run(() => engine.RunAsync(scenario, sink, cancel.Token));
            await RunDisplay.ShowAsync(scenario, live, run, plain || !real && scenario.RunLength.TotalSeconds < 0);
            outcome = await run;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            outcome = new RunOutcome(RunStatus.Failed, $"{e.GetType().Name}: {e.Message}");
            Console.Error.WriteLine($"error: the run failed: {e.Message}");
        }
        finally
        {
            Console.CancelKeyPress -= onCtrlC;
        }
        if (interruptedBy is not null && outcome.Status == RunStatus.Complete)
            outcome = outcome with { Status = RunStatus.Incomplete, Reason = $"interrupted by {interruptedBy}" };

        var finalManifest = manifest with { EndUtc = DateTime.UtcNow };
        var summary = writer.Complete(outcome, finalManifest);
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
