using System.Text.RegularExpressions;
using Lab.Core.Records;
using Lab.Report.Plotting;
using Lab.Report.Model;
using Lab.Results;

namespace Lab.Report.Tests;

/// <summary>The article's experiment 3 on the simulator (max_requests = 5 and = 0), each reported once, shared by the tests that only read.</summary>
public sealed class ArticleRuns : IDisposable
{
    private readonly TempDir _tmp = new();
    public RunFolder Recycled { get; }
    public RunFolder Unbounded { get; }
    public string RecycledHtml { get; }
    public string UnboundedHtml { get; }

    public ArticleRuns()
    {
        Recycled = TestRuns.Sim(_tmp.Sub("mr5"), "article-max-requests", "max_requests=5");
        Unbounded = TestRuns.Sim(_tmp.Sub("mr0"), "article-max-requests", "max_requests=0");
        RecycledHtml = RunReport.Generate(Recycled, new ReportOptions());
        UnboundedHtml = RunReport.Generate(Unbounded, new ReportOptions());
    }

    public void Dispose() => _tmp.Dispose();
}

public class RunReportTests(ArticleRuns runs) : IClassFixture<ArticleRuns>
{
    /// <summary>The plots of a recycled run: recycles per second under the pool's RSS comes after pool-rss.</summary>
    private static readonly string[] PlotNames = ["rss-per-pid", "pool-rss", "recycles", "latency"];

