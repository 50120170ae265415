using System.Net;
using System.Text;

namespace Lab.Report.Output;

/// <summary>
/// report.html: one self-contained file (the plots as PNG data: URIs, the styles inline), no
/// script and nothing fetched from elsewhere, so it opens anywhere, offline, and can be mailed.
/// </summary>
internal static class HtmlRenderer
{
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
        nav { font-size: 0.92rem; margin: 8px 0 0; color: #555; }
        nav a { margin-right: 14px; }
        a { color: #1a5fa0; }
        figure { margin: 18px 0 28px; }
        figure img { display: block; max-width: 100%; height: auto; border: 1px solid #e3e3e3; }
        figcaption { color: #444; font-size: 0.93rem; margin-top: 6px; }
        table { border-collapse: collapse; margin: 8px 0 16px; font-size: 0.93rem; }
        th, td { border: 1px solid #ddd; padding: 4px 10px; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
        th { background: #f2f2f2; }
        tbody tr:nth-child(even) td { background: #fafafa; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; }
        td.hl, th.hl { background: #fff3bf !important; font-weight: 600; }
        tr.flag td { background: #fdecea !important; }
        code, pre, td.mono { font-family: "DejaVu Sans Mono", ui-monospace, Menlo, Consolas, monospace; font-size: 0.88rem; }
        pre { background: #f7f7f7; border: 1px solid #e5e5e5; padding: 10px 12px; overflow-x: auto; white-space: pre; }
        .swatch { display: inline-block; width: 0.9em; height: 0.9em; border-radius: 2px; margin-right: 6px; vertical-align: -0.1em; }
        details { margin: 10px 0; }
        summary { cursor: pointer; color: #1a5fa0; }
        ul { padding-left: 1.3em; }
        """;

    public static string Render(Document doc, IReadOnlyList<(string Id, string Text)> nav)
    {
        var b = new StringBuilder(1 << 16);
        b.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        b.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        // An empty icon: the browser asks for nothing (no favicon request, no console error).
        b.Append("<link rel=\"icon\" href=\"data:,\">\n");
        b.Append("<title>").Append(E(doc.Title)).Append("</title>\n<style>\n").Append(Css).Append("\n</style>\n</head>\n<body>\n<main>\n");
        b.Append("<h1>").Append(E(doc.Title)).Append("</h1>\n");
        b.Append("<p class=\"subtitle\">").Append(E(doc.Subtitle)).Append("</p>\n");
        if (nav.Count > 0)
        {
            b.Append("<nav>");
            foreach (var (id, text) in nav) b.Append("<a href=\"#").Append(E(id)).Append("\">").Append(E(text)).Append("</a>");
            b.Append("</nav>\n");
        }
        foreach (var block in doc.Blocks) Block(b, block);
        b.Append("</main>\n</body>\n</html>\n");
        return b.ToString();
    }

    private static void Block(StringBuilder b, Block block)
    {
        switch (block)
        {
            case Heading h:
                b.Append("<h").Append(h.Level);
                if (h.Id is not null) b.Append(" id=\"").Append(E(h.Id)).Append('"');
                b.Append('>').Append(E(h.Text)).Append("</h").Append(h.Level).Append(">\n");
                break;
            case Para p:
                b.Append(p.Lead ? "<p class=\"lead\">" : p.Muted ? "<p class=\"muted\">" : "<p>").Append(E(p.Text)).Append("</p>\n");
                break;
            case Bullets l:
                b.Append("<ul>\n");
                foreach (var item in l.Items) b.Append("<li>").Append(E(item)).Append("</li>\n");
                b.Append("</ul>\n");
                break;
            case TableBlock t:
                b.Append("<table>\n");
                b.Append("<thead><tr>");
                foreach (var c in t.Header) CellHtml(b, c, "th");
                b.Append("</tr></thead>\n<tbody>\n");
                for (int r = 0; r < t.Rows.Count; r++)
                {
                    b.Append(t.Flagged(r) ? "<tr class=\"flag\">" : "<tr>");
                    foreach (var c in t.Rows[r]) CellHtml(b, c, "td");
                    b.Append("</tr>\n");
                }
                b.Append("</tbody>\n</table>\n");
                break;
            case Figure f:
                b.Append("<figure>\n<img src=\"data:image/png;base64,").Append(Convert.ToBase64String(f.Plot.Png))
                    .Append("\" width=\"").Append(f.Plot.Width).Append("\" height=\"").Append(f.Plot.Height)
                    .Append("\" alt=\"").Append(E(f.Alt)).Append("\">\n<figcaption>").Append(E(f.Caption))
                    .Append(" <a href=\"").Append(E(f.RelPath)).Append(".png\">PNG</a> · <a href=\"").Append(E(f.RelPath))
                    .Append(".svg\">SVG, for print</a></figcaption>\n</figure>\n");
                break;
            case Pre pre:
                b.Append("<pre>").Append(E(pre.Text)).Append("</pre>\n");
                break;
            case Link link:
                b.Append("<p><a href=\"").Append(E(link.Href)).Append("\">").Append(E(link.Text)).Append("</a>")
                    .Append(link.After.Length > 0 ? " " + E(link.After) : "").Append("</p>\n");
                break;
            case Details d:
                b.Append("<details>\n<summary>").Append(E(d.Summary)).Append("</summary>\n");
                foreach (var inner in d.Blocks) Block(b, inner);
                b.Append("</details>\n");
                break;
        }
    }

    private static void CellHtml(StringBuilder b, Cell c, string tag)
    {
        var classes = new List<string>();
        if (c.Mono) classes.Add("mono");
        if (c.Highlight) classes.Add("hl");
        if (c.Numeric) classes.Add("num");
        b.Append('<').Append(tag);
        if (classes.Count > 0) b.Append(" class=\"").Append(string.Join(' ', classes)).Append('"');
        b.Append('>');
        if (c.Swatch is not null) b.Append("<span class=\"swatch\" style=\"background:").Append(E(c.Swatch)).Append("\"></span>");
        b.Append(E(c.Text)).Append("</").Append(tag).Append('>');
    }

    public static string E(string s) => WebUtility.HtmlEncode(s);
}
