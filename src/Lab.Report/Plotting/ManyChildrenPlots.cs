using Lab.Core.Records;
using Lab.Report.Model;
using ScottPlot;

namespace Lab.Report.Plotting;

/// <summary>
/// The memory of a pool whose children are too many to draw one line each (past
/// <see cref="ManyPids"/> child PIDs: an hour of a 64-child pool recycling is thousands): the
/// children's RSS as a distribution over time (min–max band, median and p90) with the first and
/// the largest children kept as lines — it takes the place of rss-per-pid — and rss-by-slot, a
/// heatmap with one row per scoreboard slot and its successive PIDs one after the other (colour =
/// RSS), where a child's growth is a gradient, its recycle a sharp drop, and children recycled
/// together make a vertical wave.
/// </summary>
internal static class ManyChildrenPlots
{
    /// <summary>Past this many child PIDs, the per-PID lines give way to these plots.</summary>
    public const int ManyPids = 40;
    /// <summary>The largest children drawn as lines over the distribution.</summary>
    public const int LargestShown = 2;

    public static bool Apply(RunModel m) => m.ChildLives.Count > ManyPids;

    /// <summary>rss-per-pid for many children: the distribution of the children's RSS over time.</summary>
    public static RenderedPlot RssDistribution(RunModel m, XAxis xAxis)
    {
        var x = new RunPlots.XMap(m, xAxis);
        double xMax = PlotKit.Span(x.Max);
        int columns = Math.Max(1, Math.Min(RunPlots.Columns / 2, m.Ticks.Count));
        var counts = new int[columns];
        foreach (var l in m.ChildLives) for (int k = 0; k < l.Readings; k++) counts[Column(x.Of(l, k), xMax, columns)]++;

        // every child reading (samples and requests' ends), grouped by column (counting sort), then each column's quantiles
        var start = new int[columns + 1];
        for (int c = 0; c < columns; c++) start[c + 1] = start[c] + counts[c];
        var fill = (int[])start.Clone();
        var values = new double[start[columns]];
        double dataMax = 0;
        foreach (var l in m.Lives)
            for (int k = 0; k < l.Readings; k++)
            {
                if (l.RssKb[k] > dataMax) dataMax = l.RssKb[k];
                if (l.Role == ProcessRole.Child) values[fill[Column(x.Of(l, k), xMax, columns)]++] = l.RssKb[k];
            }
        var limit = RunPlots.Reference(m.MemoryLimitBytes, dataMax);
        var unit = SizeUnit.For(Math.Max(dataMax, limit.Drawn ? limit.Kb : 0));

        var xs = new List<double>(); var min = new List<double>(); var p50 = new List<double>(); var p90 = new List<double>(); var max = new List<double>();
        for (int c = 0; c < columns; c++)
        {
            if (counts[c] == 0) continue;
            var span = values.AsSpan(start[c], counts[c]);
            span.Sort();
            xs.Add((c + 0.5) * xMax / columns);
            min.Add(unit.Of(span[0]));
            p50.Add(unit.Of(LatencySeries.Percentile(span, 50)));
            p90.Add(unit.Of(LatencySeries.Percentile(span, 90)));
            max.Add(unit.Of(span[^1]));
        }

        int children = m.ChildLives.Count;
        var plt = PlotKit.New(m.PlotTitle,
            $"RSS of the {Fmt.Int(children)} child PIDs {(xAxis == XAxis.Time ? "over time" : "over requests served")}: their distribution (min–max, median, p90), the first and the largest children as lines");
        var band = PlotKit.Palette[0];
        if (xs.Count > 0)
        {
            var all = plt.Add.FillY(xs.Select((v, i) => (v, min[i], max[i])).ToList());
            all.FillStyle.Color = band.WithOpacity(0.18);
            all.LineStyle.Width = 0;
            all.LegendText = "min – max of the children";
            var mid = plt.Add.FillY(xs.Select((v, i) => (v, p50[i], p90[i])).ToList());
            mid.FillStyle.Color = band.WithOpacity(0.35);
            mid.LineStyle.Width = 0;
            mid.LegendText = "median – p90";
            PlotKit.Line(plt, xs.ToArray(), p50.ToArray(), band, 1.6f, "median");
            PlotKit.Line(plt, xs.ToArray(), p90.ToArray(), band, 1f, "p90", LinePattern.Dashed);
        }

        // the first child (how a fresh one grows) and the largest ones (the worst case), as lines
        var shown = new List<(ProcessLife Life, string Why)>();
        if (m.ChildLives.MinBy(l => l.FirstT) is { } first) shown.Add((first, "first child"));
        foreach (var l in m.ChildLives.Where(l => l.Readings > 0).OrderByDescending(l => l.RssKb.Max()).Take(LargestShown))
            if (!shown.Any(v => ReferenceEquals(v.Life, l))) shown.Add((l, "largest"));
        int colour = 1;
        foreach (var (life, why) in shown)
        {
            var d = new Decimator(0, xMax, RunPlots.Columns);
            for (int k = 0; k < life.Readings; k++) d.Add(x.Of(life, k), unit.Of(life.RssKb[k]));
            var (lx, ly) = d.Finish();
            if (lx.Length == 0) continue;
            long peak = life.RssKb.Max();
            PlotKit.Line(plt, lx, ly, PlotKit.Palette[colour++ % PlotKit.Palette.Length], RunPlots.ChildLineWidth,
                $"pid {life.Pid} ({why}, peak {Fmt.Size(peak)})");
        }
        foreach (var master in m.Lives.Where(l => l.Role == ProcessRole.Master))
        {
            var d = new Decimator(0, xMax, RunPlots.Columns);
            for (int k = 0; k < master.Readings; k++) d.Add(x.Of(master, k), unit.Of(master.RssKb[k]));
            var (lx, ly) = d.Finish();
            if (lx.Length > 0) PlotKit.Line(plt, lx, ly, PlotKit.MasterGrey, 1.2f, master == m.Lives.First(l => l.Role == ProcessRole.Master) ? $"master (pid {master.Pid})" : null, LinePattern.Dashed);
        }

        double yTop = PlotKit.Span(unit.Of(Math.Max(dataMax, limit.Drawn ? limit.Kb : 0))) * 1.1;
        RunPlots.DrawLimit(plt, limit, unit, "memory_limit", "(per request, not per process)", dataMax);
        PlotKit.EventLines(plt, m.Marks.Select(mark => (x.OfTime(mark.T), mark.Label)), yTop);
        plt.XLabel(x.Title);
        plt.YLabel($"RSS ({unit.Name})");
        plt.Axes.SetLimitsX(0, xMax);
        plt.Axes.SetLimitsY(0, yTop);
        PlotKit.LegendBelow(plt);
        return PlotKit.Render(plt, ReportFiles.RssPerPid, PlotKit.Width, 600);
    }