    [Fact]
    public void Writes_every_plot_as_png_and_svg_and_both_reports_into_the_run_folder()
    {
        string dir = runs.Recycled.Directory;
        Assert.Equal(Path.Combine(dir, "report.html"), runs.RecycledHtml);
        foreach (var name in PlotNames)
        {
            var png = File.ReadAllBytes(Path.Combine(dir, name + ".png"));
            Assert.True(png.AsSpan(0, 8).SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }), name + ".png is not a PNG");
            Svg.Load(Path.Combine(dir, name + ".svg")); // parses as XML
        }
        Assert.True(File.Exists(Path.Combine(dir, "report.md")));
        Assert.Empty(Directory.GetFiles(dir, "*.tmp")); // no staging file left behind
        Assert.Empty(Directory.GetFiles(dir, ".*"));
    }

    [Fact]
    public void Rss_per_pid_has_one_labelled_line_per_child_pid_and_axis_titles_with_units()
    {
        var svg = Svg.Load(Path.Combine(runs.Recycled.Directory, "rss-per-pid.svg"));
        var texts = Svg.Texts(svg);
        var pids = TestRuns.ChildPids(runs.Recycled);
        Assert.Equal(9, pids.Count); // 40 requests, 5 per child: 8 recycled + the last one
        foreach (int pid in pids) Assert.Contains(pid.ToString(), texts);
        Assert.Equal(pids.Count, Svg.PathsWithStrokeWidth(svg, RunPlots.ChildLineWidth).Count);
        Assert.Contains("RSS (MiB)", texts);
        Assert.Contains("time (s)", texts);
        // the title, broken before its settings when long (PlotKit.MaxTitleChars)
        Assert.Contains(texts, t => t.StartsWith("Article, experiment 3", StringComparison.Ordinal));
        Assert.Contains(texts, t => t.Contains("pm static, max_children 1, max_requests 5 (engine sim, seed 42)"));
        Assert.Contains(texts, t => t.StartsWith("exit: pm.max_requests reached (8)", StringComparison.Ordinal));
        // memory_limit 128M is far above a 35 MiB sawtooth: said in a note rather than squashing the lines
        Assert.Contains(texts, t => t.StartsWith("memory_limit 128M (per request, not per process) is off the top", StringComparison.Ordinal));
    }

    [Fact]
    public void Memory_limit_is_drawn_as_a_labelled_line_when_the_rss_passes_it()
    {
        var texts = Svg.Texts(Svg.Load(Path.Combine(runs.Unbounded.Directory, "rss-per-pid.svg")));
        Assert.Contains("memory_limit 128M (per request, not per process)", texts);
        Assert.Contains("RSS (MiB)", texts);
    }

    [Fact]
    public void Pool_rss_and_latency_have_their_series_and_axis_titles()
    {
        var pool = Svg.Texts(Svg.Load(Path.Combine(runs.Recycled.Directory, "pool-rss.svg")));
        // the sim's samples read PSS every pss_interval: summed PSS (what the host pays) beside summed RSS
        Assert.Contains("summed RSS: what ps adds up to", pool);
        Assert.Contains("summed PSS: what the host pays", pool);
        Assert.Contains("summed USS: private memory only", pool);
        Assert.Contains("largest child (RSS)", pool);
        Assert.Contains("memory (MiB)", pool);
        Assert.Contains("time (s)", pool);
        var latency = Svg.Texts(Svg.Load(Path.Combine(runs.Recycled.Directory, "latency.svg")));
        Assert.Contains("p50 latency (OK)", latency);
        Assert.Contains("p99 latency (OK)", latency);
        Assert.Contains("answered OK per second (right axis)", latency);
        Assert.Contains("latency (ms)", latency);
        Assert.Contains("requests per second", latency);
        Assert.Contains("time (s)", latency);
    }

    [Fact]
    public void The_html_inlines_every_plot_as_a_png_and_shows_every_summary_key()
    {
        string html = File.ReadAllText(runs.RecycledHtml);
        var images = Regex.Matches(html, "<img src=\"data:image/png;base64,([^\"]+)\"");
        Assert.Equal(PlotNames.Length, images.Count);
        foreach (Match m in images)
        {
            var png = Convert.FromBase64String(m.Groups[1].Value);
            Assert.True(png.AsSpan(0, 4).SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47 }));
        }
        // the same pictures as the files
        Assert.Equal(Convert.ToBase64String(File.ReadAllBytes(Path.Combine(runs.Recycled.Directory, "rss-per-pid.png"))), images[0].Groups[1].Value);
        var keys = TestRuns.SummaryKeys(File.ReadAllText(runs.Recycled.PathOf("summary.json")));
        Assert.Contains("latency_ms.p99", keys);
        Assert.Contains("pool_status.accepted conn", keys);
        foreach (var key in keys) Assert.Contains($"<td class=\"mono\">{System.Net.WebUtility.HtmlEncode(key)}</td>", html);
        foreach (var name in PlotNames) Assert.Contains($"href=\"{name}.svg\"", html);
        // self-contained: nothing fetched from elsewhere, no script
        Assert.DoesNotMatch("(src|href)=\"(https?:)?//", html);
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("<link rel=\"stylesheet\"", html);
    }

    [Fact]
    public void The_html_tells_the_story_with_the_runs_own_figures()
    {
        string html = File.ReadAllText(runs.RecycledHtml);
        Assert.Contains("Article, experiment 3: pm.max_requests = 5</h1>", html);
        Assert.Contains("pm.max_requests = 5 recycled a child 8 times (9 child PIDs in all)", html);
        var s = runs.Recycled.Summary!;
        Assert.Contains($"never passed {Fmt.Size(s.PeakChildRssKb)}", html);
        Assert.Contains("<td class=\"mono\">pool.max_requests</td><td>5</td>", html);
        Assert.Contains("fpm.log highlights", html);
        Assert.Contains("[pool www] child N exited with code N after N seconds from start", html);

        string unbounded = File.ReadAllText(runs.UnboundedHtml);
        var u = runs.Unbounded.Summary!;
        string unboundedMd = File.ReadAllText(Path.Combine(runs.Unbounded.Directory, "report.md"));
        Assert.Contains($"about {Fmt.SizeFine(u.LeakKbPerRequest!.Value)} ± {Fmt.SizeFine(u.LeakKbPerRequestStderr!.Value)}", unboundedMd);
        Assert.Contains("the allocator's bounded retention apart", unboundedMd);
        Assert.Contains($"The largest child reached {Fmt.Size(u.PeakChildRssKb)}, past memory_limit 128M", unbounded);
        Assert.Contains("never stopped the growth", unbounded);
    }

    [Fact]
    public void The_storm_plot_draws_recycles_per_second_under_the_pools_rss()
    {
        var texts = Svg.Texts(Svg.Load(Path.Combine(runs.Recycled.Directory, "recycles.svg")));
        Assert.Contains("recycles per second", texts);
        Assert.Contains(texts, t => t.StartsWith("pool RSS (", StringComparison.Ordinal));
        Assert.Contains(texts, t => t.Contains("most in any second", StringComparison.Ordinal));
        string html = File.ReadAllText(runs.RecycledHtml);
        Assert.Contains("recycle storm", html);
    }

    [Fact]
    public void The_markdown_links_every_image_file()
    {
        string md = File.ReadAllText(Path.Combine(runs.Recycled.Directory, "report.md"));
        foreach (var name in PlotNames)
        {
            Assert.Contains($"]({name}.png)", md);
            Assert.Contains($"]({name}.svg)", md);
        }
        Assert.Contains("| `latency_ms.p99` |", md);
        Assert.StartsWith("# Article, experiment 3: pm.max\\_requests = 5\n", md);
    }

    [Fact]
    public void Requests_on_the_x_axis_puts_requests_served_under_the_memory_plots()
    {
        using var tmp = new TempDir();
        var run = TestRuns.Sim(tmp.Sub("run"), "article-max-requests", "max_requests=5");
        RunReport.Generate(run, new ReportOptions(XAxis.Requests));
        foreach (var name in new[] { "rss-per-pid", "pool-rss" })
        {
            var texts = Svg.Texts(Svg.Load(Path.Combine(run.Directory, name + ".svg")));
            Assert.Contains("requests served by the pool", texts);
            Assert.DoesNotContain("time (s)", texts);
        }
        Assert.Contains("time (s)", Svg.Texts(Svg.Load(Path.Combine(run.Directory, "latency.svg"))));
    }

    [Fact]
    public void Progress_is_reported_in_order_up_to_done()
    {
        using var tmp = new TempDir();
        var run = TestRuns.Synthetic(tmp.Sub("run"), children: 4, ticks: 5, concurrent: 2);
        var seen = new List<ReportProgress>();
        RunReport.Generate(run, new ReportOptions(Progress: new Recorder(seen)));
        Assert.True(seen.Count >= 4);
        Assert.Equal(0, seen[0].Fraction);
        Assert.Equal((1.0, "done"), (seen[^1].Fraction, seen[^1].Step));
        for (int i = 1; i < seen.Count; i++) Assert.True(seen[i].Fraction > seen[i - 1].Fraction);
    }

    [Fact]
    public void Dozens_of_pids_draw_one_line_each_without_naming_them()
    {
        using var tmp = new TempDir();
        var run = TestRuns.Synthetic(tmp.Sub("run"), children: 36, ticks: 6, concurrent: 4);
        RunReport.Generate(run, new ReportOptions());
        var svg = Svg.Load(Path.Combine(run.Directory, "rss-per-pid.svg"));
        // The lines are drawn per colour, each PID one sub-path ("M x y L ...") of its colour's path.
        var paths = Svg.PathsWithStrokeWidth(svg, RunPlots.ManyChildLineWidth);
        Assert.Equal(PlotKit.Palette.Length, paths.Count);
        Assert.Equal(36, paths.Sum(p => ((string)p.Attribute("d")!).Count(ch => ch == 'M')));
        var texts = Svg.Texts(svg);
        Assert.Contains(texts, t => t.EndsWith("· 36 child PIDs and the master", StringComparison.Ordinal));
        Assert.DoesNotContain(texts, t => t.StartsWith("pid ", StringComparison.Ordinal)); // no legend entry per PID
        Assert.DoesNotContain((TestRuns.MasterPid + 1).ToString(), texts);   // no label at the line
        Assert.Contains("exit: pm.max_requests reached (36)", texts);
    }

    [Fact]
    public void Past_a_few_dozen_pids_the_children_are_a_distribution_and_a_slot_heatmap()
    {
        using var tmp = new TempDir();
        var run = TestRuns.Synthetic(tmp.Sub("run"), children: 240, ticks: 6, concurrent: 8);
        string html = RunReport.Generate(run, new ReportOptions());
        var texts = Svg.Texts(Svg.Load(Path.Combine(run.Directory, "rss-per-pid.svg")));
        Assert.Contains(texts, t => t.Contains("RSS of the 240 child PIDs"));
        Assert.Contains("min – max of the children", texts);
        Assert.Contains("median", texts);
        Assert.Contains("p90", texts);
        Assert.Contains(texts, t => t.StartsWith($"pid {TestRuns.MasterPid + 1} (first child", StringComparison.Ordinal));
        Assert.Contains(texts, t => t.Contains("(largest, peak"));
        // no line per PID: at most the first, the largest and the master are named
        Assert.True(texts.Count(t => t.StartsWith("pid ", StringComparison.Ordinal)) <= 1 + ManyChildrenPlots.LargestShown);
        var slots = Svg.Texts(Svg.Load(Path.Combine(run.Directory, "rss-by-slot.svg")));
        Assert.Contains(slots, t => t.Contains("RSS by scoreboard slot (8)"));
        Assert.Contains("scoreboard slot", slots);
        Assert.True(File.Exists(Path.Combine(run.Directory, "rss-by-slot.png")));
        Assert.Contains("rss-by-slot", File.ReadAllText(html));
    }

    [Fact]
    public void Slots_hold_successive_pids_one_after_the_other()
    {
        using var tmp = new TempDir();
        var run = TestRuns.Synthetic(tmp.Sub("run"), children: 12, ticks: 4, concurrent: 3);
        var m = RunModel.Build(run);
        var slots = Slots.Assign(m.ChildLives);
        Assert.Equal(3, slots.Count);
        // generation g's child c (pid master+1+g*3+c) takes the slot its predecessor left: slot c
        for (int k = 0; k < m.ChildLives.Count; k++)
            Assert.Equal((m.ChildLives[k].Pid - TestRuns.MasterPid - 1) % 3, slots.SlotOf[k]);
    }

    [Fact]
    public void A_few_concurrent_children_are_named_in_a_legend()
    {
        using var tmp = new TempDir();
        var run = TestRuns.Synthetic(tmp.Sub("run"), children: 8, ticks: 5, concurrent: 4);
        RunReport.Generate(run, new ReportOptions());
        var texts = Svg.Texts(Svg.Load(Path.Combine(run.Directory, "rss-per-pid.svg")));
        foreach (int pid in TestRuns.ChildPids(run)) Assert.Contains($"pid {pid}", texts);
    }

    [Fact]
    public void An_incomplete_run_is_reported_from_its_files()
    {
        using var tmp = new TempDir();
        var killed = TestRuns.Synthetic(tmp.Sub("killed"), children: 6, ticks: 4, concurrent: 2, complete: false);
        File.AppendAllText(killed.PathOf("samples.csv"), "12.000,507,chi"); // the kill cut the last line
        var run = RunFolder.Open(killed.Directory);
        Assert.Null(run.Summary);
        string html = File.ReadAllText(RunReport.Generate(run, new ReportOptions()));
        Assert.Contains("summary.json is missing (the run did not complete)", html);
        Assert.Contains("This run is incomplete", html);
        Assert.Contains("samples.csv: the last line was cut (a killed run) and is ignored", html);
        foreach (var key in TestRuns.SummaryKeys(run.ComputeSummary().ToJson()))
            Assert.Contains($"<td class=\"mono\">{System.Net.WebUtility.HtmlEncode(key)}</td>", html);
        Assert.Equal(4, Regex.Matches(html, "<img src=\"data:image/png;base64,").Count); // its children were recycled: the storm's plot too
    }

    [Fact]
    public void A_report_can_be_made_again_and_replaces_the_old_one()
    {
        using var tmp = new TempDir();
        var run = TestRuns.Synthetic(tmp.Sub("run"), children: 4, ticks: 5, concurrent: 2);
        RunReport.Generate(run, new ReportOptions());
        RunReport.Generate(RunFolder.Open(run.Directory), new ReportOptions(XAxis.Requests));
        Assert.Contains("requests served by the pool", Svg.Texts(Svg.Load(Path.Combine(run.Directory, "rss-per-pid.svg"))));
        Assert.Empty(Directory.GetFiles(run.Directory, "*.tmp"));
    }

    [Fact]
    public void A_run_without_samples_or_requests_still_gets_a_report()
    {
        using var tmp = new TempDir();
        var run = TestRuns.Synthetic(tmp.Sub("empty"), children: 0, ticks: 1, concurrent: 1, complete: false);
        Assert.Equal(0, run.Samples.Count);
        string html = File.ReadAllText(RunReport.Generate(run, new ReportOptions()));
        Assert.Contains("no RSS was recorded", Svg.Texts(Svg.Load(Path.Combine(run.Directory, "rss-per-pid.svg"))));
        Assert.Contains("no sample or request's RSS was recorded", Svg.Texts(Svg.Load(Path.Combine(run.Directory, "pool-rss.svg"))));
        Assert.Contains("no request was answered OK", Svg.Texts(Svg.Load(Path.Combine(run.Directory, "latency.svg"))));
        Assert.Contains("No leak per request could be fitted", html);
    }

    [Fact]
    public void Restarts_are_marked_and_explained()
    {
        using var tmp = new TempDir();
        var run = TestRuns.Sim(tmp.Sub("restart"), "article-restart");
        string html = File.ReadAllText(RunReport.Generate(run, new ReportOptions()));
        Assert.Contains("restart", Svg.Texts(Svg.Load(Path.Combine(run.Directory, "pool-rss.svg"))));
        Assert.Matches(@"At 30 s php-fpm was restarted: the largest child went from \d+\.\d MiB to \d+\.\d MiB, then the leak refilled it", html);
    }

    [Fact]
    public void A_cron_jobs_repeated_reloads_are_told_and_labelled_once_with_their_count()
    {
        using var tmp = new TempDir();
        // 150 s of the cron-reload scenario: a reload every 32 s (4 of them: 32, 64, 96, 128 s), more than Findings.RepeatedMarks
        var run = TestRuns.Sim(tmp.Sub("cron"), "recycle-storm-cron-reload", "during=150s", "max_children=8", "rate=125");
        string html = File.ReadAllText(RunReport.Generate(run, new ReportOptions()));
        Assert.Contains("php-fpm was reloaded (graceful) 4 times, from 32 s to 128 s, every 32 s: the first time the largest child went from", html);
        Assert.DoesNotContain("At 64 s php-fpm was reloaded", html);
        var labels = Svg.Texts(Svg.Load(Path.Combine(run.Directory, "pool-rss.svg")));
        Assert.Contains("reload ×4", labels);
        Assert.DoesNotContain("reload", labels);
        // the storm's figures count the reloads' exits as renewals
        Assert.Equal(8, run.Summary!.Storm!.MaxRecyclesPerSecond);
    }

    [Fact]
    public void Failures_and_kills_are_counted_with_their_causes()
    {
        using var tmp = new TempDir();
        string scenario = Path.Combine(tmp.Root, "kills.toml");
        File.WriteAllText(scenario, """
            title = "A leaking child, a small memory_limit, a kill"
            seed = 5
            sample_interval = "250ms"
            [pool]
            pm = "static"
            max_children = 1
            memory_limit = "2M"
            [request]
            leak = "1M"
            transient = { dist = "uniform", min = "0K", max = "4M" }
            [[load.phases]]
            phase = "inject"
            rate = 4
            during = "20s"
            [[actions]]
            at = "10s"
            action = "kill-child"
            signal = "KILL"
            """);
        var run = TestRuns.Sim(tmp.Sub("kills"), scenario);
        var s = run.Summary!;
        Assert.True(s.MemoryLimitErrors > 0);
        string html = File.ReadAllText(RunReport.Generate(run, new ReportOptions()));
        Assert.Contains($"{s.MemoryLimitErrors} requests failed with PHP", html);
        Assert.Contains("memory_limit exhausted (500)", html);
        Assert.Contains("killed by the scenario&#39;s kill-child action", html);
        Assert.Contains("exit: killed, crashed or timed out (1)", Svg.Texts(Svg.Load(Path.Combine(run.Directory, "rss-per-pid.svg"))));
    }

    private sealed class Recorder(List<ReportProgress> seen) : IProgress<ReportProgress>
    {
        public void Report(ReportProgress value) => seen.Add(value);
    }
}
