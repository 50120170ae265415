using Lab.Core.Records;
using Lab.Report.Model;
using ScottPlot;

namespace Lab.Report.Plotting;

/// <summary>
/// The recycle storm made visible: recycles per second (bars at the bottom, right axis) under the
/// pool's total RSS (line, left axis), on the same time axis. A fixed pm.max_requests under an
/// even load draws tall bars in step with the sawtooth's drops; a jittered limit, low bars
/// spread along the run and a flatter line.
/// </summary>
internal static class StormPlots
{
    private const int Columns = 1600;

    /// <summary>The times of the run's recycles (exits by pm.max_requests, a [recycle] rule, or a reload).</summary>
    public static List<double> RecycleTimes(RunModel m) =>
        m.Folder.Events.Where(e => e.Kind == PoolEventKind.Exit && PoolEvent.IsRenewal(e.Why)).Select(e => e.T).ToList();

    /// <summary>Whether the run has recycles to draw.</summary>
    public static bool Apply(RunModel m) => m.Folder.Events.Any(e => e.Kind == PoolEventKind.Exit && PoolEvent.IsRenewal(e.Why));

    public static RenderedPlot RecyclesUnderPoolRss(RunModel m)
    {
        var times = RecycleTimes(m);
        int seconds = Math.Max(1, (int)Math.Ceiling(m.EndT));
        var perSecond = new double[seconds];
        foreach (double t in times) perSecond[Math.Clamp((int)Math.Floor(t), 0, seconds - 1)]++;
        var storm = m.Summary.Storm;
        string subtitle = storm is { } st
            ? $"Recycles per second (bars, right axis) under the pool's total RSS; most in any second: {st.MaxRecyclesPerSecond} (at {Fmt.Seconds(st.MaxRecyclesAtS)}), pool peak / mean {st.PoolRssPeakToMean?.ToString("0.00", Fmt.Inv) ?? "n/a"}"
            : "Recycles per second (bars, right axis) under the pool's total RSS";
        var plt = PlotKit.New(m.PlotTitle, subtitle);
        var time = TimeUnit.For(m.EndT);
        double xMax = PlotKit.Span(time.Of(m.EndT));

        // recycles per second as a filled step line; past 500 seconds a bar covers several seconds and
        // shows the most recycles in any one of them (so a one-second burst stays as tall, and visible)
        int width = Math.Max(1, (int)Math.Ceiling(seconds / 500.0));
        var bx = new List<double>();
        var by = new List<double>();
        double previous = 0;
        for (int s0 = 0; s0 < seconds; s0 += width)
        {
            double most = 0;
            for (int s = s0; s < Math.Min(seconds, s0 + width); s++) most = Math.Max(most, perSecond[s]);
            if (most == 0 && previous == 0) continue;
            previous = most;
            bx.Add(time.Of(s0)); by.Add(0);
            bx.Add(time.Of(s0)); by.Add(most);
            bx.Add(time.Of(Math.Min(seconds, s0 + width))); by.Add(most);
            bx.Add(time.Of(Math.Min(seconds, s0 + width))); by.Add(0);
        }
        double maxBar = perSecond.Length > 0 ? perSecond.Max() : 0;
        if (bx.Count > 0)
        {
            var bars = plt.Add.ScatterLine(bx.ToArray(), by.ToArray(), PlotKit.LimitRed);
            bars.LineWidth = 1;
            bars.FillY = true;
            bars.FillYColor = PlotKit.LimitRed.WithOpacity(0.45);
            bars.LegendText = width == 1 ? "recycles per second (right axis)" : $"recycles per second, the most in each {width} s (right axis)";
            bars.Axes.YAxis = plt.Axes.Right;
        }
        plt.Axes.Right.Label.Text = "recycles per second";
        // the bars take the lower third of the data area: the pool's line runs above them
        plt.Axes.SetLimitsY(0, Math.Max(1, maxBar) * 3.2, plt.Axes.Right);

        var k = m.Ticks;
        double dataMax = k.Count == 0 ? 0 : k.PoolRssKb.Max();
        double dataMin = k.Count == 0 ? 0 : k.PoolRssKb.Min();
        var unit = SizeUnit.For(dataMax);
        var pool = new Decimator(0, xMax, Columns);
        for (int i = 0; i < k.Count; i++) pool.Add(time.Of(k.T[i]), unit.Of(k.PoolRssKb[i]));
        var (px, py) = pool.Finish();
        if (px.Length > 0) PlotKit.Line(plt, px, py, PlotKit.Palette[0], 1.6f, "pool total RSS (master + children)");
        if (k.Count == 0) PlotKit.Note(plt, "no samples were recorded", Alignment.MiddleCenter);
        if (times.Count == 0) PlotKit.Note(plt, "no child was recycled");
        // the line in the upper two thirds: its lowest point sits just above the bars' top
        double top = PlotKit.Span(unit.Of(dataMax)) * 1.05;
        double bottom = Math.Max(0, unit.Of(dataMin) - (top - unit.Of(dataMin)) * 0.55);
        plt.Axes.SetLimitsY(bottom, top);

        plt.XLabel($"time ({time.Name})");
        plt.YLabel($"pool RSS ({unit.Name})");
        plt.Axes.SetLimitsX(0, xMax);
        PlotKit.LegendBelow(plt);
        return PlotKit.Render(plt, ReportFiles.Recycles);
    }
}
