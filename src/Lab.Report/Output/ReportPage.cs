using Lab.Report.Plotting;

namespace Lab.Report.Output;

/// <summary>
/// A report page built once and written twice: report.html, one self-contained file (the plots
/// inlined as PNG data: URIs, the styles inline, no script, nothing fetched) and report.md (the
/// plots linked beside it). Every report of the lab is written through here: a run's, a
/// compare's (Lab.Report), a sweep's and advise's (Lab.Analysis), so they look alike.
/// </summary>
/// <example>
/// <code>
/// var page = new ReportPage("Sweep: max_requests", "article-growth · 3 cells");
/// page.Heading("Cells").Table(["cell", "peak RSS"], rows, numericColumns: [1]);
/// page.Figure(plot, "Peak RSS against max_requests", "What it shows.");
/// string html = page.WriteTo(dir);
/// </code>
/// </example>
public sealed class ReportPage
{
    private readonly List<Block> _blocks;
    private readonly IReadOnlyList<(string Id, string Text)> _nav;

    public ReportPage(string title, string subtitle)
    {
        Title = title;
        Subtitle = subtitle;
        _blocks = [];
        _nav = [];
    }

    /// <summary>A page of blocks built by Lab.Report's own reports, with a row of links to its sections (ids of its headings).</summary>
    internal ReportPage(Document doc, IReadOnlyList<(string Id, string Text)> nav)
    {
        Title = doc.Title;
        Subtitle = doc.Subtitle;
        _blocks = doc.Blocks.ToList();
        _nav = nav;
    }

    public string Title { get; }
    public string Subtitle { get; }

    public ReportPage Heading(string text, int level = 2) => Add(new Heading(level, text));

    /// <summary>A paragraph; lead: shown larger (what the page says first); muted: small and grey (where the numbers come from).</summary>
    public ReportPage Para(string text, bool lead = false, bool muted = false) => Add(new Para(text, lead, muted));

    public ReportPage Bullets(IEnumerable<string> items) => Add(new Bullets(items.ToList()));

    /// <summary>Preformatted text (a command line, a formula), monospace.</summary>
    public ReportPage Pre(string text) => Add(new Pre(text));

    /// <summary>A table; numeric columns right-aligned; flagged rows shown as a problem (a failed sweep cell, a budget passed).</summary>
    public ReportPage Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows,
        IEnumerable<int>? numericColumns = null, IEnumerable<int>? flaggedRows = null)
    {
        var numeric = (numericColumns ?? []).ToHashSet();
        Cell CellAt(string text, int column) => new(text, Numeric: numeric.Contains(column));
        return Add(new TableBlock(
            header.Select(CellAt).ToList(),
            rows.Select(r => (IReadOnlyList<Cell>)r.Select(CellAt).ToList()).ToList(),
            FlaggedRows: (flaggedRows ?? []).ToHashSet()));
    }

    /// <summary>A plot: inlined in HTML; in Markdown a link to folder/name.png (folder relative to the page's, "" when beside it).</summary>
    public ReportPage Figure(RenderedPlot plot, string alt, string caption, string folder = "") => Add(new Figure(plot, alt, caption, folder));

    /// <summary>A paragraph holding one link (to another report), and text after it.</summary>
    public ReportPage Link(string text, string href, string after = "") => Add(new Link(text, href, after));

    private ReportPage Add(Block block)
    {
        _blocks.Add(block);
        return this;
    }

    internal Document Document => new(Title, Subtitle, _blocks);

    public string Html() => HtmlRenderer.Render(Document, _nav);

    public string Markdown() => MarkdownRenderer.Render(Document);

    /// <summary>
    /// Writes report.html and report.md, and the plots given (name.png, name.svg), into dir, all
    /// or nothing: each file is written under a temporary name first and they are renamed into
    /// place together (an older report's files are replaced). Returns report.html's full path.
    /// </summary>
    public string WriteTo(string dir, IEnumerable<RenderedPlot>? plots = null)
    {
        using (var staged = new StagedFiles(dir))
        {
            foreach (var p in plots ?? [])
            {
                staged.Write(p.Name + ".png", p.Png);
                staged.Write(p.Name + ".svg", p.Svg);
            }
            staged.Write(ReportFiles.Html, Html());
            staged.Write(ReportFiles.Markdown, Markdown());
            staged.Commit();
        }
        return Path.Combine(dir, ReportFiles.Html);
    }
}
