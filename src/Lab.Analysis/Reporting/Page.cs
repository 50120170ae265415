using System.Net;
using System.Text;

namespace Lab.Analysis.Reporting;

/// <summary>
/// A report page (the sweep's, advise's) built once and written twice: report.html, one
/// self-contained file (plots inlined as PNG data: URIs, styles inline, no script, nothing
/// fetched) in the look of Lab.Report's pages, and report.md, the plots linked beside it.
/// </summary>
public sealed class Page
{
    private abstract record Block;
    private sealed record HeadingB(int Level, string Text) : Block;
    private sealed record ParaB(string Text, bool Lead, bool Muted) : Block;
    private sealed record BulletsB(IReadOnlyList<string> Items) : Block;
    private sealed record TableB(IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<string>> Rows, IReadOnlySet<int> Numeric, IReadOnlySet<int> Flagged) : Block;
    private sealed record FigureB(PlotImage Plot, string Alt, string Caption, string RelDir) : Block;
    private sealed record PreB(string Text) : Block;
    private sealed record LinkB(string Text, string Href, string After) : Block;

    private readonly List<Block> _blocks = new();

    public Page(string title, string subtitle)
    {
        Title = title;
        Subtitle = subtitle;
    }

    public string Title { get; }
    public string Subtitle { get; }

    public Page Heading(string text, int level = 2) { _blocks.Add(new HeadingB(level, text)); return this; }
    public Page Para(string text, bool lead = false, bool muted = false) { _blocks.Add(new ParaB(text, lead, muted)); return this; }
    public Page Bullets(IEnumerable<string> items) { _blocks.Add(new BulletsB(items.ToList())); return this; }
    public Page Pre(string text) { _blocks.Add(new PreB(text)); return this; }

