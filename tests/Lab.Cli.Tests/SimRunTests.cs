using System.Globalization;

namespace Lab.Cli.Tests;

/// <summary>The foundation's slice end to end: ./run.sh article-max-requests engine=sim.</summary>
public class SimRunTests : IDisposable
{
    private readonly LabSandbox _lab = new();
    public void Dispose() => _lab.Dispose();

    [Fact]
    public void Article_max_requests_on_the_sim_writes_a_results_folder_with_the_sawtooth()
    {
        var r = _lab.Run("article-max-requests", "max_requests=5", "engine=sim");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        var dirs = Directory.GetDirectories(_lab.Results);
        Assert.Single(dirs);
        string dir = dirs[0];
        Assert.Matches(@"article-max-requests-\d{8}-\d{6}$", dir);
        Assert.EndsWith(Path.GetFileName(dir), r.LastLine.Replace("/report.html", ""));
        foreach (var f in new[] { "scenario.toml", "manifest.json", "samples.csv", "events.csv", "requests.csv", "ps.log", "fpm.log", "latency.hgrm", "summary.json" })
            Assert.True(File.Exists(Path.Combine(dir, f)), f + " missing");

        // every child serves exactly 5 requests (requests.csv), then a new PID takes over (samples.csv)
        var served = File.ReadLines(Path.Combine(dir, "requests.csv")).Skip(1).Select(l => l.Split(','))
            .GroupBy(c => c[4]).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(8, served.Count);
        Assert.All(served.Values, n => Assert.Equal(5, n));
        var rows = File.ReadLines(Path.Combine(dir, "samples.csv")).Skip(1).Select(l => l.Split(','))
            .Where(c => c[2] == "child").ToList();
        var pidsInSamples = rows.Select(c => c[1]).Distinct().ToList();
        Assert.True(pidsInSamples.Count >= 8, $"{pidsInSamples.Count} child PIDs in samples.csv");
        Assert.All(rows, c => Assert.InRange(long.Parse(c[7], CultureInfo.InvariantCulture), 0, 5));
        var exits = File.ReadLines(Path.Combine(dir, "events.csv")).Count(l => l.Contains(",exit,") && l.EndsWith("code 0;max_requests"));
        Assert.Equal(8, exits);
        long peak = rows.Max(c => long.Parse(c[3], CultureInfo.InvariantCulture));
        Assert.InRange(peak, 20_000, 40_000); // baseline + 5 × 4 MiB + retention: bounded
        string toml = File.ReadAllText(Path.Combine(dir, "scenario.toml"));
        Assert.Contains("max_requests = 5", toml);
        Assert.Contains("seed = ", toml);
    }

    [Fact]
    public void Article_growth_on_the_sim_shows_one_pid_rising_past_memory_limit()
    {
        var r = _lab.Run("article-growth", "engine=sim", "--out", Path.Combine(_lab.Root, "growth"));
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        var rows = File.ReadLines(Path.Combine(_lab.Root, "growth", "samples.csv")).Skip(1).Select(l => l.Split(','))
            .Where(c => c[2] == "child").ToList();
        Assert.Single(rows.Select(c => c[1]).Distinct());
        var rss = rows.Select(c => long.Parse(c[3], CultureInfo.InvariantCulture)).ToList();
        Assert.True(rss[^1] > 128 * 1024, $"final RSS {rss[^1]} KiB should pass memory_limit 128M");
        Assert.True(rss[^1] > rss[0] * 10);
    }

    [Fact]
    public void Rerunning_the_written_scenario_toml_gives_the_same_data()
    {
        var a = _lab.Run("article-max-requests", "engine=sim", "seed=9", "--out", Path.Combine(_lab.Root, "a"));
        Assert.Equal(0, a.ExitCode);
        var b = _lab.Run(Path.Combine(_lab.Root, "a", "scenario.toml"), "--out", Path.Combine(_lab.Root, "b"));
        Assert.True(b.ExitCode == 0, b.Stderr);
        foreach (var f in new[] { "samples.csv", "events.csv", "requests.csv", "ps.log", "fpm.log", "summary.json", "scenario.toml" })
            Assert.Equal(File.ReadAllText(Path.Combine(_lab.Root, "a", f)), File.ReadAllText(Path.Combine(_lab.Root, "b", f)));
    }

    [Fact]
    public void List_and_help()
    {
        var list = _lab.Run("list");
        Assert.Equal(0, list.ExitCode);
        foreach (var name in new[] { "article-growth", "article-restart", "article-max-requests", "dynamic-spike", "ondemand-idle" })
            Assert.Contains(name, list.Stdout);
        var help = _lab.Run("--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("./run.sh article-max-requests", help.Stdout);
    }
}
