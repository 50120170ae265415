using Lab.Report;
using Lab.Report.Plotting;
using ScottPlot;

namespace Lab.Analysis.Advice;

/// <summary>
/// The trade-off of pm.max_requests, as advise draws it (tradeoff.png / .svg): the predicted
/// peak pool RSS against max_requests for each advised max_children (solid: the leak at the
/// upper end of its 95% interval; dashed: the fitted leak itself; the band between them is the
/// fit's uncertainty), the budget ram × (1 − margin) and the ram, the respawns per 1,000
/// requests on the right axis (1000 / max_requests), the advised values, and the simulator's
/// verification as dots.
/// </summary>
public static class AdvicePlot
{
    public const string Name = "tradeoff";

    public static RenderedPlot Of(Advice a, string runTitle, IReadOnlyList<VerificationResult> verified)
    {
        var f = a.Fit;
        var choices = new[] { a.Primary, a.ForRam }.Where(c => c is not null).Select(c => c!).ToList();
        var limited = choices.Where(c => c.MaxRequests > 0).Select(c => (double)c.MaxRequests).ToList();
        double xMax = limited.Count > 0 ? Math.Max(10, 2 * limited.Max()) : Math.Max(100, 2 * a.RunMaxRequests);
        if (a.RunMaxRequests > 0 && a.RunMaxRequests > xMax) xMax = a.RunMaxRequests * 1.1;
        var xs = Enumerable.Range(0, 241).Select(i => Math.Max(1, Math.Round(xMax * i / 240.0))).Distinct().ToArray();

        var ns = choices.Select(c => c.MaxChildren).Distinct().ToList();
        if (ns.Count == 0) ns.Add(a.MaxChildren);
        double ram = a.Request.RamKb, limit = a.Request.LimitKb;
        double top = Math.Max(ram * 1.12, verified.Where(v => v.Ran).Select(v => v.PeakPoolKb * 1.1).DefaultIfEmpty(0).Max());
        var unit = SizeUnit.For(top);

        string per = f.Unit == "request" ? "requests" : "snapshots of the log";
        string mem = f.InPss ? "PSS (what the host pays)" : "RSS";
        var plt = PlotKit.New($"Advice for {runTitle}",
            $"Peak pool {mem} predicted against pm.max_requests (left axis), respawns per 1,000 {per} (right axis)");

        for (int i = 0; i < ns.Count; i++)
        {
            int n = ns[i];
            var color = PlotKit.Palette[i % PlotKit.Palette.Length];
            double[] upper = xs.Select(m => unit.Of(f.FixedKb + n * f.ChildKb(m, f.LeakUpperKb))).ToArray();
            double[] fitted = xs.Select(m => unit.Of(f.FixedKb + n * f.ChildKb(m, Math.Max(0, f.Leak.Value)))).ToArray();
            var band = plt.Add.FillY(xs, fitted, upper);
            band.FillColor = color.WithOpacity(0.15);
            band.LineWidth = 0;
            PlotKit.Line(plt, xs, upper, color, 2.5f, $"peak pool {mem}, max_children = {n} (leak at its 95% upper bound)");
            PlotKit.Line(plt, xs, fitted, color, 1.5f, $"max_children = {n}, fitted leak", LinePattern.Dashed);
        }

        PlotKit.ReferenceLine(plt, unit.Of(limit), 0, $"budget: ram {Fmt.Size(ram)} − {Fmt.Percent(a.Request.Margin)} margin = {Fmt.Size(limit)}", PlotKit.LimitRed);
        if (a.Request.Margin > 0.02) PlotKit.ReferenceLine(plt, unit.Of(ram), 0, $"ram {Fmt.Size(ram)}", PlotKit.MarkGrey);

        // Respawns per 1,000 requests: 1000 / max_requests, on the right axis.
        double rightTop = 1000.0 / Math.Max(1, xMax / 25);
        var respawn = PlotKit.Line(plt, xs, xs.Select(m => 1000.0 / m).ToArray(), PlotKit.Palette[7], 2f, $"respawns per 1,000 {per} (right axis)", LinePattern.Dotted);
        respawn.Axes.YAxis = plt.Axes.Right;

        double yTop = unit.Of(top);
        foreach (var c in choices.Where(c => c.MaxRequests > 0))
            PlotKit.MarkerLine(plt, c.MaxRequests, $"advised: max_requests = {c.MaxRequests.ToString(Fmt.Inv)} ({c.MaxChildren} {(c.MaxChildren == 1 ? "child" : "children")})", yTop, PlotKit.Ink);
        if (a.RunMaxRequests > 0 && choices.All(c => c.MaxRequests != a.RunMaxRequests))
            PlotKit.MarkerLine(plt, a.RunMaxRequests, $"this run: {a.RunMaxRequests}", yTop * 0.55, PlotKit.MarkGrey);
        var ran = verified.Where(v => v.Ran).ToList();
        if (ran.Count > 0)
        {
            var dots = plt.Add.Markers(ran.Select(v => (double)Math.Max(1, v.Choice.MaxRequests)).ToArray(), ran.Select(v => unit.Of(v.PeakPoolKb)).ToArray(),
                MarkerShape.FilledDiamond, 12, PlotKit.Palette[3]);
            dots.LegendText = $"the simulator's peak pool {mem} with the advice";
        }
        if (choices.Count == 0) PlotKit.Note(plt, "no max_requests fits: see the advice", Alignment.MiddleCenter);

        plt.XLabel(f.Unit == "request" ? "pm.max_requests" : "max_requests in snapshots of the log (--per-block: not requests)");
        plt.YLabel($"peak pool {mem} ({unit.Name})");
        plt.Axes.Right.Label.Text = $"respawns per 1,000 {per}";
        plt.Axes.SetLimitsX(0, xMax);
        plt.Axes.SetLimitsY(0, yTop);
        plt.Axes.SetLimitsY(0, rightTop, plt.Axes.Right);
        PlotKit.LegendBelow(plt);
        return PlotKit.Render(plt, Name);
    }
}
