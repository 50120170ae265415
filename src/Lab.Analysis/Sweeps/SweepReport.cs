using Lab.Core.Engines;
using Lab.Report;
using Lab.Report.Output;
using Lab.Report.Plotting;
using Lab.Results;

namespace Lab.Analysis.Sweeps;

/// <summary>Where the sweep's report is: the fraction done (0..1) and the step under way.</summary>
public readonly record struct SweepReportProgress(double Fraction, string Step);

/// <summary>
/// What a sweep writes after its cells ran, into the sweep's folder: sweep.csv, one plot per
/// metric against the swept key (PNG + SVG), compare/ (Lab.Report's compare of every cell that
/// has figures: overlay plots and the settings side by side), and report.html / report.md
/// (the table, the metric plots, links to the compare and to each cell's report).
/// </summary>
public static class SweepReport
{
    public const string CompareFolder = "compare";

    /// <summary>Writes the files; returns report.html's full path.</summary>
    /// <param name="commandLine">The command as typed, shown in the report.</param>
    public static string Write(SweepPlan plan, IReadOnlyList<CellResult> results, string sweepDir, string commandLine,
        IProgress<SweepReportProgress>? progress = null)
    {
        Directory.CreateDirectory(sweepDir);
        progress?.Report(new(0, "writing sweep.csv"));
        File.WriteAllText(Path.Combine(sweepDir, SweepCsv.FileName), SweepCsv.Render(plan, results));

        var plots = new List<(SweepMetric Metric, RenderedPlot Plot)>();
        for (int i = 0; i < SweepMetrics.All.Count; i++)
        {
            var m = SweepMetrics.All[i];
            progress?.Report(new(0.05 + 0.45 * i / SweepMetrics.All.Count, $"plotting {m.Title.ToLowerInvariant()}"));
            var p = SweepPlots.Of(plan, results, m);
            p.WriteTo(sweepDir);
            plots.Add((m, p));
        }

        string? compareNote = null;
        var withFigures = results.Where(r => r.HasFigures).ToList();
        string compareDir = Path.Combine(sweepDir, CompareFolder);
        if (withFigures.Count >= 2)
        {
            progress?.Report(new(0.5, "comparing the cells (overlay plots)"));
            try
            {
                var runs = withFigures.Select(r => RunFolder.Open(r.Dir)).ToList();
                var compareProgress = progress is null ? null : new Scaled(progress, 0.5, 0.95);
                CompareReport.Generate(runs, compareDir, new ReportOptions(XAxis.Time, compareProgress));
            }
            catch (Exception e) when (e is IOException or ResultsFormatException or InvalidOperationException or ArgumentException)
            {
                compareNote = $"The compare of the cells could not be made: {e.Message}";
            }
        }
        else compareNote = "Fewer than two cells have figures: there is nothing to overlay.";

        progress?.Report(new(0.95, "writing report.html and report.md"));
        var page = Build(plan, results, plots, commandLine, compareNote is null ? $"{CompareFolder}/report.html" : null, compareNote);
        string html = page.WriteTo(sweepDir);
        progress?.Report(new(1, "done"));
        return html;
    }

    private sealed class Scaled(IProgress<SweepReportProgress> whole, double from, double to) : IProgress<ReportProgress>
    {
        public void Report(ReportProgress value) =>
            whole.Report(new(from + (to - from) * Math.Clamp(value.Fraction, 0, 1), value.Step == "done" ? "compare written" : "compare: " + value.Step));
    }

