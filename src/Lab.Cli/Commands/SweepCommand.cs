using System.Globalization;
using System.Runtime.InteropServices;
using Lab.Analysis;
using Lab.Analysis.Sweeps;
using Lab.Cli.Terminal;
using Lab.Core.Engines;
using Lab.Core.Paths;
using Lab.Core.Scenarios;
using Lab.Engines;
using Lab.Report;
using Lab.Results;
using Lab.Results.Planning;
using Spectre.Console;

namespace Lab.Cli.Commands;

/// <summary>
/// ./run.sh sweep &lt;scenario&gt; key=v1,v2,... [key2=...] [key=value ...] [--out DIR] [--jobs N] [--plain]:
/// the scenario once per cell of the grid (every combination of the swept values), on the
/// simulator unless an engine= override names another; sim cells in parallel (up to the
/// cores, or --jobs), real cells one at a time. Writes results/sweep-&lt;scenario&gt;-&lt;UTC&gt;/: a
/// run folder per cell (with its report), sweep.csv, a plot per metric against the swept key,
/// compare/ (the cells overlaid) and report.html / report.md, whose path is printed last.
/// Everything is checked before anything runs (exit 2). A failed cell is reported and the
/// others complete; exit 1 if any failed, 3 if any is incomplete (Ctrl-C), else 0.
/// </summary>
public static class SweepCommand
{
    public const string Usage = SweepPlan.Usage;

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public sealed record SweepArgs(string Scenario, IReadOnlyList<string> KeyValues, string? Out, int Jobs, bool Plain, bool Yes = false);

    public static async Task<int> RunAsync(SweepArgs a)
    {
        SweepPlan plan;
        try
        {
            plan = SweepPlan.Create(a.Scenario, a.KeyValues, LabPaths.Scenarios);
        }
        catch (SweepException e)
        {
            throw new LabUsageException(e.Message);
        }
        // No cell writes more than a few GB without --yes (cells past 256 MB keep aggregates, see AsCell).
        foreach (var cell in plan.Cells)
        {
            try { RunCommand.CheckSize(AsCell(cell.Scenario), a.Yes); }
            catch (LabUsageException e) { throw new LabUsageException($"cell {cell.Label}: {e.Message}"); }
        }
        // Every engine the grid needs can run here (a missing binary or package: exit 2, nothing written).
        foreach (var cell in plan.Cells.GroupBy(c => c.Scenario.Engine).Select(g => g.First()))
            EngineFactory.Create(cell.Scenario, line => Console.Error.WriteLine(line));

        string sweepDir = ResultsDirs.Choose(a.Out, "sweep-" + plan.ScenarioName, DateTime.UtcNow);
        string commandLine = "./run.sh sweep " + string.Join(' ', new[] { a.Scenario }.Concat(a.KeyValues).Concat(a.Out is null ? [] : ["--out", a.Out]));
        int jobs = plan.AnyReal ? 1 : a.Jobs;

        var o = Console.Out;
        o.WriteLine($"sweep {plan.ScenarioName}: {plan.Cells.Count} cells ({string.Join(" × ", plan.Axes.Select(x => $"{x.Key} = {string.Join(", ", x.Values)}"))}), " +
                    (plan.AnyReal ? "real engine: one cell at a time" : $"engine sim: up to {jobs} at once"));
        IReadOnlyList<CellResult> results;
        string html;
        string? interruptedBy;
        using (var interruption = new Interruption(PosixSignal.SIGTERM))
        {
            var cancel = interruption.Token;
            ScenarioRunner runner = (scenario, dir, token) => RunCell(scenario, dir, plan, token);
            if (Interactive.Wanted(a.Plain))
            {
                (results, html) = await AnsiConsole.Progress()
                    .AutoClear(true)
                    .HideCompleted(true)
                    .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
                    .StartAsync(async ctx =>
                    {
                        var grid = ctx.AddTask(Markup.Escape($"sweep: 0 of {plan.Cells.Count} cells"), maxValue: plan.Cells.Count);
                        var running = new Dictionary<int, ProgressTask>();
                        var gate = new object();
                        var progress = new OnReport<SweepProgress>(p =>
                        {
                            lock (gate)
                            {
                                if (p.Started is { } c)
                                {
                                    var t = ctx.AddTask(Markup.Escape($"  {c.Label}"), maxValue: 1);
                                    t.IsIndeterminate = true;
                                    running[c.Index] = t;
                                }
                                if (p.Finished is { } r)
                                {
                                    if (running.Remove(r.Cell.Index, out var t)) { t.IsIndeterminate = false; t.Value = 1; t.StopTask(); }
                                    grid.Value = p.Done;
                                    grid.Description = Markup.Escape($"sweep: {p.Done} of {p.Total} cells" + (r.Status != RunStatus.Complete ? $" (last: {r.Cell.Label} {Manifest.StatusName(r.Status)})" : ""));
                                    if (r.Status != RunStatus.Complete)
                                        AnsiConsole.MarkupLine(Markup.Escape($"cell {r.Cell.Label}: {Manifest.StatusName(r.Status)}: {r.Reason}"));
                                }
                            }
                        });
                        var res = await SweepRunner.RunAsync(plan, sweepDir, runner, jobs, progress, cancel);
                        var report = ctx.AddTask("sweep: report", maxValue: 1.0);
                        string path = SweepReport.Write(plan, res, sweepDir, commandLine, new OnReport<SweepReportProgress>(p =>
                        {
                            report.Description = Markup.Escape($"sweep: {p.Step}");
                            report.Value = Math.Clamp(p.Fraction, 0, 1);
                        }));
                        return (res, path);
                    });
            }
            else
            {
                var progress = new OnReport<SweepProgress>(p =>
                {
                    lock (o)
                    {
                        if (p.Finished is { } r)
                            o.WriteLine($"sweep: cell {p.Done}/{p.Total} {r.Cell.Label}: {Manifest.StatusName(r.Status)}" +
                                        (r.Reason is { Length: > 0 } why ? $" ({why})" : "") +
                                        (r.HasFigures ? $", peak pool RSS {Fmt.Size(r.Summary!.PeakPoolRssKb)}" : ""));
                    }
                });
                results = await SweepRunner.RunAsync(plan, sweepDir, runner, jobs, progress, cancel);
                string? lastStep = null;
                html = SweepReport.Write(plan, results, sweepDir, commandLine, new OnReport<SweepReportProgress>(p =>
                {
                    if (p.Step == lastStep) return;
                    lastStep = p.Step;
                    o.WriteLine(string.Create(Inv, $"sweep: {p.Step} ({p.Fraction * 100:0}%)"));
                }));
            }
            interruptedBy = interruption.By;
        }

        PrintTable(plan, results);
        foreach (var r in results.Where(r => r.Status != RunStatus.Complete))
            Console.Error.WriteLine($"{(r.Status == RunStatus.Failed ? "error" : "warning")}: cell {r.Cell.Label} {Manifest.StatusName(r.Status)}: {r.Reason ?? "no reason recorded"} ({ResultsDirs.Display(r.Dir)})");
        if (interruptedBy is not null) Console.Error.WriteLine($"interrupted by {interruptedBy}: the cells run until then are kept.");
        o.WriteLine(ResultsDirs.Display(html));
        return results.Any(r => r.Status == RunStatus.Failed) ? 1 : results.Any(r => r.Status == RunStatus.Incomplete) ? 3 : 0;
    }

