using Lab.Core.Php;
using Lab.Core.Records;
using Lab.Report.Model;
using ScottPlot;

namespace Lab.Report.Plotting;

/// <summary>
/// The three plots of one run: rss-per-pid (one line per process; successive PIDs of a
/// recycled pool draw the sawtooth), pool-rss (the pool's total and its largest child), and
/// latency (p50/p99 and throughput over time).
/// </summary>
internal static class RunPlots
{
    /// <summary>Up to this many child PIDs are named (at their line or in a legend); past it, the subtitle counts them.</summary>
    public const int MaxNamedLives = 12;
    /// <summary>Up to this many children at once, names go at the line's end; more, and they would overlap: a legend.</summary>
    public const int MaxConcurrentForLabels = 3;
    /// <summary>Pixel columns the lines are thinned to (a little more than the data area's width).</summary>
    public const int Columns = PlotKit.Width;
    /// <summary>A reference line is drawn when it is at most this many times the data's top; else a note says where it is.</summary>
    public const double ReferenceStretch = 1.6;

    public const float ChildLineWidth = 1.5f;
    public const float ManyChildLineWidth = 1.1f;

    // ---- rss-per-pid ---------------------------------------------------------------------

    /// <param name="memory">Each line in RSS (every tick, as ps) or USS (the ticks that read smaps_rollup); USS only where the run has it.</param>
    public static RenderedPlot RssPerPid(RunModel m, XAxis xAxis, ChildMemory memory = ChildMemory.Rss)
    {
        if (ManyChildrenPlots.Apply(m)) return ManyChildrenPlots.RssDistribution(m, xAxis);
        bool uss = memory == ChildMemory.Uss && m.Ticks.HasPss;
        string what = uss ? "USS" : "RSS";
        long[] Values(ProcessLife l) => uss ? l.UssKb : l.RssKb;
        var x = new XMap(m, xAxis);
        int children = m.ChildLives.Count;
        int unmeasured = m.ChildLives.Count(l => l.Readings == 0);
        int concurrent = m.Ticks.Count == 0 ? 0 : m.Ticks.Children.Max();
        bool named = children <= MaxNamedLives;
        bool labels = named && concurrent <= MaxConcurrentForLabels;

        string who = $"{Fmt.Count(children, "child PID", "child PIDs")}" + (m.Lives.Count > children ? " and the master" : "")
                     + (unmeasured > 0 ? $" ({unmeasured} never measured: no sample and no request's RSS)" : "");
        bool fromRequests = m.ChildLives.Any(l => l.FromRequest.Any(f => f));
        string readings = uss ? "the ticks that read smaps_rollup" : fromRequests ? "samples and each request's end" : "samples";
        var plt = PlotKit.New(m.PlotTitle, $"{what} of each process ({(xAxis == XAxis.Time ? "over time" : "over requests served")}; {readings}) · {who}");

        double dataMax = 0;
        foreach (var life in m.Lives) foreach (long kb in Values(life)) if (kb > dataMax) dataMax = kb;
        var limit = Reference(m.MemoryLimitBytes, dataMax);
        var unit = SizeUnit.For(Math.Max(dataMax, limit.Drawn ? limit.Kb : 0));

        double xMax = PlotKit.Span(x.Max);
        double labelRoom = labels ? 0.07 * xMax : 0;
        int childIndex = 0;
        bool masterInLegend = false;
        var exitGroups = new Dictionary<ExitKind, ExitGroup>();
        // Every child life's exit counts in the legend (as in summary.json), drawn where it was last measured.
        foreach (var life in m.ChildLives)
        {
            if (life.ExitDetail is not { } detail) continue;
            var kind = KindOf(detail);
            (exitGroups.TryGetValue(kind, out var g) ? g : exitGroups[kind] = new ExitGroup()).Count++;
        }
        // Past the named few, the children's lines are drawn per colour as one line broken by
        // gaps (NaN): thousands of PIDs cost ten plottables, not thousands.
        var batches = named ? null : PlotKit.Palette.Select(_ => (X: new List<double>(), Y: new List<double>())).ToArray();
        var dots = (X: new List<double>(), Y: new List<double>());
        foreach (var life in m.Lives)
        {
            var d = new Decimator(0, xMax, Columns);
            var values = Values(life);
            for (int i = 0; i < life.Readings; i++) if (values[i] >= 0) d.Add(x.Of(life, i), unit.Of(values[i]));
            var (xs, ys) = d.Finish();
            if (xs.Length == 0) continue;
            bool master = life.Role == ProcessRole.Master;
            int colourIndex = master ? -1 : childIndex++ % PlotKit.Palette.Length;
            var color = master ? PlotKit.MasterGrey : PlotKit.Palette[colourIndex];
            if (!master && batches is not null)
            {
                if (xs.Length == 1) { dots.X.Add(xs[0]); dots.Y.Add(ys[0]); }
                else
                {
                    var b = batches[colourIndex];
                    if (b.X.Count > 0) { b.X.Add(double.NaN); b.Y.Add(double.NaN); }
                    b.X.AddRange(xs); b.Y.AddRange(ys);
                }
                AddExit(life, exitGroups, x, unit, values);
                continue;
            }
            string? legend = null;
            if (master && !masterInLegend && !labels) { legend = $"master (pid {life.Pid})"; masterInLegend = true; }
            else if (!master && named && !labels) legend = $"pid {life.Pid}";
            float width = master ? 1.2f : named ? ChildLineWidth : ManyChildLineWidth;
            var line = PlotKit.Line(plt, xs, ys, color, width, legend, master ? LinePattern.Dashed : null);
            if (xs.Length == 1) { line.MarkerSize = 4; line.MarkerShape = MarkerShape.FilledCircle; }
            if (labels)
            {
                var t = plt.Add.Text(master ? $"master {life.Pid}" : life.Pid.ToString(Fmt.Inv), xs[^1], ys[^1]);
                // the master lives to the end of the run: its label goes above the end of its line,
                // inside the plot, where a label after the line would be cut off at the edge
                t.Alignment = master ? Alignment.LowerRight : Alignment.MiddleLeft;
                t.OffsetX = master ? 0 : 5;
                t.LabelFontSize = 11;
                t.LabelBold = true;
                t.LabelFontColor = color;
            }
            if (!master) AddExit(life, exitGroups, x, unit, values);
        }
        if (batches is not null)
        {
            for (int c = 0; c < batches.Length; c++)
                if (batches[c].X.Count > 0) PlotKit.Line(plt, batches[c].X.ToArray(), batches[c].Y.ToArray(), PlotKit.Palette[c], ManyChildLineWidth);
            // A child measured once (it lived less than a tick and served one request) is a dot.
            if (dots.X.Count > 0) plt.Add.Markers(dots.X.ToArray(), dots.Y.ToArray(), MarkerShape.FilledCircle, 3, PlotKit.Palette[0].WithOpacity(0.6));
        }
        foreach (var (kind, g) in exitGroups.OrderBy(k => k.Key))
        {
            var (shape, size, color, text) = Style(kind);
            // Thousands of exits: small and see-through, so they do not bury the lines.
            if (!named) { size = Math.Max(4, size * 0.6f); color = color.WithOpacity(0.5); }
            // exits of children never measured: counted in the legend, nowhere to draw (a point off the axes carries the legend entry)
            var mk = g.X.Count > 0
                ? plt.Add.Markers(g.X.ToArray(), g.Y.ToArray(), shape, size, color)
                : plt.Add.Markers(new[] { -1e300 }, new[] { -1e300 }, shape, size, color);
            mk.LegendText = $"{text} ({g.Count})";
            mk.MarkerLineWidth = 1.5f;
        }

        double yTop = PlotKit.Span(unit.Of(Math.Max(dataMax, limit.Drawn ? limit.Kb : 0))) * 1.1;
        DrawLimit(plt, limit, unit, "memory_limit", "(per request, not per process)", dataMax, what: what);
        PlotKit.EventLines(plt, m.Marks.Select(mark => (x.OfTime(mark.T), mark.Label)), yTop);
        if (m.Lives.All(l => l.Readings == 0)) PlotKit.Note(plt, "no RSS was recorded", Alignment.MiddleCenter);

        plt.XLabel(x.Title);
        plt.YLabel($"{what} ({unit.Name})");
        plt.Axes.SetLimitsX(0, xMax + labelRoom);
        plt.Axes.SetLimitsY(0, yTop);
        if (named && !labels && children > 0) plt.ShowLegend(Edge.Right);
        else if (exitGroups.Count > 0 || masterInLegend) PlotKit.LegendBelow(plt);
        else plt.HideLegend();
        return PlotKit.Render(plt, ReportFiles.RssPerPid, PlotKit.Width, 600);
    }

