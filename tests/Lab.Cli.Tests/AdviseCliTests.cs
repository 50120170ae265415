namespace Lab.Cli.Tests;

/// <summary>./run.sh advise as a user runs it: a number, its formula, its verification; bad input.</summary>
public class AdviseCliTests : IDisposable
{
    private readonly LabSandbox _lab = new();
    public void Dispose() => _lab.Dispose();

    private string SimRun(string name, params string[] overrides)
    {
        string dir = Path.Combine(_lab.Root, name);
        var r = _lab.Run(["article-growth", "engine=sim", .. overrides, "--out", dir]);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        return dir;
    }

    [Fact]
    public void Advise_prints_the_fit_the_formula_and_a_verified_advice()
    {
        string run = SimRun("growth");
        var r = _lab.Run("advise", run, "ram=1G", "max_children=4");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Contains("baseline  B = 7.0 MiB", r.Stdout);
        Assert.Contains("leak      L = 2.0 MiB ±", r.Stdout);
        Assert.Contains("max_children × (B + L × max_requests + R) ≤ budget", r.Stdout);
        Assert.Matches(@"pm\.max_children = 4, pm\.max_requests = \d+", r.Stdout);
        Assert.Contains("the advice held", r.Stdout);

        string dir = Assert.Single(Directory.GetDirectories(_lab.Results));
        Assert.Matches(@"advise-article-growth-\d{8}-\d{6}$", dir);
        Assert.EndsWith("report.html", r.LastLine);
        foreach (var f in new[] { "report.html", "report.md", "tradeoff.png", "tradeoff.svg", "advice.json" })
            Assert.True(File.Exists(Path.Combine(dir, f)), f);
        string verify = Assert.Single(Directory.GetDirectories(dir, "verify-*"));
        Assert.True(File.Exists(Path.Combine(verify, "report.html")), "the verification run has its report");
    }

    [Fact]
    public void Too_few_samples_to_fit_is_exit_2_naming_what_is_missing()
    {
        string run = SimRun("short", "iterations=1");
        var r = _lab.RunBad("advise", run);
        Assert.Contains("too few readings", r.Stderr);
    }

    [Theory]
    [InlineData("ram=lots", "ram=lots")]
    [InlineData("ram=0G", "ram=0G")]
    [InlineData("max_children=0", "max_children=0")]
    [InlineData("margin=150%", "margin")]
    [InlineData("rma=2G", "did you mean ram")]
    public void Bad_settings_are_exit_2(string arg, string expected)
    {
        string run = SimRun("growth");
        var r = _lab.RunBad("advise", run, arg);
        Assert.Contains(expected, r.Stderr);
    }

    [Fact]
    public void Not_a_run_folder_is_exit_2()
    {
        var r = _lab.RunBad("advise", Path.Combine(_lab.Root, "nowhere"));
        Assert.Contains("no such results folder", r.Stderr);
        Assert.Contains("needs a results folder", _lab.RunBad("advise").Stderr);
    }
}
