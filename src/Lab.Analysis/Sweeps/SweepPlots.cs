using Lab.Report;
using Lab.Report.Plotting;
using Lab.Scenarios;
using ScottPlot;

namespace Lab.Analysis.Sweeps;

/// <summary>
/// A metric of the sweep against its first swept key: the key's values side by side on the x
/// axis, in the order given (max_requests = 0 is "unlimited", not the smallest number), one
/// line per combination of the other swept keys' values. A failed cell leaves its point out.
/// </summary>
public static class SweepPlots
{
    public static RenderedPlot Of(SweepPlan plan, IReadOnlyList<CellResult> results, SweepMetric metric)
    {
        var x = plan.Axes[0];
        string others = plan.Axes.Count > 1 ? $", one line per {string.Join(" × ", plan.Axes.Skip(1).Select(a => a.Key))}" : "";
        var plt = PlotKit.New($"Sweep of {plan.ScenarioName}: {plan.Title}", $"{metric.Title} against {x.Key}{others}");

        var series = results.GroupBy(r => string.Join(' ', r.Cell.Settings.Skip(1).Select(s => $"{s.Key}={s.Value}")))
            .Select((g, i) => (Label: g.Key, Color: PlotKit.Palette[i % PlotKit.Palette.Length], Cells: g.ToList())).ToList();
        double max = results.Where(r => r.HasFigures).Select(r => metric.Of(r.Summary!) ?? double.NaN).Where(double.IsFinite).DefaultIfEmpty(0).Max();
        // A memory_limit sweep of a memory metric: the limits themselves, to see RSS pass them all the same.
        var limits = x.Path == "pool.memory_limit" && metric.Kind == MetricKind.SizeKb
            ? x.Values.Select((v, i) => (X: (double)i, Kb: ScenarioUnits.ParseMemoryLimit(v, out _) is { } b && b >= 0 ? b / 1024.0 : double.NaN))
                .Where(l => double.IsFinite(l.Kb)).ToList()
            : [];
        if (limits.Count > 0) max = Math.Max(max, limits.Max(l => l.Kb));
        var unit = metric.Kind == MetricKind.SizeKb ? SizeUnit.For(max) : null;
        double Scale(double v) => unit?.Of(v) ?? v;

        int plotted = 0;
        foreach (var (label, color, cells) in series)
        {
            var pts = cells.Where(r => r.HasFigures).Select(r => (r.Cell, V: metric.Of(r.Summary!) ?? double.NaN))
                .Where(c => double.IsFinite(c.V))
                .Select(c => (X: (double)x.Values.ToList().IndexOf(c.Cell.ValueOf(x.Key)), Y: Scale(c.V)))
                .OrderBy(p => p.X).ToList();
            if (pts.Count == 0) continue;
            plotted++;
            // Earlier series drawn wider (as Lab.Report's compare does), so one that follows the same path stays visible around it.
            int si = series.FindIndex(x => x.Label == label);
            float width = series.Count <= 1 ? 2.5f : 1.5f + 2.5f * (series.Count - 1 - si) / (series.Count - 1);
            var line = PlotKit.Line(plt, pts.Select(p => p.X).ToArray(), pts.Select(p => p.Y).ToArray(), color, width,
                label.Length > 0 ? label : null, dots: true);
            line.MarkerSize = 6 + 2 * width;
            if (series.Count == 1)
                foreach (var p in pts)
                {
                    var t = plt.Add.Text(ValueText(metric, unit, p.Y), p.X, p.Y);
                    t.Alignment = Alignment.LowerCenter;
                    t.OffsetY = -8;
                    t.LabelFontSize = 12;
                    t.LabelFontColor = PlotKit.Ink;
                }
        }
        if (limits.Count > 0)
        {
            double[] lx = limits.Select(l => l.X).ToArray(), ly = limits.Select(l => Scale(l.Kb)).ToArray();
            // Solid: a patterned line in this plot makes Skia's SVG canvas print "Unsupported path effect" on stderr.
            PlotKit.Line(plt, lx, ly, PlotKit.LimitRed, 1.5f, "memory_limit (per request, not per process)");
            plt.Add.Markers(lx, ly, MarkerShape.FilledSquare, 7, PlotKit.LimitRed);
        }

        var failed = results.Where(r => !r.HasFigures).Select(r => r.Cell.Label).ToList();
        if (failed.Count > 0) PlotKit.Note(plt, $"no figures for {string.Join(", ", failed.Take(4))}{(failed.Count > 4 ? $" (+{failed.Count - 4} more)" : "")}: see the table");
        if (plotted == 0) PlotKit.Note(plt, "no cell gave this figure", Alignment.MiddleCenter);

        var ticks = x.Values.Select((v, i) => new Tick(i, TickLabel(x, v))).ToArray();
        plt.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
        plt.XLabel(x.Key == x.Path ? x.Key : $"{x.Key} ({x.Path})");
        plt.YLabel(unit is not null ? $"{Short(metric)} ({unit.Name})" : $"{Short(metric)} ({metric.Unit})");
        plt.Axes.SetLimitsX(-0.5, x.Values.Count - 0.5);
        plt.Axes.SetLimitsY(0, PlotKit.Span(Scale(max)) * 1.18);
        PlotKit.LegendBelow(plt);
        return PlotKit.Render(plt, metric.PlotName);
    }

    /// <summary>A value of the x axis; max_requests = 0 and memory_limit = -1 say what they mean.</summary>
    public static string TickLabel(SweepAxis axis, string value) => (axis.Path, value) switch
    {
        ("pool.max_requests", "0") => "0 (unlimited)",
        ("pool.memory_limit", "-1") => "-1 (unlimited)",
        _ => value,
    };

    private static string Short(SweepMetric m) => m.Kind switch
    {
        MetricKind.SizeKb => "RSS",
        MetricKind.LatencyMs => "latency",
        _ => m.Unit == "%" ? "share" : m.Unit == "req/s" ? "throughput" : "respawns",
    };

    private static string ValueText(SweepMetric m, SizeUnit? unit, double y) => m.Kind switch
    {
        MetricKind.SizeKb => Fmt.Num(y, y >= 100 ? "0" : "0.#") + " " + unit!.Name,
        MetricKind.LatencyMs => Fmt.Ms(y),
        _ => Fmt.Num(y, y >= 100 ? "0" : "0.##"),
    };
}