    /// <summary>A child's exit, marked at its last reading of what is drawn (an unmeasured child's counts in the legend only).</summary>
    private static void AddExit(ProcessLife life, Dictionary<ExitKind, ExitGroup> groups, XMap x, SizeUnit unit, long[] values)
    {
        if (life.ExitDetail is not { } detail || life.Readings == 0) return;
        int last = Array.FindLastIndex(values, v => v >= 0);
        if (last < 0) return;
        var g = groups[KindOf(detail)];
        g.X.Add(x.Of(life, last)); g.Y.Add(unit.Of(values[last]));
    }

    /// <summary>The exits of one kind: every one counted, those of measured children drawn.</summary>
    private sealed class ExitGroup
    {
        public readonly List<double> X = new(), Y = new();
        public int Count;
    }

    internal enum ExitKind { Recycled, Killed, Idle, Ended, Gone }

    /// <summary>How a child ended, from its exit detail "&lt;how&gt;;&lt;why&gt;".</summary>
    internal static ExitKind KindOf(string detail)
    {
        string why = Lab.Results.SummaryBuilder.ExitWhy(detail);
        if (Lab.Results.SummaryBuilder.IsRecycle(why)) return ExitKind.Recycled;
        if (why == "idle") return ExitKind.Idle;
        if (why is "shutdown" or "restart" or "reload") return ExitKind.Ended;
        // A PID that vanished from a ps log ("gone"; "recycled" in imports made before the lab stopped guessing): nothing says why.
        if (why is "gone" or "recycled" or "unknown") return ExitKind.Gone;
        // kill-child, timeout, crash, or a signal for a reason not recorded.
        return ExitKind.Killed;
    }