    private static ReportPage Build(SweepPlan plan, IReadOnlyList<CellResult> results, IReadOnlyList<(SweepMetric Metric, RenderedPlot Plot)> plots,
        string commandLine, string? compareHref, string? compareNote)
    {
        var engines = results.Select(r => Lab.Core.Scenarios.EngineNames.Of(r.Cell.Scenario.Engine)).Distinct().ToList();
        int failed = results.Count(r => r.Status == RunStatus.Failed);
        int incomplete = results.Count(r => r.Status == RunStatus.Incomplete);
        string subtitle = $"{plan.ScenarioName} · {Fmt.Count(results.Count, "cell", "cells")} · engine {string.Join(", ", engines)} · " +
                          string.Join(" × ", plan.Axes.Select(a => $"{a.Key} = {string.Join(", ", a.Values)}")) +
                          (failed > 0 ? $" · {failed} failed" : "") + (incomplete > 0 ? $" · {incomplete} incomplete" : "");
        var page = new ReportPage($"Sweep: {plan.Title}", subtitle);

        page.Heading("What ran");
        page.Pre(commandLine);
        var ran = new List<string>
        {
            $"Scenario {plan.ScenarioName}, run once per cell of the grid: {string.Join(" × ", plan.Axes.Select(a => $"{a.Key} ({a.Path}) = {string.Join(", ", a.Values)}"))}.",
            plan.Overrides.Count > 0 ? $"Every cell also ran with {string.Join(" ", plan.Overrides)}." : "No other override.",
            plan.AnyReal
                ? "Real engines: the cells ran one after the other, so no run disturbed another's measurements."
                : "Engine sim: deterministic (the same seed gives the same numbers); the cells ran in parallel.",
        };
        page.Bullets(ran);

        page.Heading("What this shows");
        page.Bullets(Findings(plan, results));

        page.Heading("Cells");
        var metricCols = SweepMetrics.All;
        var header = new List<string> { "cell" };
        header.AddRange(plan.Axes.Select(a => a.Key));
        header.Add("status");
        header.AddRange(["peak pool RSS", "peak child RSS", "respawns / 1k req", "p99 latency", "throughput", "failed %"]);
        header.Add("run");
        var rows = new List<IReadOnlyList<string>>();
        var flagged = new List<int>();
        foreach (var r in results)
        {
            var row = new List<string> { (r.Cell.Index + 1).ToString(Fmt.Inv) };
            row.AddRange(r.Cell.Settings.Select(s => SweepPlots.TickLabel(plan.Axes.First(a => a.Key == s.Key), s.Value)));
            row.Add(Manifest.StatusName(r.Status) + (r.Reason is { Length: > 0 } why ? $": {why}" : ""));
            var s = r.HasFigures ? r.Summary : null;
            row.Add(s is null ? "—" : Fmt.Size(s.PeakPoolRssKb));
            row.Add(s is null ? "—" : Fmt.Size(s.PeakChildRssKb));
            row.Add(s is null ? "—" : Fmt.Num(SweepMetrics.RespawnsPer1k(s) ?? double.NaN, "0.##"));
            row.Add(s?.LatencyMs is { } l ? Fmt.Ms(l.P99) : "—");
            row.Add(s is null ? "—" : Fmt.Num(s.ThroughputRps, "0.##") + " req/s");
            row.Add(s is null ? "—" : Fmt.Num(SweepMetrics.FailedPercent(s) ?? double.NaN, "0.##"));
            row.Add($"{r.Cell.Folder}/report.html");
            if (r.Status != RunStatus.Complete) flagged.Add(rows.Count);
            rows.Add(row);
        }
        int first = plan.Axes.Count + 2;
        page.Table(header, rows, Enumerable.Range(first, 6), flagged);
        page.Para($"Every figure of every cell is in {SweepCsv.FileName} (one row per cell; sizes in KiB as ps prints them, latency in ms). Each cell's own run folder holds its files and its report.", muted: true);
        if (failed + incomplete > 0)
            page.Bullets(results.Where(r => r.Status != RunStatus.Complete)
                .Select(r => $"{r.Cell.Label}: {Manifest.StatusName(r.Status)} — {r.Reason ?? "no reason recorded"} (folder {r.Cell.Folder})"));

        page.Heading("Metrics against " + plan.Axes[0].Key);
        foreach (var (m, p) in plots)
            page.Figure(p, $"{m.Title} against {plan.Axes[0].Key}", $"{m.Title}: {m.Meaning}.");

        page.Heading("The cells overlaid");
        if (compareHref is not null)
            page.Link("The compare of the cells", compareHref, "— their pool RSS over time, their largest child over requests served and their latency in one plot each, and their settings side by side.");
        else page.Para(compareNote ?? "", muted: true);
        return page;
    }

    /// <summary>What the grid says, in words: for each metric, where it is lowest and highest.</summary>
    public static IReadOnlyList<string> Findings(SweepPlan plan, IReadOnlyList<CellResult> results)
    {
        var said = new List<string>();
        var ok = results.Where(r => r.HasFigures).ToList();
        if (ok.Count == 0)
        {
            said.Add("No cell gave figures: see the reasons in the table.");
            return said;
        }
        foreach (var m in SweepMetrics.All)
        {
            var values = ok.Select(r => (r.Cell, V: m.Of(r.Summary!))).Where(x => x.V is { } v && double.IsFinite(v)).Select(x => (x.Cell, V: x.V!.Value)).ToList();
            if (values.Count == 0) continue;
            var lo = values.MinBy(v => v.V);
            var hi = values.MaxBy(v => v.V);
            string Show(double v) => m.Kind switch { MetricKind.SizeKb => Fmt.Size(v), MetricKind.LatencyMs => Fmt.Ms(v), _ => Fmt.Num(v, "0.##") + " " + m.Unit };
            if (Math.Abs(hi.V - lo.V) <= 1e-9 * Math.Max(1, Math.Abs(hi.V)))
                said.Add($"{m.Title}: {Show(lo.V)} in every cell.");
            else
                said.Add($"{m.Title}: from {Show(lo.V)} ({lo.Cell.Label}) to {Show(hi.V)} ({hi.Cell.Label}).");
        }
        if (plan.Axes.Any(a => a.Path == "pool.max_requests"))
            said.Add("pm.max_requests trades memory for forks: a smaller value recycles children sooner, so the leak has fewer requests to accumulate in each child (lower peak RSS), at the price of more respawns.");
        if (plan.Axes.Any(a => a.Path == "pool.memory_limit"))
            said.Add("memory_limit bounds one request's PHP allocations, not the process: a leak below PHP's allocator (a C extension, FFI) grows the child's RSS whatever memory_limit says.");
        return said;
    }
}
