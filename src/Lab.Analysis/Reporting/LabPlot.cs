using ScottPlot;
using ScottPlot.TickGenerators;

namespace Lab.Analysis.Reporting;

/// <summary>A rendered plot: PNG bytes (viewing, the HTML's data: URI) and SVG text (print).</summary>
public sealed record PlotImage(string Name, byte[] Png, string Svg, int Width, int Height)
{
    /// <summary>Writes name.png and name.svg into dir.</summary>
    public void WriteTo(string dir)
    {
        File.WriteAllBytes(Path.Combine(dir, Name + ".png"), Png);
        File.WriteAllText(Path.Combine(dir, Name + ".svg"), Svg);
    }
}

/// <summary>
/// The look of the lab's plots (Lab.Report's PlotKit, which is internal to that project): a
/// sans font, readable sizes, a light grid, numbers with thousands separators, the Tableau 10
/// palette, the legend in one row under the data. The sweep's and advise's plots go through here
/// so they read like the run and compare reports next to them.
/// </summary>
public static class LabPlot
{
    public const int Width = 1200;
    public const int Height = 560;

    public static readonly string[] PaletteHex =
        ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

    public static readonly Color[] Palette = PaletteHex.Select(Color.FromHex).ToArray();

    public static readonly Color Ink = Color.FromHex("#222222");
    public static readonly Color LimitRed = Color.FromHex("#c0392b");
    public static readonly Color MarkGrey = Color.FromHex("#555555");

    private static readonly object FontGate = new();
    private static bool _fontChosen;

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

    /// <summary>A plot with the lab's style; its title on two lines: what ran, and what this plot shows.</summary>
    public static Plot New(string title, string subtitle)
    {
        ChooseFont();
        var plt = new Plot();
        plt.Font.Set(Fonts.Default);
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

    /// <summary>Tick labels: "1,500", "2.5", "0.125".</summary>
    public static string Number(double v)
    {
        if (Math.Abs(v) < 1e-9) v = 0;
        return v.ToString(Math.Abs(v) >= 100 ? "#,0" : "#,0.###", Fmt.Inv);
    }

    /// <summary>An axis's upper limit: the data's, or 1 when there is none (a zero span cannot be drawn).</summary>
    public static double Span(double top) => top > 0 && double.IsFinite(top) ? top : 1;

    public static PlotImage Render(Plot plt, string name, int width = Width, int height = Height) =>
        new(name, plt.GetImageBytes(width, height, ImageFormat.Png), plt.GetSvgXml(width, height), width, height);

    /// <summary>The legend in one row under the data area (hidden when nothing has a label).</summary>
    public static void LegendBelow(Plot plt)
    {
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

    /// <summary>A line through (xs, ys), with dots on its points when there are few.</summary>
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

    /// <summary>A horizontal reference line (a budget, the RAM) labelled just above it at the left of the data area.</summary>
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

    /// <summary>A vertical marker (the recommended value) labelled inside the top of the data area.</summary>
    public static void MarkerLine(Plot plt, double x, string label, double yTop, Color color)
    {
        var v = plt.Add.VerticalLine(x, 1.5f, color, LinePattern.Dashed);
        v.ExcludeFromLegend = true;
        var t = plt.Add.Text(label, x, yTop);
        t.Alignment = Alignment.UpperLeft;
        t.OffsetX = 4;
        t.OffsetY = 4;
        t.LabelFontSize = 12;
        t.LabelBold = true;
        t.LabelFontColor = color;
        t.LabelBackgroundColor = Colors.White.WithOpacity(0.8);
    }

    /// <summary>A note in a corner of the data area.</summary>
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

/// <summary>The unit of a memory axis: KiB under 2 MiB, GiB from 10 GiB, else MiB (as Lab.Report).</summary>
public sealed record SizeUnit(string Name, double KbPerUnit)
{
    public static readonly SizeUnit KiB = new("KiB", 1);
    public static readonly SizeUnit MiB = new("MiB", 1024);
    public static readonly SizeUnit GiB = new("GiB", 1024 * 1024);

    public static SizeUnit For(double maxKb) => maxKb >= 10.0 * 1024 * 1024 ? GiB : maxKb >= 2048 ? MiB : KiB;

    public double Of(double kb) => kb / KbPerUnit;
}