    private static (MarkerShape, float, Color, string) Style(ExitKind k) => k switch
    {
        ExitKind.Recycled => (MarkerShape.FilledCircle, 7, PlotKit.Ink, "exit: pm.max_requests reached"),
        ExitKind.Killed => (MarkerShape.Eks, 10, PlotKit.LimitRed, "exit: killed, crashed or timed out"),
        ExitKind.Idle => (MarkerShape.OpenCircle, 7, PlotKit.MarkGrey, "exit: idle, ended by the process manager"),
        ExitKind.Gone => (MarkerShape.OpenTriangleDown, 8, PlotKit.MarkGrey, "gone, cause unknown"),
        _ => (MarkerShape.OpenSquare, 6, PlotKit.MarkGrey, "exit: restart, reload or end of run"),
    };

    // ---- pool-rss -------------------------------------------------------------------------

    public static RenderedPlot PoolRss(RunModel m, XAxis xAxis)
    {
        var k = m.Ticks;
        string over = xAxis == XAxis.Time ? "over time" : "over requests served";
        var plt = PlotKit.New(m.PlotTitle, k.HasPss
            ? $"The pool's memory: summed PSS (what the host pays) against summed RSS (what ps adds up to), {over}"
            : $"The pool's total RSS (master + children: what ps adds up to) and its largest child, {over}");
        double dataMax = k.Count == 0 ? 0 : k.PoolRssKb.Max();
        var limit = Reference(m.MemoryLimitBytes, dataMax);
        var budget = Reference(m.GuardMaxRssBytes, dataMax);
        double top = Math.Max(dataMax, Math.Max(limit.Drawn ? limit.Kb : 0, budget.Drawn ? budget.Kb : 0));
        var unit = SizeUnit.For(top);
        var x = new XMap(m, xAxis);
        double xMax = PlotKit.Span(x.Max);

        var pool = new Decimator(0, xMax, Columns);
        var largest = new Decimator(0, xMax, Columns);
        for (int i = 0; i < k.Count; i++)
        {
            double xi = x.OfTick(i);
            pool.Add(xi, unit.Of(k.PoolRssKb[i]));
            largest.Add(xi, unit.Of(k.LargestChildKb[i]));
        }
        var (px, py) = pool.Finish();
        var (lx, ly) = largest.Finish();
        if (px.Length > 0) PlotKit.Line(plt, px, py, PlotKit.Palette[0], 2, k.HasPss ? "summed RSS: what ps adds up to" : "pool total RSS (master + children)");
        if (k.HasPss)
        {
            // PSS and USS are read every pss_interval: drawn at the ticks that read them
            var pss = new Decimator(0, xMax, Columns);
            var uss = new Decimator(0, xMax, Columns);
            for (int i = 0; i < k.Count; i++)
            {
                if (k.PoolPssKb[i] < 0) continue;
                pss.Add(x.OfTick(i), unit.Of(k.PoolPssKb[i]));
                uss.Add(x.OfTick(i), unit.Of(k.PoolUssKb[i]));
            }
            var (sx, sy) = pss.Finish();
            var (ux, uy) = uss.Finish();
            if (sx.Length > 0) PlotKit.Line(plt, sx, sy, PlotKit.Palette[3], 2.5f, "summed PSS: what the host pays");
            if (ux.Length > 0) PlotKit.Line(plt, ux, uy, PlotKit.Palette[4], 1.5f, "summed USS: private memory only", LinePattern.Dashed);
        }
        if (lx.Length > 0) PlotKit.Line(plt, lx, ly, PlotKit.Palette[1], 2, "largest child (RSS)");

        // The number of children, on the right axis, when it changes (dynamic and ondemand pools, restarts).
        if (k.Count > 1 && k.Children.Min() != k.Children.Max())
        {
            var c = new Decimator(0, xMax, Columns);
            for (int i = 0; i < k.Count; i++) c.Add(x.OfTick(i), k.Children[i]);
            var (cx, cy) = c.Finish();
            var line = PlotKit.Line(plt, cx, cy, PlotKit.Palette[2].WithOpacity(0.7), 1.2f, "children (right axis)");
            line.ConnectStyle = ConnectStyle.StepHorizontal;
            line.Axes.YAxis = plt.Axes.Right;
            plt.Axes.Right.Label.Text = "children";
            plt.Axes.SetLimitsY(0, k.Children.Max() * 1.25 + 0.5, plt.Axes.Right);
        }

        double yTop = PlotKit.Span(unit.Of(top)) * 1.1;
        DrawLimit(plt, limit, unit, "memory_limit", "(per request, not per process)", dataMax);
        DrawLimit(plt, budget, unit, "memory guard max_rss", "(the run's total RSS)", dataMax);
        PlotKit.EventLines(plt, m.Marks.Select(mark => (x.OfTime(mark.T), mark.Label)), yTop);
        if (k.Count == 0) PlotKit.Note(plt, "no sample or request's RSS was recorded", Alignment.MiddleCenter);

        plt.XLabel(x.Title);
        plt.YLabel(k.HasPss ? $"memory ({unit.Name})" : $"RSS ({unit.Name})");
        plt.Axes.SetLimitsX(0, xMax);
        plt.Axes.SetLimitsY(0, yTop);
        PlotKit.LegendBelow(plt);
        return PlotKit.Render(plt, ReportFiles.PoolRss);
    }

