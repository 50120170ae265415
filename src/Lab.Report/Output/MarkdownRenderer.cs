using System.Text;

namespace Lab.Report.Output;

/// <summary>report.md: the same report in Markdown, the plots linked (PNG shown, SVG for print) beside it.</summary>
internal static class MarkdownRenderer
{
    public static string Render(Document doc)
    {
        var b = new StringBuilder(1 << 14);
        b.Append("# ").Append(Inline(doc.Title)).Append("\n\n");
        b.Append('*').Append(Inline(doc.Subtitle)).Append("*\n\n");
        foreach (var block in doc.Blocks) Block(b, block, 0);
        return b.ToString().TrimEnd() + "\n";
    }

    private static void Block(StringBuilder b, Block block, int depth)
    {
        switch (block)
        {
            case Heading h:
                b.Append(new string('#', Math.Min(6, h.Level + depth))).Append(' ').Append(Inline(h.Text)).Append("\n\n");
                break;
            case Para p:
                b.Append(p.Lead ? "> " : p.Muted ? "_" : "").Append(Inline(p.Text)).Append(p.Muted ? "_" : "").Append("\n\n");
                break;
            case Bullets l:
                foreach (var item in l.Items) b.Append("- ").Append(Inline(item)).Append('\n');
                b.Append('\n');
                break;
            case TableBlock t:
                b.Append('|');
                foreach (var c in t.Header) b.Append(' ').Append(CellText(c)).Append(" |");
                b.Append("\n|");
                foreach (var c in t.Header) b.Append(c.Numeric ? " ---: |" : " --- |");
                b.Append('\n');
                for (int r = 0; r < t.Rows.Count; r++)
                {
                    b.Append('|');
                    foreach (var c in t.Rows[r]) b.Append(' ').Append(CellText(t.Flagged(r) ? c with { Highlight = true } : c)).Append(" |");
                    b.Append('\n');
                }
                b.Append('\n');
                break;
            case Figure f:
                b.Append("![").Append(Inline(f.Alt)).Append("](").Append(f.RelPath).Append(".png)\n\n");
                b.Append(Inline(f.Caption)).Append(" [PNG](").Append(f.RelPath).Append(".png) · [SVG, for print](")
                    .Append(f.RelPath).Append(".svg)\n\n");
                break;
            case Pre pre:
                // A fence longer than any run of backticks inside.
                int longest = 0, run = 0;
                foreach (char ch in pre.Text) { run = ch == '`' ? run + 1 : 0; longest = Math.Max(longest, run); }
                string fence = new('`', Math.Max(3, longest + 1));
                b.Append(fence).Append("text\n").Append(pre.Text.TrimEnd('\n')).Append('\n').Append(fence).Append("\n\n");
                break;
            case Link link:
                b.Append('[').Append(Inline(link.Text)).Append("](").Append(link.Href).Append(')')
                    .Append(link.After.Length > 0 ? " " + Inline(link.After) : "").Append("\n\n");
                break;
            case Details d:
                b.Append("**").Append(Inline(d.Summary)).Append("**\n\n");
                foreach (var inner in d.Blocks) Block(b, inner, depth + 1);
                break;
        }
    }

    private static string CellText(Cell c)
    {
        string t = c.Mono && c.Text.Length > 0
            ? "`" + c.Text.Replace('\n', ' ').Replace('\r', ' ').Replace('`', '\'').Replace("|", "\\|") + "`"
            : Inline(c.Text).Replace("|", "\\|");
        if (c.Highlight && t.Trim().Length > 0) t = "**" + t + "**";
        return t.Length == 0 ? " " : t;
    }

    /// <summary>Text on one line, with Markdown's special characters that would change its meaning escaped.</summary>
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
