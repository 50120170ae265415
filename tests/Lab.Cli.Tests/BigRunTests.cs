using System.Diagnostics;
using System.Globalization;

namespace Lab.Cli.Tests;

/// <summary>
/// Runs the size of real traffic: a flood is not accepted silently, records=summary keeps
/// aggregates and still makes a report, a large run writes gzipped CSV that pandas (Debian's
/// python3-pandas, no lab code) reads to the same counts the lab reports.
/// </summary>
public class BigRunTests : IDisposable
{
    private readonly LabSandbox _lab = new();
    public void Dispose() => _lab.Dispose();

    [Fact]
    public void A_flood_that_would_write_gigabytes_asks_for_yes()
    {
        var r = _lab.RunBad("article-max-requests", "engine=sim", "rate=100000000", "iterations=1000000000");
        Assert.Contains("GB", r.Stderr);
        Assert.Contains("--yes", r.Stderr);
        Assert.Contains("records=summary", r.Stderr);
        Assert.Contains("1,000,000,000 requests", r.Stderr);
    }

    [Fact]
    public void Summary_records_keep_aggregates_and_make_a_report()
    {
        string dir = Path.Combine(_lab.Root, "summary");
        var r = _lab.Run("article-max-requests", "engine=sim", "records=summary", "--out", dir);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.False(File.Exists(Path.Combine(dir, "requests.csv")));
        var rows = LabSandbox.Csv(dir, "requests-by-second.csv");
        Assert.Equal(40, rows.Sum(c => LabSandbox.Int(c[1])));
        Assert.Equal(8, LabSandbox.Csv(dir, "requests-by-pid.csv").Count);
        Assert.Contains("records = \"summary\"", File.ReadAllText(Path.Combine(dir, "scenario.toml")));
        Assert.True(File.Exists(Path.Combine(dir, "report.html")));
        Assert.EndsWith("report.html", r.LastLine);
    }

    [Fact]
    public void A_large_run_writes_gzipped_csv_that_pandas_reads()
    {
        string dir = Path.Combine(_lab.Root, "large");
        var r = _lab.Run("article-max-requests", "engine=sim", "pm=static", "max_children=8", "max_requests=500",
            "load.phases.1.rate=1000", "load.phases.1.during=20m", "iterations=1200000", "sample_interval=1s", "--out", dir);
        Assert.True(r.ExitCode == 0, r.ToString());
        foreach (var f in new[] { "requests.csv", "samples.csv", "ps.log" })
        {
            Assert.False(File.Exists(Path.Combine(dir, f)), f + " is plain");
            Assert.True(File.Exists(Path.Combine(dir, f + ".gz")), f + ".gz is missing");
        }
        Assert.True(File.Exists(Path.Combine(dir, "report.html")));
        string script = $"import pandas as pd; r = pd.read_csv('{dir}/requests.csv.gz'); s = pd.read_csv('{dir}/samples.csv.gz'); " +
                        "print(len(r), int((r.status == 200).sum()), s[s.role == 'child'].pid.nunique())";
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd(), error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, "pandas could not read the run (python3-pandas is installed by ./run.sh test): " + error);
        var counts = output.Trim().Split(' ').Select(long.Parse).ToArray();
        string summary = File.ReadAllText(Path.Combine(dir, "summary.json"));
        long Field(string name) => long.Parse(System.Text.RegularExpressions.Regex.Match(summary, $"\"{name}\": (\\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.Equal(1_200_000, counts[0]);
        Assert.Equal(Field("requests_total"), counts[0]);
        Assert.Equal(Field("requests_ok"), counts[1]);
        Assert.Equal(Field("children_spawned"), counts[2]);
    }
}