    // ---- latency --------------------------------------------------------------------------

    public static RenderedPlot Latency(RunModel m)
    {
        var l = m.Latency;
        var time = TimeUnit.For(m.EndT);
        var plt = PlotKit.New(m.PlotTitle,
            $"Latency p50 and p99 of the OK requests (from the intended send time), and requests per second, per {Fmt.Seconds(l.BucketS)} of run time");
        double maxLat = l.P99Ms.Length == 0 ? 0 : l.P99Ms.Max();
        var lu = LatencyUnit.For(maxLat);
        double[] T(double[] ts) => ts.Select(time.Of).ToArray();
        bool few = l.RateT.Length <= 40;

        if (l.LatencyT.Length > 0)
        {
            var lt = T(l.LatencyT);
            var p99 = PlotKit.Line(plt, lt, l.P99Ms.Select(lu.Of).ToArray(), PlotKit.Palette[3], 2, "p99 latency (OK)");
            var p50 = PlotKit.Line(plt, lt, l.P50Ms.Select(lu.Of).ToArray(), PlotKit.Palette[0], 2, "p50 latency (OK)");
            if (few) foreach (var s in new[] { p99, p50 }) { s.MarkerSize = 5; s.MarkerShape = MarkerShape.FilledCircle; }
        }
        double maxRate = 0;
        if (!l.IsEmpty)
        {
            var rt = T(l.RateT);
            var series = new List<(double[] Y, Color C, string Legend, LinePattern P)> { (l.OkPerS, PlotKit.Palette[2], "answered OK per second (right axis)", LinePattern.Solid) };
            if (l.Failed > 0) series.Add((l.FailedPerS, PlotKit.LimitRed, "failed (right axis)", LinePattern.Dashed));
            if (l.Dropped > 0) series.Add((l.DroppedPerS, PlotKit.Palette[4], "dropped (right axis)", LinePattern.Dotted));
            foreach (var (y, c, legend, p) in series)
            {
                var s = PlotKit.Line(plt, rt, y, c, 1.5f, legend, p);
                s.ConnectStyle = ConnectStyle.StepHorizontal;
                s.Axes.YAxis = plt.Axes.Right;
                maxRate = Math.Max(maxRate, y.Max());
            }
        }
        double yTop = PlotKit.Span(lu.Of(maxLat)) * 1.2;
        PlotKit.EventLines(plt, m.Marks.Select(mark => (time.Of(mark.T), mark.Label)), yTop);
        if (l.LatencyT.Length == 0) PlotKit.Note(plt, "no request was answered OK", Alignment.MiddleCenter);

        plt.XLabel($"time ({time.Name})");
        plt.YLabel($"latency ({lu.Name})");
        plt.Axes.Right.Label.Text = "requests per second";
        plt.Axes.SetLimitsX(0, PlotKit.Span(time.Of(m.EndT)));
        plt.Axes.SetLimitsY(0, yTop);
        plt.Axes.SetLimitsY(0, PlotKit.Span(maxRate) * 1.2, plt.Axes.Right);
        PlotKit.LegendBelow(plt);
        return PlotKit.Render(plt, ReportFiles.Latency);
    }

