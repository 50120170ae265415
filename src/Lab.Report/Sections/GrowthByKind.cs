using Lab.Report.Model;
using Lab.Report.Output;

namespace Lab.Report.Sections;

/// <summary>
/// The report's "Growth by request kind" section, for a run whose requests have kinds
/// ([[request.kinds]]): which kind the children's memory growth comes from, in a sentence and a
/// table (<see cref="KindGrowth"/>).
/// </summary>
internal static class GrowthByKind
{
    public const string Anchor = "kinds";

    /// <summary>The section's blocks; none when the run's requests have no kinds.</summary>
    public static IReadOnlyList<Block> Blocks(RunModel m)
    {
        // only a run with [[request.kinds]] (the check reads every request: never for a run without kinds)
        if (m.Scenario is { } sc && sc.Request.Kinds.Count == 0) return [];
        var g = KindGrowth.Of(m.Folder.Samples, m.Folder.Requests, exactTimes: m.Engine == RunSettings.SimEngine);
        if (g is null) return [];
        var blocks = new List<Block> { new Heading(2, "Growth by request kind", Anchor), new Para(Sentence(g), Lead: true) };
        var rows = g.Kinds.Select(k => (IReadOnlyList<Cell>)
        [
            new Cell(k.Kind, Mono: true),
            new Cell($"{Fmt.Int(k.Requests)} ({Fmt.Percent(k.Share)})", Numeric: true),
            new Cell(PerRequest(k), Numeric: true),
            new Cell(Fmt.Size(k.AskedLeakKb), Numeric: true),
            new Cell(g.TotalGrowthKb > 0 && k.GrowthKb > 0 ? $"{Fmt.Size(k.GrowthKb)} ({Fmt.Percent(k.GrowthKb / g.TotalGrowthKb)})" : Fmt.Size(k.GrowthKb), Numeric: true),
        ]).ToList();
        blocks.Add(new TableBlock(["kind", new Cell("requests served", Numeric: true), new Cell("RSS growth per request", Numeric: true),
            new Cell("leak asked (leak_kb)", Numeric: true), new Cell("growth it accounts for", Numeric: true)], rows));
        blocks.Add(new Para(g.Method == "per request"
            ? $"From requests.csv's rss_kb: each request's growth is the serving child's RSS after it minus after the same child's previous request ({Fmt.Int(g.Points)} requests; a child's first request has no \"before\" and is left out)."
            : $"Fitted from the samples: at a tick where none of its requests is in flight, a child's RSS is its own level plus what the requests it finished leaked (rss = level of the child + Σ requests of kind k × growth per request of k; least squares over {Fmt.Int(g.Points)} such samples, a level per child). \"leak asked\" is what the lab told the script to leak (0 for scripts of your own).",
            Muted: true));
        return blocks;
    }

    /// <summary>"export (1% of the requests, 6 of 600) accounts for 97% of the children's memory growth: 50.0 MiB per request, against 2 KiB for page."</summary>
    internal static string Sentence(KindGrowth g)
    {
        if (g.Leading is not { } lead)
            return "No kind of request made the children's memory grow: no kind's fitted growth per request is above zero.";
        var others = g.Kinds.Where(k => k.Kind != lead.Kind).Select(k => $"{PerRequest(k)} for {k.Kind}").ToList();
        long total = g.Kinds.Sum(k => k.Requests);
        return $"{lead.Kind} ({Fmt.Percent(lead.Share)} of the requests, {Fmt.Int(lead.Requests)} of {Fmt.Int(total)}) accounts for " +
               $"{Fmt.Percent(lead.GrowthKb / g.TotalGrowthKb)} of the children's memory growth: {PerRequest(lead)} per request" +
               (others.Count > 0 ? ", against " + string.Join(", ", others) : "") + ".";
    }

    private static string PerRequest(KindShare k) =>
        double.IsFinite(k.KbPerRequest)
            ? Fmt.Size(k.KbPerRequest) + (double.IsFinite(k.StdErrKb) ? " ± " + Fmt.Size(k.StdErrKb) : "")
            : "not separable";
}
