using System.Text.RegularExpressions;
using Lab.Report.Plotting;
using Lab.Results;

namespace Lab.Report.Tests;

public class CompareReportTests
{
    [Fact]
    public void Three_runs_keep_one_colour_each_in_every_plot_and_the_differing_setting_is_highlighted()
    {
        using var tmp = new TempDir();
        var runs = new[] { "0", "5", "50" }
            .Select(n => TestRuns.Sim(tmp.Sub("mr" + n), "article-max-requests", "max_requests=" + n)).ToList();
        string outDir = tmp.Sub("compare");
        string html = CompareReport.Generate(runs, outDir, new ReportOptions());
        Assert.Equal(Path.Combine(outDir, "report.html"), html);

        var colours = PlotKit.PaletteHex.Take(3).ToList();
        Assert.Equal(3, colours.Distinct().Count());
        foreach (var name in new[] { "pool-rss", "largest-child", "latency" })
        {
            Assert.True(File.Exists(Path.Combine(outDir, name + ".png")), name + ".png");
            var svg = Svg.Load(Path.Combine(outDir, name + ".svg"));
            var strokes = Svg.StrokeColours(svg);
            foreach (var c in colours) Assert.Contains(c, strokes);           // every run drawn, in its colour
            Assert.DoesNotContain(PlotKit.PaletteHex[3], strokes);            // and no fourth one
            var texts = Svg.Texts(svg);
            foreach (var n in new[] { "0", "5", "50" })
                Assert.Contains($"article-max-requests max_requests={n} (sim)", texts); // legend: run labels
        }
        Assert.Contains("requests served by the pool", Svg.Texts(Svg.Load(Path.Combine(outDir, "largest-child.svg"))));
        Assert.Contains("article-max-requests: max_requests = 0 vs 5 vs 50 (engine sim)", Svg.Texts(Svg.Load(Path.Combine(outDir, "pool-rss.svg"))));

        string page = File.ReadAllText(html);
        // the differing setting is highlighted, the others not
        Assert.Contains("<td class=\"mono hl\">pool.max_requests</td>", page);
        Assert.Contains("<td class=\"mono\">pool.pm</td>", page);
        Assert.Contains("<td class=\"mono\">request.leak</td>", page);
        Assert.Contains("Highlighted: the setting that differs: pool.max_requests.", page);
        // the same colour in the tables' swatches, in run order
        var swatches = Regex.Matches(page, "class=\"swatch\" style=\"background:(#[0-9a-f]{6})\"").Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.Equal(colours, swatches);
        Assert.Equal(3, Regex.Matches(page, "<img src=\"data:image/png;base64,").Count);
        // the summaries side by side: every key of every run
        foreach (var run in runs)
            foreach (var key in TestRuns.SummaryKeys(File.ReadAllText(run.PathOf("summary.json"))))
                Assert.Matches($"<td class=\"mono( hl)?\">{Regex.Escape(System.Net.WebUtility.HtmlEncode(key))}</td>", page);
        // figures that differ are highlighted too; the same ones are not
        Assert.Contains("<td class=\"mono hl\">recycles</td>", page);
        Assert.Contains("<td class=\"mono\">requests_total</td>", page);
        // what it shows: the recycled run's child stays small
        var small = runs[1].Summary!.PeakChildRssKb;
        var large = runs[0].Summary!.PeakChildRssKb;
        Assert.Contains($"Largest child: max_requests=0 {Fmt.Size(large)}; max_requests=5 {Fmt.Size(small)}; max_requests=50 {Fmt.Size(runs[2].Summary!.PeakChildRssKb)}", page);
        Assert.Contains("as large with max_requests=0 as with max_requests=5", page);
        Assert.Contains("With max_requests=0 the largest child passed memory_limit 128M, which never stopped it", page);

        string md = File.ReadAllText(Path.Combine(outDir, "report.md"));
        foreach (var name in new[] { "pool-rss", "largest-child", "latency" })
        {
            Assert.Contains($"]({name}.png)", md);
            Assert.Contains($"]({name}.svg)", md);
        }
        Assert.Contains("| **`pool.max_requests`** |", md);
        Assert.Empty(Directory.GetDirectories(tmp.Root, ".*")); // the staging folder is gone
    }

    [Fact]
    public void Runs_of_different_scenarios_and_engines_are_labelled_so()
    {
        using var tmp = new TempDir();
        var a = TestRuns.Sim(tmp.Sub("growth"), "article-growth");
        var b = TestRuns.Synthetic(tmp.Sub("synthetic"), children: 4, ticks: 10, concurrent: 1);
        // Make b look like a run of the dotnet engine (the manifest is what says which engine ran).
        string manifest = b.PathOf("manifest.json");
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("\"engine\": \"sim\"", "\"engine\": \"dotnet\""));
        b = RunFolder.Open(b.Directory);
        string html = File.ReadAllText(CompareReport.Generate([a, b], tmp.Sub("out"), new ReportOptions()));
        Assert.Contains("article-growth (sim)", html);
        Assert.Contains("synthetic", html);
        Assert.Contains("(dotnet)", html);
        Assert.Contains("These runs come from different engines", html);
        Assert.Contains("article-growth vs synthetic (engines sim, dotnet)", Svg.Texts(Svg.Load(Path.Combine(tmp.Sub("out"), "pool-rss.svg"))));
    }

    [Fact]
    public void The_same_run_twice_is_told_apart_by_number()
    {
        using var tmp = new TempDir();
        var a = TestRuns.Synthetic(tmp.Sub("a"), children: 2, ticks: 5, concurrent: 1);
        var b = TestRuns.Synthetic(tmp.Sub("b"), children: 2, ticks: 5, concurrent: 1);
        string html = File.ReadAllText(CompareReport.Generate([a, b], tmp.Sub("out"), new ReportOptions()));
        Assert.Contains("synthetic (sim) #1", html);
        Assert.Contains("synthetic (sim) #2", html);
        Assert.Contains("Every setting is the same in all runs.", html);
    }

    [Fact]
    public void An_existing_empty_out_folder_is_used_and_a_non_empty_one_refused_untouched()
    {
        using var tmp = new TempDir();
        var a = TestRuns.Synthetic(tmp.Sub("a"), children: 2, ticks: 5, concurrent: 1);
        var b = TestRuns.Synthetic(tmp.Sub("b"), children: 4, ticks: 5, concurrent: 2);
        string empty = tmp.Sub("empty");
        Directory.CreateDirectory(empty);
        CompareReport.Generate([a, b], empty, new ReportOptions());
        Assert.True(File.Exists(Path.Combine(empty, "report.html")));

        string busy = tmp.Sub("busy");
        Directory.CreateDirectory(busy);
        File.WriteAllText(Path.Combine(busy, "keep.txt"), "earlier results");
        var e = Assert.Throws<IOException>(() => CompareReport.Generate([a, b], busy, new ReportOptions()));
        Assert.Contains("not empty", e.Message);
        Assert.Equal(["keep.txt"], Directory.GetFileSystemEntries(busy).Select(Path.GetFileName));
    }
}
