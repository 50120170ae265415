using Lab.Report.Model;
using ScottPlot;

namespace Lab.Report.Plotting;

/// <summary>
/// The overlay plots of a compare, each run in its own colour in every plot: the pool's total
/// RSS over time, the largest child's RSS over requests served by the pool, and latency.
/// </summary>
internal static class ComparePlots
{
    /// <summary>
    /// Earlier runs are drawn wider, so a later run that follows the same path (max_requests=0
    /// and max_requests=50 before the 50th request) leaves the earlier one visible around it.
    /// </summary>
    public static float WidthOf(int runIndex, int runs) => runs <= 1 ? 2f : 1.4f + 1.6f * (runs - 1 - runIndex) / (runs - 1);

    /// <summary>A run in a legend: its full label for a few runs, its short one (what sets it apart) in a column of many.</summary>
    private static string LegendLabel(CompareSet set, ComparedRun run) => set.Runs.Count > PlotKit.ShortLabelsPast ? run.Short : run.Label;

    public static RenderedPlot PoolRss(CompareSet set, XAxis xAxis)
    {
        var plt = PlotKit.New(set.Title, $"The pool's total RSS (master + children), {(xAxis == XAxis.Time ? "over time" : "over requests served by the pool")}");
        double dataMax = set.Runs.Max(r => r.Model.Ticks.Count == 0 ? 0 : r.Model.Ticks.PoolRssKb.Max());
        return Overlay(plt, set, xAxis, dataMax, m => m.Ticks.PoolRssKb, ReportFiles.PoolRss);
    }

    public static RenderedPlot LargestChild(CompareSet set)
    {
        var plt = PlotKit.New(set.Title, "The largest child's RSS over requests served by the pool: the leak's slope, and what bounds it");
        double dataMax = set.Runs.Max(r => r.Model.Ticks.Count == 0 ? 0 : r.Model.Ticks.LargestChildKb.Max());
        return Overlay(plt, set, XAxis.Requests, dataMax, m => m.Ticks.LargestChildKb, ReportFiles.LargestChild);
    }

    private static RenderedPlot Overlay(Plot plt, CompareSet set, XAxis xAxis, double dataMax, Func<RunModel, long[]> series, string name)
    {
        // memory_limit: one line when every run has the same; else one per run, in its colour.
        var limits = set.Runs.Select(r => (Run: r, Ref: RunPlots.Reference(r.Model.MemoryLimitBytes, dataMax))).Where(x => x.Ref.Known).ToList();
        bool oneLimit = limits.Select(x => x.Ref.Kb).Distinct().Count() == 1;
        double top = Math.Max(dataMax, limits.Where(x => x.Ref.Drawn).Select(x => x.Ref.Kb).DefaultIfEmpty(0).Max());
        var unit = SizeUnit.For(top);
        double tMax = set.Runs.Max(r => r.Model.EndT);
        var time = TimeUnit.For(tMax);
        double xMax = xAxis == XAxis.Time ? time.Of(tMax) : set.Runs.Max(r => r.Model.Ticks.Count == 0 ? 0 : r.Model.Ticks.Served[^1]);
        xMax = PlotKit.Span(xMax);
        double yTop = PlotKit.Span(unit.Of(top)) * 1.1;

        for (int ri = 0; ri < set.Runs.Count; ri++)
        {
            var run = set.Runs[ri];
            var k = run.Model.Ticks;
            var y = series(run.Model);
            var d = new Decimator(0, xMax, RunPlots.Columns);
            for (int i = 0; i < k.Count; i++) d.Add(xAxis == XAxis.Time ? time.Of(k.T[i]) : k.Served[i], unit.Of(y[i]));
            var (xs, ys) = d.Finish();
            if (xs.Length > 0) PlotKit.Line(plt, xs, ys, run.Color, WidthOf(ri, set.Runs.Count), LegendLabel(set, run));
            var marks = run.Model.Marks;
            var markLabels = PlotKit.MarkLabels(marks.Select(mk => mk.Label).ToList());
            for (int mi = 0; mi < marks.Count; mi++)
            {
                var mark = marks[mi];
                double mx = xAxis == XAxis.Time ? time.Of(mark.T) : run.Model.ServedAt(mark.T);
                var v = plt.Add.VerticalLine(mx, 1.2f, run.Color, LinePattern.Dashed);
                v.ExcludeFromLegend = true;
                if (markLabels[mi].Length == 0) continue; // one of many of its kind: labelled once, on the first
                var t = plt.Add.Text(markLabels[mi], mx, yTop);
                t.Alignment = Alignment.UpperLeft; t.OffsetX = 4; t.OffsetY = 4;
                t.LabelFontSize = 12; t.LabelBold = true; t.LabelFontColor = run.Color;
            }
        }
        foreach (var (run, r) in oneLimit ? limits.Take(1) : limits)
            RunPlots.DrawLimit(plt, r, unit, "memory_limit", oneLimit ? "(per request, not per process)" : $"({run.Label})", dataMax,
                oneLimit ? PlotKit.LimitRed : run.Color);

        plt.XLabel(xAxis == XAxis.Time ? $"time ({time.Name})" : "requests served by the pool");
        plt.YLabel($"RSS ({unit.Name})");
        plt.Axes.SetLimitsX(0, xMax);
        plt.Axes.SetLimitsY(0, yTop);
        PlotKit.LegendBelow(plt); // it wraps into as many rows as the runs need
        return PlotKit.Render(plt, name);
    }

    public static RenderedPlot Latency(CompareSet set)
    {
        var plt = PlotKit.New(set.Title, "Latency from the intended send time: p99 solid, p50 dashed, per time bucket");
        double tMax = set.Runs.Max(r => r.Model.EndT);
        var time = TimeUnit.For(tMax);
        double maxLat = set.Runs.Max(r => r.Model.Latency.P99Ms.DefaultIfEmpty(0).Max());
        var lu = LatencyUnit.For(maxLat);
        bool any = false;
        for (int ri = 0; ri < set.Runs.Count; ri++)
        {
            var run = set.Runs[ri];
            var l = run.Model.Latency;
            if (l.LatencyT.Length == 0) continue;
            any = true;
            var xs = l.LatencyT.Select(time.Of).ToArray();
            float w = WidthOf(ri, set.Runs.Count);
            PlotKit.Line(plt, xs, l.P99Ms.Select(lu.Of).ToArray(), run.Color, w, LegendLabel(set, run));
            PlotKit.Line(plt, xs, l.P50Ms.Select(lu.Of).ToArray(), run.Color, w * 0.75f, null, LinePattern.Dashed);
        }
        if (!any) PlotKit.Note(plt, "no request was answered", Alignment.MiddleCenter);
        plt.XLabel($"time ({time.Name})");
        plt.YLabel($"latency ({lu.Name})");
        plt.Axes.SetLimitsX(0, PlotKit.Span(time.Of(tMax)));
        plt.Axes.SetLimitsY(0, PlotKit.Span(lu.Of(maxLat)) * 1.2);
        PlotKit.LegendBelow(plt); // it wraps into as many rows as the runs need
        return PlotKit.Render(plt, ReportFiles.Latency);
    }
}
