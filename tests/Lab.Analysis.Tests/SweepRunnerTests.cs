using System.Globalization;
using Lab.Analysis.Sweeps;
using Lab.Core.Engines;
using Lab.Core.Paths;
using Lab.Core.Scenarios;

namespace Lab.Analysis.Tests;

/// <summary>Running a grid and writing its outputs: sweep.csv, a plot per metric, the compare, the report.</summary>
public class SweepRunnerTests
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private static List<Dictionary<string, string>> Csv(string path)
    {
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split(',');
        return lines.Skip(1).Select(l => header.Zip(l.Split(',')).ToDictionary(x => x.First, x => x.Second)).ToList();
    }

    [Fact]
    public async Task Max_requests_0_5_50_gives_three_runs_and_a_compare_whose_peak_pool_RSS_falls_as_max_requests_falls()
    {
        using var tmp = new SweepTempDir();
        string dir = tmp.Sub("sweep");
        var plan = SweepPlan.Create("article-growth", ["max_requests=0,5,50"], LabPaths.Scenarios);
        var results = await SweepRunner.RunAsync(plan, dir, SweepSimRunner.Run, jobs: 2, progress: null, CancellationToken.None);
        string html = SweepReport.Write(plan, results, dir, "./run.sh sweep article-growth max_requests=0,5,50");

        Assert.Equal(3, results.Count);
        Assert.All(results, r => Assert.Equal(RunStatus.Complete, r.Status));
        foreach (var f in new[] { "max_requests=0", "max_requests=5", "max_requests=50" })
            Assert.True(File.Exists(Path.Combine(dir, f, "summary.json")), f + " has no run");

        // sweep.csv: one row per cell, in the order given; unlimited > 50 > 5
        var rows = Csv(Path.Combine(dir, SweepCsv.FileName));
        Assert.Equal(["0", "5", "50"], rows.Select(r => r["max_requests"]));
        var peak = rows.ToDictionary(r => r["max_requests"], r => long.Parse(r["peak_pool_rss_kb"], Inv));
        Assert.True(peak["0"] > peak["50"] && peak["50"] > peak["5"], $"peak pool RSS: 0 → {peak["0"]}, 50 → {peak["50"]}, 5 → {peak["5"]}");
        Assert.True(peak["0"] > 3 * peak["5"], "unlimited should hold several times the memory of max_requests=5");
        Assert.Equal(["0", "200", "16.667"], rows.Select(r => r["respawns_per_1k_requests"]));

        // the compare: the same three runs, its table showing the same peaks
        string compare = File.ReadAllText(Path.Combine(dir, SweepReport.CompareFolder, "report.md"));
        var line = compare.Split('\n').Single(l => l.Contains("peak_pool_rss_kb"));
        var cells = line.Split('|', StringSplitOptions.TrimEntries).Where(c => c.Length > 0).Skip(1)
            .Select(c => long.Parse(c.Trim('*').Split(' ')[0], Inv)).ToList();
        Assert.Equal([peak["0"], peak["5"], peak["50"]], cells);
        Assert.True(File.Exists(Path.Combine(dir, SweepReport.CompareFolder, "report.html")));

        // a plot per metric, and the report showing them
        foreach (var m in SweepMetrics.All)
        {
            var png = File.ReadAllBytes(Path.Combine(dir, m.PlotName + ".png"));
            Assert.True(png.Length > 10_000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G', m.PlotName);
            Assert.True(File.Exists(Path.Combine(dir, m.PlotName + ".svg")));
        }
        Assert.Equal(Path.Combine(dir, "report.html"), html);
        string md = File.ReadAllText(Path.Combine(dir, "report.md"));
        Assert.Contains("](sweep-peak-pool-rss.png)", md);
        Assert.Contains("](compare/report.html)", md);
        Assert.Contains("0 (unlimited)", md);
        Assert.Equal(SweepMetrics.All.Count, File.ReadAllText(html).Split("data:image/png;base64,").Length - 1);
    }

    [Fact]
    public async Task A_failed_cell_is_reported_and_the_others_complete()
    {
        using var tmp = new SweepTempDir();
        string dir = tmp.Sub("sweep");
        var plan = SweepPlan.Create("article-max-requests", ["max_requests=0,5,10"], LabPaths.Scenarios);
        ScenarioRunner runner = (s, d, c) => s.Pool.MaxRequests == 5
            ? throw new InvalidOperationException("the engine broke")
            : SweepSimRunner.Run(s, d, c);
        var results = await SweepRunner.RunAsync(plan, dir, runner, jobs: 3, progress: null, CancellationToken.None);
        SweepReport.Write(plan, results, dir, "test");

        Assert.Equal([RunStatus.Complete, RunStatus.Failed, RunStatus.Complete], results.Select(r => r.Status));
        Assert.Contains("the engine broke", results[1].Reason);
        Assert.False(results[1].HasFigures);
        var rows = Csv(Path.Combine(dir, SweepCsv.FileName));
        Assert.Equal(["complete", "failed", "complete"], rows.Select(r => r["status"]));
        Assert.Equal("", rows[1]["peak_pool_rss_kb"]);
        Assert.NotEqual("", rows[2]["peak_pool_rss_kb"]);
        string md = File.ReadAllText(Path.Combine(dir, "report.md"));
        Assert.Contains("the engine broke", md);
        Assert.True(File.Exists(Path.Combine(dir, SweepReport.CompareFolder, "report.html")), "the two good cells are still compared");
    }

    [Fact]
    public async Task A_failed_run_counts_as_a_failed_cell()
    {
        using var tmp = new SweepTempDir();
        var plan = SweepPlan.Create("article-max-requests", ["max_requests=0,5"], LabPaths.Scenarios);
        ScenarioRunner runner = (s, d, c) => Task.FromResult(new RunResult(RunStatus.Failed, "the pool did not start", null));
        var results = await SweepRunner.RunAsync(plan, tmp.Sub("s"), runner, 2, null, CancellationToken.None);
        Assert.All(results, r => Assert.Equal("the pool did not start", r.Reason));
        string html = SweepReport.Write(plan, results, tmp.Sub("s"), "test");
        Assert.Contains("nothing to overlay", File.ReadAllText(Path.Combine(tmp.Sub("s"), "report.md")));
        Assert.True(File.Exists(html));
    }

    [Fact]
    public async Task Sim_cells_run_in_parallel_real_cells_one_at_a_time()
    {
        using var tmp = new SweepTempDir();
        // The sim grid: every cell waits until all three run at once (only possible in parallel).
        var sim = SweepPlan.Create("article-max-requests", ["max_requests=1,2,3"], LabPaths.Scenarios);
        using var all = new CountdownEvent(3);
        ScenarioRunner together = (s, d, c) =>
        {
            all.Signal();
            bool met = all.Wait(TimeSpan.FromMinutes(1));
            return Task.FromResult(new RunResult(met ? RunStatus.Complete : RunStatus.Failed, met ? null : "alone", null));
        };
        var r1 = await SweepRunner.RunAsync(sim, tmp.Sub("a"), together, jobs: 3, null, CancellationToken.None);
        Assert.All(r1, r => Assert.NotEqual("alone", r.Reason));

        // A real grid: never two at once, whatever --jobs says.
        var real = SweepPlan.Create("article-max-requests", ["max_requests=1,2,3", "engine=dotnet"], LabPaths.Scenarios);
        int running = 0, most = 0;
        ScenarioRunner counting = async (s, d, c) =>
        {
            int now = Interlocked.Increment(ref running);
            InterlockedMax(ref most, now);
            await Task.Delay(20, c);
            Interlocked.Decrement(ref running);
            return new RunResult(RunStatus.Failed, "not run in this test", null);
        };
        var r2 = await SweepRunner.RunAsync(real, tmp.Sub("b"), counting, jobs: 8, null, CancellationToken.None);
        Assert.Equal(3, r2.Count);
        Assert.Equal(1, most);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
    }

    [Fact]
    public async Task The_same_grid_gives_the_same_sweep_csv_in_parallel_or_not()
    {
        using var tmp = new SweepTempDir();
        var plan = SweepPlan.Create("article-max-requests", ["max_requests=0,2,5", "seed=3,4"], LabPaths.Scenarios);
        var one = await SweepRunner.RunAsync(plan, tmp.Sub("one"), SweepSimRunner.Run, 1, null, CancellationToken.None);
        var many = await SweepRunner.RunAsync(plan, tmp.Sub("many"), SweepSimRunner.Run, 4, null, CancellationToken.None);
        Assert.Equal(SweepCsv.Render(plan, one), SweepCsv.Render(plan, many));
        Assert.Equal(6, SweepCsv.Render(plan, one).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length - 1);
    }

    [Fact]
    public async Task Progress_tells_each_cell_start_and_end()
    {
        using var tmp = new SweepTempDir();
        var plan = SweepPlan.Create("article-max-requests", ["max_requests=0,5"], LabPaths.Scenarios);
        var seen = new List<SweepProgress>();
        var progress = new Collect(seen);
        await SweepRunner.RunAsync(plan, tmp.Sub("s"), SweepSimRunner.Run, 1, progress, CancellationToken.None);
        Assert.Equal(2, seen.Count(p => p.Started is not null));
        Assert.Equal([1, 2], seen.Where(p => p.Finished is not null).Select(p => p.Done));
        Assert.All(seen, p => Assert.Equal(2, p.Total));
    }

    [Fact]
    public async Task A_cancelled_sweep_records_the_cells_not_run()
    {
        using var tmp = new SweepTempDir();
        var plan = SweepPlan.Create("article-max-requests", ["max_requests=0,5,10"], LabPaths.Scenarios);
        using var cancel = new CancellationTokenSource();
        ScenarioRunner runner = (s, d, c) => { cancel.Cancel(); return SweepSimRunner.Run(s, d, CancellationToken.None); };
        var results = await SweepRunner.RunAsync(plan, tmp.Sub("s"), runner, 1, null, cancel.Token);
        Assert.Equal(RunStatus.Complete, results[0].Status);
        Assert.All(results.Skip(1), r => Assert.Equal(RunStatus.Incomplete, r.Status));
        Assert.All(results.Skip(1), r => Assert.Contains("interrupted", r.Reason));
    }

    [Fact]
    public void Plot_labels_say_what_special_values_mean()
    {
        var plan = SweepPlan.Create("article-growth", ["max_requests=0,5", "memory_limit=-1,128M"], LabPaths.Scenarios);
        Assert.Equal("0 (unlimited)", SweepPlots.TickLabel(plan.Axes[0], "0"));
        Assert.Equal("5", SweepPlots.TickLabel(plan.Axes[0], "5"));
        Assert.Equal("-1 (unlimited)", SweepPlots.TickLabel(plan.Axes[1], "-1"));
    }

    private sealed class Collect(List<SweepProgress> into) : IProgress<SweepProgress>
    {
        public void Report(SweepProgress value) { lock (into) into.Add(value); }
    }
}
