using ScottPlot;
using ScottPlot.TickGenerators;

namespace Lab.Report.Plotting;

/// <summary>A rendered plot: PNG bytes (for viewing and the HTML's data: URI) and SVG text (for print).</summary>
public sealed record RenderedPlot(string Name, byte[] Png, string Svg, int Width, int Height)
{
    /// <summary>Writes name.png and name.svg into dir.</summary>
    public void WriteTo(string dir)
    {
        File.WriteAllBytes(Path.Combine(dir, Name + ".png"), Png);
        File.WriteAllText(Path.Combine(dir, Name + ".svg"), Svg);
    }
}

/// <summary>
/// The lab's plot style on ScottPlot: a sans font, readable sizes, light grid, numbers with
/// thousands separators, one palette, the legend in one row under the data. Every plot of the
/// lab's reports is made through here (the run and compare reports, and Lab.Analysis's sweep
/// and advise plots), so they read alike side by side.
/// </summary>
public static class PlotKit
{
    public const int Width = 1200;
    public const int Height = 560;
    /// <summary>Characters of a 15 px title line that fit the plot's width.</summary>
    public const int MaxTitleChars = 90;

    /// <summary>Distinct, print-safe colours (Tableau 10), for PIDs and for compared runs.</summary>
    public static readonly string[] PaletteHex =
        ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

    public static readonly Color[] Palette = PaletteHex.Select(Color.FromHex).ToArray();

    /// <summary>The light halves of Tableau 20, each distinct from the others and from <see cref="PaletteHex"/>.</summary>
    private static readonly string[] LightHex =
        ["#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5"];

    /// <summary>
    /// n colours that are all different (for compared runs): Tableau 10 up to 10, Tableau 20 up
    /// to 20, past that hues spread by the golden angle at two lightnesses.
    /// </summary>
    public static string[] DistinctHex(int n)
    {
        if (n <= PaletteHex.Length) return PaletteHex[..n];
        if (n <= PaletteHex.Length + LightHex.Length) return [.. PaletteHex, .. LightHex[..(n - PaletteHex.Length)]];
        return Enumerable.Range(0, n).Select(i =>
        {
            var c = Color.FromHSL((float)(i * 0.381966 % 1.0), 0.65f, i % 2 == 0 ? 0.42f : 0.62f);
            return $"#{c.R:x2}{c.G:x2}{c.B:x2}";
        }).ToArray();
    }

    /// <summary>Past this many compared runs, the legend (which wraps into rows below the plot) names each by what sets it apart.</summary>
    public const int ShortLabelsPast = 5;

    public static readonly Color Ink = Color.FromHex("#222222");
    public static readonly Color LimitRed = Color.FromHex("#c0392b");
    public static readonly Color MarkGrey = Color.FromHex("#555555");
    public static readonly Color MasterGrey = Color.FromHex("#9a9a9a");

    private static readonly object FontGate = new();
    private static bool _fontChosen;

    /// <summary>A sans font that is installed (DejaVu Sans on Debian), once per process.</summary>
    private static void ChooseFont()
    {
        lock (FontGate)
        {
            if (_fontChosen) return;
            foreach (var name in new[] { "DejaVu Sans", "Liberation Sans", "Noto Sans", "Arial", "Helvetica" })
            {
                var face = Fonts.GetTypeface(name, bold: false, italic: false);
                if (face is not null && string.Equals(face.FamilyName, name, StringComparison.OrdinalIgnoreCase))
                {
                    Fonts.Default = name;
                    break;
                }
            }
            _fontChosen = true;
        }
    }

    /// <summary>A plot with the lab's style, its title on two lines: what ran, and what this plot shows.</summary>
    public static Plot New(string title, string subtitle)
    {
        ChooseFont();
        var plt = new Plot();
        plt.Font.Set(Fonts.Default);
        // A long title breaks before its settings (" — pm static, ...") so it fits the width.
        int dash = title.IndexOf(" — ", StringComparison.Ordinal);
        if (title.Length > MaxTitleChars && dash > 0) title = title[..dash] + "\n" + title[(dash + 3)..];
        plt.Title(subtitle.Length > 0 ? title + "\n" + subtitle : title, 15);
        plt.Axes.Title.Label.LineSpacing = 20;
        plt.Axes.Title.Label.ForeColor = Ink;
        plt.Grid.MajorLineColor = Colors.Black.WithOpacity(0.09);
        plt.Grid.MinorLineColor = Colors.Black.WithOpacity(0.03);
        foreach (var axis in new IAxis[] { plt.Axes.Bottom, plt.Axes.Left, plt.Axes.Right })
        {
            axis.TickGenerator = new NumericAutomatic { LabelFormatter = Number };
            axis.TickLabelStyle.FontSize = 12;
            axis.Label.FontSize = 14;
        }
        return plt;
    }

    /// <summary>An axis's upper limit: the data's, or 1 when there is no data (an axis of zero span cannot be drawn).</summary>
    public static double Span(double top) => top > 0 && double.IsFinite(top) ? top : 1;

    /// <summary>Tick labels: "1,500", "2.5", "0.125".</summary>
    public static string Number(double v)
    {
        if (Math.Abs(v) < 1e-9) v = 0;
        return v.ToString(Math.Abs(v) >= 100 ? "#,0" : "#,0.###", Fmt.Inv);
    }