    /// <summary>One cell: RunPipeline into its folder (no live view), then its report (a report problem is a warning, not a failed cell).</summary>
    private static Task<RunResult> RunCell(Scenario scenario, string dir, SweepPlan plan, CancellationToken cancel)
    {
        var cell = plan.Cells.First(c => ReferenceEquals(c.Scenario, scenario));
        var run = AsCell(scenario);
        string commandLine = $"./run.sh {plan.ScenarioArg} {string.Join(' ', cell.Overrides)}{(run != scenario ? " records=summary" : "")} --out {dir}";
        return RunPipeline.RunWithReportAsync(run, dir, commandLine, $"cell {cell.Label}: the run's report", cancel);
    }

    /// <summary>A cell that would write more than this keeps aggregates (records = "summary") unless its scenario says records.</summary>
    public const double SummaryAboveBytes = 256e6;

    /// <summary>The scenario a cell runs: a large cell keeps per-second and per-PID aggregates instead of every request, unless records is set.</summary>
    public static Scenario AsCell(Scenario scenario) =>
        scenario.RequestRecords is null && RunSize.Of(scenario).Bytes > SummaryAboveBytes
            ? scenario with { RequestRecords = RecordsMode.Summary }
            : scenario;

    private static void PrintTable(SweepPlan plan, IReadOnlyList<CellResult> results)
    {
        var header = plan.Axes.Select(x => x.Key).Concat(["status", "peak pool RSS", "peak child", "respawns/1k", "p99"]).ToList();
        var rows = results.Select(r =>
        {
            var s = r.HasFigures ? r.Summary : null;
            return r.Cell.Settings.Select(kv => kv.Value).Concat(
            [
                Manifest.StatusName(r.Status),
                s is null ? "-" : Fmt.Size(s.PeakPoolRssKb),
                s is null ? "-" : Fmt.Size(s.PeakChildRssKb),
                s is null ? "-" : (SweepMetrics.RespawnsPer1k(s) ?? 0).ToString("0.##", Inv),
                s?.LatencyMs is { } l ? l.P99.ToString("0.##", Inv) + " ms" : "-",
            ]).ToList();
        }).ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Select(r => r[i].Length).DefaultIfEmpty(0).Max())).ToList();
        string Line(IReadOnlyList<string> cells) => "  " + string.Join("  ", cells.Select((c, i) => c.PadRight(widths[i]))).TrimEnd();
        Console.Out.WriteLine(Line(header));
        foreach (var r in rows) Console.Out.WriteLine(Line(r));
    }

    public static SweepArgs Parse(string[] args) => Lab.Cli.CommandLine.LabCommandLine.ArgsOf<SweepArgs>(["sweep", .. args]);

    /// <param name="jobs">--jobs's value; null when not given.</param>
    public static SweepArgs Bind(IReadOnlyList<string> words, string? outDir, string? jobs, bool plain, bool yes = false)
    {
        string? scenario = null;
        int jobCount = Environment.ProcessorCount;
        if (jobs is not null && (!int.TryParse(jobs, NumberStyles.None, Inv, out jobCount) || jobCount < 1))
            throw new LabUsageException($"--jobs needs a number of cells to run at once, 1 or more (e.g. --jobs 2); got '{jobs}'.");
        var keyValues = new List<string>();
        foreach (var arg in words)
        {
            if (scenario is null && !arg.Contains('=')) scenario = arg;
            else if (arg.Contains('=')) keyValues.Add(arg);
            else throw new LabUsageException($"'{arg}' is not a key=value: a sweep takes key=v1,v2,... (swept) and key=value (set in every cell); the scenario is '{scenario}'. Usage: {Usage}");
        }
        if (scenario is null) throw new LabUsageException($"sweep needs a scenario. Usage: {Usage} (./run.sh list shows the scenarios)");
        return new SweepArgs(scenario, keyValues, outDir, jobCount, plain, yes);
    }
}