    /// <summary>A table; numeric columns right-aligned; flagged rows highlighted (a failed sweep cell, a budget passed).</summary>
    public Page Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows, IEnumerable<int>? numericColumns = null, IEnumerable<int>? flaggedRows = null)
    {
        _blocks.Add(new TableB(header, rows.ToList(), (numericColumns ?? []).ToHashSet(), (flaggedRows ?? []).ToHashSet()));
        return this;
    }

    /// <summary>A plot: inlined in HTML; in Markdown a link to relDir/name.png (relative to the page's folder).</summary>
    public Page Figure(PlotImage plot, string alt, string caption, string relDir = "")
    {
        _blocks.Add(new FigureB(plot, alt, caption, relDir));
        return this;
    }

    /// <summary>A paragraph holding one link (to another report of the folder).</summary>
    public Page Link(string text, string href, string after = "")
    {
        _blocks.Add(new LinkB(text, href, after));
        return this;
    }

    /// <summary>Writes report.html and report.md into dir; returns report.html's path.</summary>
    public string WriteTo(string dir)
    {
        var utf8 = new UTF8Encoding(false);
        File.WriteAllText(Path.Combine(dir, "report.html"), Html(), utf8);
        File.WriteAllText(Path.Combine(dir, "report.md"), Markdown(), utf8);
        return Path.Combine(dir, "report.html");
    }

    private const string Css = """
        :root { color-scheme: light; }
        body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", Roboto, sans-serif; color: #222; background: #fff; margin: 0; }
        main { max-width: 1240px; margin: 0 auto; padding: 24px 28px 64px; }
        h1 { font-size: 1.75rem; line-height: 1.25; margin: 0 0 4px; }
        h2 { font-size: 1.3rem; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 1px solid #ddd; }
        h3 { font-size: 1.05rem; margin: 22px 0 8px; }
        .subtitle { color: #555; margin: 0 0 18px; }
        .lead { font-size: 1.1rem; background: #f4f8fb; border-left: 4px solid #1f77b4; padding: 12px 16px; margin: 12px 0; }
        .muted { color: #666; font-size: 0.92rem; }
        a { color: #1a5fa0; }
        figure { margin: 18px 0 28px; }
        figure img { display: block; max-width: 100%; height: auto; border: 1px solid #e3e3e3; }
        figcaption { color: #444; font-size: 0.93rem; margin-top: 6px; }
        table { border-collapse: collapse; margin: 8px 0 16px; font-size: 0.93rem; }
        th, td { border: 1px solid #ddd; padding: 4px 10px; text-align: left; vertical-align: top; }
        th { background: #f2f2f2; }
        tbody tr:nth-child(even) td { background: #fafafa; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; }
        tr.flag td { background: #fdecea !important; }
        code, pre { font-family: "DejaVu Sans Mono", ui-monospace, Menlo, Consolas, monospace; font-size: 0.88rem; }
        pre { background: #f7f7f7; border: 1px solid #e5e5e5; padding: 10px 12px; overflow-x: auto; white-space: pre; }
        ul { padding-left: 1.3em; }
        """;

    public string Html()
    {
        var b = new StringBuilder(1 << 16);
        b.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        b.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<link rel=\"icon\" href=\"data:,\">\n");
        b.Append("<title>").Append(E(Title)).Append("</title>\n<style>\n").Append(Css).Append("\n</style>\n</head>\n<body>\n<main>\n");
        b.Append("<h1>").Append(E(Title)).Append("</h1>\n<p class=\"subtitle\">").Append(E(Subtitle)).Append("</p>\n");
        foreach (var block in _blocks)
        {
            switch (block)
            {
                case HeadingB h:
                    b.Append("<h").Append(h.Level).Append('>').Append(E(h.Text)).Append("</h").Append(h.Level).Append(">\n");
                    break;
                case ParaB p:
                    b.Append(p.Lead ? "<p class=\"lead\">" : p.Muted ? "<p class=\"muted\">" : "<p>").Append(E(p.Text)).Append("</p>\n");
                    break;
                case BulletsB l:
                    b.Append("<ul>\n");
                    foreach (var item in l.Items) b.Append("<li>").Append(E(item)).Append("</li>\n");
                    b.Append("</ul>\n");
                    break;
                case TableB t:
                    b.Append("<table>\n<thead><tr>");
                    foreach (var h in t.Header) b.Append("<th>").Append(E(h)).Append("</th>");
                    b.Append("</tr></thead>\n<tbody>\n");
                    for (int r = 0; r < t.Rows.Count; r++)
                    {
                        b.Append(t.Flagged.Contains(r) ? "<tr class=\"flag\">" : "<tr>");
                        for (int c = 0; c < t.Rows[r].Count; c++)
                            b.Append(t.Numeric.Contains(c) ? "<td class=\"num\">" : "<td>").Append(E(t.Rows[r][c])).Append("</td>");
                        b.Append("</tr>\n");
                    }
                    b.Append("</tbody>\n</table>\n");
                    break;
                case FigureB f:
                    string rel = RelPath(f.RelDir, f.Plot.Name);
                    b.Append("<figure>\n<img src=\"data:image/png;base64,").Append(Convert.ToBase64String(f.Plot.Png))
                        .Append("\" width=\"").Append(f.Plot.Width).Append("\" height=\"").Append(f.Plot.Height)
                        .Append("\" alt=\"").Append(E(f.Alt)).Append("\">\n<figcaption>").Append(E(f.Caption))
                        .Append(" <a href=\"").Append(E(rel)).Append(".png\">PNG</a> · <a href=\"").Append(E(rel))
                        .Append(".svg\">SVG, for print</a></figcaption>\n</figure>\n");
                    break;
                case PreB pre:
                    b.Append("<pre>").Append(E(pre.Text)).Append("</pre>\n");
                    break;
                case LinkB link:
                    b.Append("<p><a href=\"").Append(E(link.Href)).Append("\">").Append(E(link.Text)).Append("</a>")
                        .Append(link.After.Length > 0 ? " " + E(link.After) : "").Append("</p>\n");
                    break;
            }
        }
        b.Append("</main>\n</body>\n</html>\n");
        return b.ToString();
    }

    public string Markdown()
    {
        var b = new StringBuilder(1 << 14);
        b.Append("# ").Append(Inline(Title)).Append("\n\n*").Append(Inline(Subtitle)).Append("*\n\n");
        foreach (var block in _blocks)
        {
            switch (block)
            {
                case HeadingB h:
                    b.Append(new string('#', Math.Min(6, h.Level))).Append(' ').Append(Inline(h.Text)).Append("\n\n");
                    break;
                case ParaB p:
                    b.Append(p.Lead ? "> " : p.Muted ? "_" : "").Append(Inline(p.Text)).Append(p.Muted ? "_" : "").Append("\n\n");
                    break;
                case BulletsB l:
                    foreach (var item in l.Items) b.Append("- ").Append(Inline(item)).Append('\n');
                    b.Append('\n');
                    break;
                case TableB t:
                    b.Append('|');
                    foreach (var h in t.Header) b.Append(' ').Append(Cell(h)).Append(" |");
                    b.Append("\n|");
                    for (int c = 0; c < t.Header.Count; c++) b.Append(t.Numeric.Contains(c) ? " ---: |" : " --- |");
                    b.Append('\n');
                    for (int r = 0; r < t.Rows.Count; r++)
                    {
                        b.Append('|');
                        foreach (var c in t.Rows[r])
                        {
                            string text = Cell(c);
                            b.Append(' ').Append(t.Flagged.Contains(r) && text.Trim().Length > 0 ? "**" + text + "**" : text).Append(" |");
                        }
                        b.Append('\n');
                    }
                    b.Append('\n');
                    break;
                case FigureB f:
                    string rel = RelPath(f.RelDir, f.Plot.Name);
                    b.Append("![").Append(Inline(f.Alt)).Append("](").Append(rel).Append(".png)\n\n");
                    b.Append(Inline(f.Caption)).Append(" [PNG](").Append(rel).Append(".png) · [SVG, for print](").Append(rel).Append(".svg)\n\n");
                    break;
                case PreB pre:
                    b.Append("```text\n").Append(pre.Text.TrimEnd('\n')).Append("\n```\n\n");
                    break;
                case LinkB link:
                    b.Append('[').Append(Inline(link.Text)).Append("](").Append(link.Href).Append(')')
                        .Append(link.After.Length > 0 ? " " + Inline(link.After) : "").Append("\n\n");
                    break;
            }
        }
        return b.ToString().TrimEnd() + "\n";
    }

    private static string RelPath(string dir, string name) => dir.Length == 0 ? name : dir.TrimEnd('/') + "/" + name;

    private static string E(string s) => WebUtility.HtmlEncode(s);

    private static string Cell(string s)
    {
        string t = Inline(s).Replace("|", "\\|");
        return t.Length == 0 ? " " : t;
    }

    /// <summary>Text on one line, with the Markdown characters that would change its meaning escaped.</summary>
    private static string Inline(string s)
    {
        var b = new StringBuilder(s.Length + 8);
        foreach (char ch in s)
        {
            if (ch is '\n' or '\r') { b.Append(' '); continue; }
            if (ch is '*' or '_' or '[' or ']' or '<' or '>' or '#' or '`' or '\\') b.Append('\\');
            b.Append(ch);
        }
        return b.ToString();
    }
}