    public static RenderedPlot Render(Plot plt, string name, int width = Width, int height = Height)
    {
        byte[] png = plt.GetImageBytes(width, height, ImageFormat.Png);
        // Skia's SVG canvas cannot draw a path effect: every dashed or dotted line would print
        // "Unsupported path effect in addPaint." on stderr (and come out solid anyway). The SVG
        // gets its lines solid, said plainly; the PNG (the report's picture) keeps the patterns.
        foreach (var p in plt.GetPlottables())
            if (p is IHasLine h) h.LineStyle.Pattern = LinePattern.Solid;
        string svg = plt.GetSvgXml(width, height);
        return new RenderedPlot(name, png, svg, width, height);
    }

    /// <summary>The legend in one row under the data area: it never hides a line.</summary>
    public static void LegendBelow(Plot plt)
    {
        // An empty legend panel would make ScottPlot render a blank image.
        if (!plt.GetPlottables().SelectMany(p => p.LegendItems).Any(i => !string.IsNullOrEmpty(i.LabelText)))
        {
            plt.HideLegend();
            return;
        }
        plt.ShowLegend(Edge.Bottom);
        plt.Legend.Orientation = Orientation.Horizontal;
        plt.Legend.FontSize = 12;
        plt.Legend.OutlineColor = Colors.Transparent;
        plt.Legend.ShadowColor = Colors.Transparent;
    }

    /// <summary>A line through (xs, ys); dots: a filled circle on each point (a few points, e.g. a sweep's cells).</summary>
    public static ScottPlot.Plottables.Scatter Line(Plot plt, double[] xs, double[] ys, Color color, float width, string? legend = null,
        LinePattern? pattern = null, bool dots = false)
    {
        var s = plt.Add.ScatterLine(xs, ys, color);
        s.LineWidth = width;
        s.MarkerSize = dots ? 8 : 0;
        if (dots) s.MarkerShape = MarkerShape.FilledCircle;
        if (pattern is { } p) s.LinePattern = p;
        if (legend is not null) s.LegendText = legend;
        return s;
    }

    /// <summary>
    /// A horizontal reference line (memory_limit, a budget, the RAM) with its label written just above it
    /// at the left of the data area.
    /// </summary>
    public static void ReferenceLine(Plot plt, double y, double xLeft, string label, Color color)
    {
        var h = plt.Add.HorizontalLine(y, 1.5f, color, LinePattern.Dashed);
        h.ExcludeFromLegend = true;
        var t = plt.Add.Text(label, xLeft, y);
        t.Alignment = Alignment.LowerLeft;
        t.LabelFontColor = color;
        t.LabelFontSize = 12;
        t.LabelBold = true;
        t.OffsetX = 4;
        t.OffsetY = -2;
    }

    /// <summary>A vertical line for a run event (restart, reload), labelled inside the top of the data area (yTop: the left axis's top).</summary>
    public static void EventLine(Plot plt, double x, string label, double yTop) => MarkerLine(plt, x, label, yTop, MarkGrey);

    /// <summary>
    /// The run's marks (restarts, reloads, the guard) as dashed lines; more than
    /// Findings.RepeatedMarks of one kind (a cron job's reloads) are labelled once, on the first, with their count.
    /// </summary>
    public static void EventLines(Plot plt, IEnumerable<(double X, string Label)> marks, double yTop)
    {
        var list = marks.ToList();
        var labels = MarkLabels(list.Select(mk => mk.Label).ToList());
        for (int i = 0; i < list.Count; i++) EventLine(plt, list[i].X, labels[i], yTop);
    }

    /// <summary>
    /// What each mark is labelled: its own label, or — more than Findings.RepeatedMarks of one kind
    /// (a cron job's reloads) — the first "reload ×37" and the others nothing ("").
    /// </summary>
    public static IReadOnlyList<string> MarkLabels(IReadOnlyList<string> labels)
    {
        var counts = labels.GroupBy(l => l).ToDictionary(g => g.Key, g => g.Count());
        var labelled = new HashSet<string>();
        return labels.Select(l => counts[l] <= Model.Findings.RepeatedMarks ? l : labelled.Add(l) ? $"{l} ×{counts[l]}" : "").ToList();
    }

    /// <summary>A dashed vertical line at x (an event, an advised value) in a colour, labelled inside the top of the data area (yTop: the left axis's top).</summary>
    public static void MarkerLine(Plot plt, double x, string label, double yTop, Color color)
    {
        var v = plt.Add.VerticalLine(x, 1.5f, color, LinePattern.Dashed);
        v.ExcludeFromLegend = true;
        if (label.Length == 0) return;
        var t = plt.Add.Text(label, x, yTop);
        t.Alignment = Alignment.UpperLeft;
        t.OffsetX = 4;
        t.OffsetY = 4;
        t.LabelFontSize = 12;
        t.LabelBold = true;
        t.LabelFontColor = color;
        t.LabelBackgroundColor = Colors.White.WithOpacity(0.8);
    }

    /// <summary>A note in the corner of the data area (a reference line off the chart, no data).</summary>
    public static void Note(Plot plt, string text, Alignment where = Alignment.UpperRight)
    {
        var a = plt.Add.Annotation(text, where);
        a.LabelFontSize = 12;
        a.LabelFontColor = Ink;
        a.LabelBackgroundColor = Colors.White.WithOpacity(0.85);
        a.LabelBorderColor = Colors.Black.WithOpacity(0.25);
        a.LabelShadowColor = Colors.Transparent;
    }
}
