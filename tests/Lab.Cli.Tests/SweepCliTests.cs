using System.Globalization;

namespace Lab.Cli.Tests;

/// <summary>./run.sh sweep as a user runs it: the grid, its folder, its report; bad input.</summary>
public class SweepCliTests : IDisposable
{
    private readonly LabSandbox _lab = new();
    public void Dispose() => _lab.Dispose();

    [Fact]
    public void Sweep_of_max_requests_writes_a_run_per_cell_the_csv_plots_compare_and_report()
    {
        var r = _lab.Run("sweep", "article-growth", "max_requests=0,5,50", "--plain");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        string dir = Assert.Single(Directory.GetDirectories(_lab.Results));
        Assert.Matches(@"sweep-article-growth-\d{8}-\d{6}$", dir);
        Assert.EndsWith(Path.GetFileName(dir) + "/report.html", r.LastLine);
        Assert.True(File.Exists(Path.Combine(_lab.Root, r.LastLine)), r.LastLine);

        foreach (var cell in new[] { "max_requests=0", "max_requests=5", "max_requests=50" })
        {
            foreach (var f in new[] { "summary.json", "samples.csv", "report.html", "rss-per-pid.png" })
                Assert.True(File.Exists(Path.Combine(dir, cell, f)), $"{cell}/{f} missing");
            Assert.Contains("engine = \"sim\"", File.ReadAllText(Path.Combine(dir, cell, "scenario.toml")));
        }
        foreach (var f in new[] { "sweep.csv", "report.md", "sweep-peak-pool-rss.png", "sweep-respawns.png", "sweep-latency-p99.png", "compare/report.html", "compare/largest-child.png" })
            Assert.True(File.Exists(Path.Combine(dir, f)), f + " missing");

        var rows = File.ReadAllLines(Path.Combine(dir, "sweep.csv"));
        var header = rows[0].Split(',');
        int col = Array.IndexOf(header, "peak_pool_rss_kb");
        var peak = rows.Skip(1).Select(l => long.Parse(l.Split(',')[col], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(3, peak.Count);
        Assert.True(peak[0] > peak[2] && peak[2] > peak[1], string.Join(", ", peak)); // 0 (unlimited) > 50 > 5

        // the progress lines, and the table of cells
        Assert.Contains("sweep: cell 3/3", r.Stdout);
        Assert.Contains("max_requests  status", r.Stdout);

        // every image of the report.md loads
        string md = File.ReadAllText(Path.Combine(dir, "report.md"));
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(md, @"\]\(([^)]+\.png)\)"))
            Assert.True(File.Exists(Path.Combine(dir, m.Groups[1].Value)), m.Groups[1].Value);
    }

    [Fact]
    public void Sweep_out_and_jobs()
    {
        string outDir = Path.Combine(_lab.Root, "my-sweep");
        var r = _lab.Run("sweep", "article-max-requests", "max_requests=2,5", "seed=3,4", "--out", outDir, "--jobs", "1");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Equal(4, Directory.GetDirectories(outDir).Count(d => Path.GetFileName(d).StartsWith("max_requests=", StringComparison.Ordinal)));
        Assert.True(Directory.Exists(Path.Combine(outDir, "max_requests=5,seed=4")));
        Assert.True(_lab.ResultsEmpty);
    }

    private LabSandbox.Result Bad(params string[] args) => _lab.RunBad(args);

    [Fact]
    public void An_unknown_key_is_exit_2_with_did_you_mean_and_nothing_written()
    {
        var r = Bad("sweep", "article-growth", "max_request=0,5,50");
        Assert.Contains("did you mean", r.Stderr);
        Assert.Contains("max_requests", r.Stderr);
    }

    [Theory]
    [InlineData("max_requests=,", "empty value")]
    [InlineData("max_requests=0,,50", "empty value")]
    [InlineData("max_requests=", "no value")]
    [InlineData("max_requests=5", "at least one key with a list of values")]
    [InlineData("max_requests=5,-1", "max_requests=-1")]
    public void An_empty_list_or_bad_value_is_exit_2(string arg, string expected)
    {
        var r = Bad("sweep", "article-growth", arg);
        Assert.Contains(expected, r.Stderr);
    }

    [Fact]
    public void No_scenario_unknown_scenario_and_bad_options_are_exit_2()
    {
        Assert.Contains("needs a scenario", Bad("sweep").Stderr);
        Assert.Contains("did you mean article-growth", Bad("sweep", "artcle-growth", "max_requests=0,5").Stderr);
        Assert.Contains("--jobs", Bad("sweep", "article-growth", "max_requests=0,5", "--jobs", "0").Stderr);
        Assert.Contains("unknown option", Bad("sweep", "article-growth", "max_requests=0,5", "--fast").Stderr);
    }
}