    // ---- shared ---------------------------------------------------------------------------

    /// <summary>A reference level (KiB): drawn when close enough to the data to read, else noted; none when unknown or unlimited.</summary>
    internal readonly record struct RefLevel(bool Known, bool Drawn, double Kb, string Text);

    internal static RefLevel Reference(long? bytes, double dataMaxKb)
    {
        if (bytes is not { } b || b < 0) return new RefLevel(false, false, 0, "");
        double kb = b / 1024.0;
        return new RefLevel(true, dataMaxKb <= 0 || kb <= ReferenceStretch * dataMaxKb, kb, FpmConfig.MemoryLimitText(b));
    }

    /// <summary>A reference level as a labelled line (in red unless a colour is given), or a note when it is off the top.</summary>
    /// <param name="what">What the plot draws ("RSS", "USS").</param>
    internal static void DrawLimit(Plot plt, RefLevel r, SizeUnit unit, string name, string note, double dataMaxKb, Color? color = null, string what = "RSS")
    {
        if (!r.Known) return;
        if (r.Drawn) PlotKit.ReferenceLine(plt, unit.Of(r.Kb), 0, $"{name} {r.Text} {note}", color ?? PlotKit.LimitRed);
        else PlotKit.Note(plt, $"{name} {r.Text} {note} is off the top: {Fmt.Num(r.Kb / Math.Max(dataMaxKb, 1), "0.#")}× the highest {what} here");
    }

    /// <summary>The x of the memory plots: run time, or requests served by the pool at the sample's tick.</summary>
    internal sealed class XMap
    {
        private readonly RunModel _m;
        private readonly XAxis _axis;
        private readonly TimeUnit _time;

        public XMap(RunModel m, XAxis axis)
        {
            _m = m; _axis = axis;
            _time = TimeUnit.For(m.EndT);
            Max = axis == XAxis.Time ? _time.Of(m.EndT) : m.ServedTotal;
        }

        public double Max { get; }
        public string Title => _axis == XAxis.Time ? $"time ({_time.Name})" : "requests served by the pool";
        /// <summary>The x of a life's reading i.</summary>
        public double Of(ProcessLife life, int i) => _axis == XAxis.Time ? _time.Of(life.T[i]) : life.PoolServed[i];
        /// <summary>The x of a pool tick (an index into <see cref="RunModel.Ticks"/>).</summary>
        public double OfTick(int tick) => _axis == XAxis.Time ? _time.Of(_m.Ticks.T[tick]) : _m.Ticks.Served[tick];
        public double OfTime(double t) => _axis == XAxis.Time ? _time.Of(t) : _m.ServedAt(t);
    }
}
