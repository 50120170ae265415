using Lab.Report.Plotting;

namespace Lab.Report.Output;

/// <summary>
/// A report as a list of blocks, rendered twice: report.html (self-contained, plots inlined)
/// and report.md (plots linked). Both show the same content from the same blocks.
/// </summary>
internal abstract record Block;

internal sealed record Heading(int Level, string Text, string? Id = null) : Block;

/// <summary>A paragraph of plain text. Lead: shown larger (the "what this shows" paragraph).</summary>
internal sealed record Para(string Text, bool Lead = false, bool Muted = false) : Block;

internal sealed record Bullets(IReadOnlyList<string> Items) : Block;

/// <summary>A table cell: text, optionally monospace, highlighted (a setting that differs), with a colour swatch (a compared run).</summary>
internal sealed record Cell(string Text, bool Mono = false, bool Highlight = false, string? Swatch = null, bool Numeric = false)
{
    public static implicit operator Cell(string text) => new(text);
}

/// <summary>A table. FlaggedRows: rows shown as a problem (a failed sweep cell): HTML tints them, Markdown sets their text in bold.</summary>
internal sealed record TableBlock(IReadOnlyList<Cell> Header, IReadOnlyList<IReadOnlyList<Cell>> Rows, IReadOnlySet<int>? FlaggedRows = null) : Block
{
    public bool Flagged(int row) => FlaggedRows?.Contains(row) == true;
}

/// <summary>
/// A plot: the PNG inlined in HTML and linked in Markdown, the SVG linked in both. Folder: where
/// the plot's files are, relative to the page's folder ("" when beside it).
/// </summary>
internal sealed record Figure(RenderedPlot Plot, string Alt, string Caption, string Folder = "") : Block
{
    /// <summary>The plot's files without their extension, relative to the page: "name" or "folder/name".</summary>
    public string RelPath => Folder.Length == 0 ? Plot.Name : Folder.TrimEnd('/') + "/" + Plot.Name;
}

internal sealed record Pre(string Text) : Block;

/// <summary>A paragraph holding one link (to another report), with text after it.</summary>
internal sealed record Link(string Text, string Href, string After = "") : Block;

/// <summary>A collapsed section (HTML &lt;details&gt;, no script needed); Markdown shows it under a small heading.</summary>
internal sealed record Details(string Summary, IReadOnlyList<Block> Blocks) : Block;

internal sealed record Document(string Title, string Subtitle, IReadOnlyList<Block> Blocks);