    /// <summary>rss-by-slot: one row per scoreboard slot, its successive PIDs one after the other, colour = RSS.</summary>
    public static RenderedPlot SlotHeatmap(RunModel m, XAxis xAxis)
    {
        var x = new RunPlots.XMap(m, xAxis);
        double xMax = PlotKit.Span(x.Max);
        var slots = Slots.Assign(m.ChildLives);
        int columns = Math.Max(1, Math.Min(RunPlots.Columns, m.Ticks.Count));
        double dataMax = 0;
        foreach (var l in m.ChildLives) for (int k = 0; k < l.Readings; k++) dataMax = Math.Max(dataMax, l.RssKb[k]);
        var unit = SizeUnit.For(dataMax);
        var cells = new double[Math.Max(1, slots.Count), columns];
        for (int r = 0; r < cells.GetLength(0); r++) for (int c = 0; c < columns; c++) cells[r, c] = double.NaN;
        for (int k = 0; k < m.ChildLives.Count; k++)
        {
            int slot = slots.SlotOf[k];
            var life = m.ChildLives[k];
            for (int i = 0; i < life.Readings; i++)
            {
                int c = Column(x.Of(life, i), xMax, columns);
                double v = unit.Of(life.RssKb[i]);
                // the most a slot held in the column: peaks are exact, a recycle shows as the drop after them
                if (double.IsNaN(cells[slot, c]) || v > cells[slot, c]) cells[slot, c] = v;
            }
        }

        var plt = PlotKit.New(m.PlotTitle,
            $"RSS by scoreboard slot ({Fmt.Int(slots.Count)}): each row a slot, its PIDs one after the other; a recycle drops to dark, recycles at once line up");
        var hm = plt.Add.Heatmap(cells);
        hm.Colormap = new ScottPlot.Colormaps.Viridis();
        hm.Extent = new CoordinateRect(0, xMax, 0.5, slots.Count + 0.5);
        hm.NaNCellColor = Colors.Transparent;
        hm.FlipVertically = true; // slot 1 at the bottom, as the y axis counts
        var bar = plt.Add.ColorBar(hm, Edge.Right);
        bar.Label = $"RSS ({unit.Name})";
        PlotKit.EventLines(plt, m.Marks.Select(mark => (x.OfTime(mark.T), mark.Label)), slots.Count + 0.5);
        if (m.ChildLives.Count == 0) PlotKit.Note(plt, "no child was sampled", Alignment.MiddleCenter);
        plt.XLabel(x.Title);
        plt.YLabel("scoreboard slot");
        plt.Axes.SetLimitsX(0, xMax);
        plt.Axes.SetLimitsY(0.5, slots.Count + 0.5);
        plt.HideLegend();
        return PlotKit.Render(plt, ReportFiles.RssBySlot, PlotKit.Width, 600);
    }

    /// <summary>The column of an x.</summary>
    private static int Column(double x, double xMax, int columns) => Math.Clamp((int)(x / xMax * columns), 0, columns - 1);
}
