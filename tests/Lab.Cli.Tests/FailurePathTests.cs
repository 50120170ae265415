using System.Diagnostics;

namespace Lab.Cli.Tests;

/// <summary>
/// The paths nobody walks in a demo: an --out that cannot be created, a read-only or full disk,
/// the terminal closing mid-run (SIGHUP), SIGTERM, a killed run's leftovers, a file holding
/// terminal escape sequences, a mistyped command. Each ends with one clear line and its exit
/// code, never a stack trace.
/// </summary>
public class FailurePathTests : IDisposable
{
    private readonly LabSandbox _lab = new();
    public void Dispose() => _lab.Dispose();

    private static void OneLineNoTrace(LabSandbox.Result r)
    {
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, "expected one line on stderr: " + r);
        Assert.StartsWith("error: ", lines[0]);
        Assert.DoesNotContain("   at ", r.Stderr + r.Stdout);
        Assert.DoesNotContain("Exception", r.Stderr);
    }

    /// <summary>
    /// The lab in a mount namespace of its own where <paramref name="mountPoint"/> is a fresh
    /// tmpfs (options: size, ro); afterwards what it wrote there is copied to <paramref name="keep"/>
    /// (the mount vanishes with the namespace). As root: unshare --mount; otherwise in a user namespace.
    /// </summary>
    private LabSandbox.Result RunOnTmpfs(string mountPoint, string options, string? keep, params string[] args)
    {
        Directory.CreateDirectory(mountPoint);
        string script = $"mount -t tmpfs -o {options} tmpfs \"$0\" || exit 99; \"$@\"; code=$?; " +
                        (keep is null ? "" : $"cp -a \"$0\"/. '{keep}'/ 2>/dev/null; ") + "exit $code";
        if (keep is not null) Directory.CreateDirectory(keep);
        string[] unshare = Environment.IsPrivilegedProcess
            ? ["unshare", "--mount", "--propagation", "private"]
            : ["unshare", "--user", "--map-root-user", "--mount"];
        var r = _lab.RunUnder([.. unshare, "sh", "-c", script, mountPoint], args);
        Assert.True(r.ExitCode != 99, "could not mount a tmpfs for the test: " + r);
        return r;
    }

    [Fact]
    public void An_out_that_cannot_be_created_is_one_line_and_exit_2()
    {
        var r = _lab.Run("article-max-requests", "engine=sim", "--out", "/proc/nope/x");
        Assert.Equal(2, r.ExitCode);
        OneLineNoTrace(r);
        Assert.Contains("/proc/nope/x", r.Stderr);
        Assert.True(_lab.ResultsEmpty);
    }

    [Fact]
    public void A_read_only_out_is_one_line_and_exit_2()
    {
        string ro = Path.Combine(_lab.Root, "ro");
        var r = RunOnTmpfs(ro, "ro,size=1m", null, "article-max-requests", "engine=sim", "--out", Path.Combine(ro, "x"));
        Assert.Equal(2, r.ExitCode);
        OneLineNoTrace(r);
        Assert.Contains("read-only file system", r.Stderr);
    }

    [Fact]
    public void A_read_only_results_folder_is_one_line_and_exit_1()
    {
        var r = RunOnTmpfs(_lab.Results, "ro,size=1m", null, "article-max-requests", "engine=sim");
        Assert.Equal(1, r.ExitCode);
        OneLineNoTrace(r);
        Assert.Contains("results/article-max-requests-", r.Stderr);
        Assert.Contains("read-only file system", r.Stderr);
    }

    [Fact]
    public void A_full_disk_fails_the_run_in_one_line_and_the_manifest_says_why()
    {
        string disk = Path.Combine(_lab.Root, "disk");
        string kept = Path.Combine(_lab.Root, "kept");
        var r = RunOnTmpfs(disk, "size=48k", kept, "article-max-requests", "engine=sim", "--out", Path.Combine(disk, "run"));
        Assert.Equal(1, r.ExitCode);
        OneLineNoTrace(r);
        Assert.Contains("no space left on device", r.Stderr);
        Assert.Contains(Path.Combine(disk, "run"), r.Stderr);
        string manifest = File.ReadAllText(Path.Combine(kept, "run", "manifest.json"));
        Assert.Contains("\"status\": \"failed\"", manifest);
        Assert.Contains("no space left on device", manifest);
    }

    [Fact]
    public void Sighup_finishes_the_run_like_ctrl_c_even_with_the_terminal_gone()
    {
        string name = _lab.Scenario("long", """
            engine = "dotnet"
            [pool]
            pm = "static"
            max_children = 3
            [request]
            leak = "256K"
            wait = "50ms"
            [[load.phases]]
            phase = "inject"
            rate = 10
            during = "60s"
            """);
        foreach (var signal in new[] { "HUP", "TERM" })
        {
            string dir = Path.Combine(_lab.Root, "sig-" + signal);
            using var p = _lab.Start(name, "--out", dir);
            Orphans.WaitForPool(dir);
            if (signal == "HUP")
            {
                // the terminal closed: nobody reads the lab's output any more (writes fail)
                p.StandardOutput.Close();
                p.StandardError.Close();
            }
            Process.Start("kill", $"-{signal} {p.Id}")!.WaitForExit();
            Assert.True(p.WaitForExit(90_000), "the lab did not end after SIG" + signal);
            Assert.Equal(3, p.ExitCode);
            string manifest = File.ReadAllText(Path.Combine(dir, "manifest.json"));
            Assert.Contains("\"status\": \"incomplete\"", manifest);
            Assert.Contains("interrupted by SIG" + signal, manifest);
            Assert.True(File.Exists(Path.Combine(dir, "summary.json")));
            Assert.True(File.Exists(Path.Combine(dir, "report.html")), "no report after SIG" + signal);
            Assert.True(Orphans.WaitUntilGone(dir), "processes of the run are still alive: " + string.Join(", ", Orphans.Of(dir)));
        }
    }

    [Fact]
    public void Report_never_echoes_escape_sequences_from_a_file()
    {
        string dir = Path.Combine(_lab.Root, "run");
        Assert.Equal(0, _lab.Run("article-max-requests", "engine=sim", "--out", dir).ExitCode);
        File.AppendAllText(Path.Combine(dir, "samples.csv"), "\u001b[2J\u001b]0;pwned\u0007,1,child\n");
        var r = _lab.Run("report", dir, "--plain");
        Assert.Equal(2, r.ExitCode);
        Assert.DoesNotContain('\u001b', r.Stderr + r.Stdout);
        Assert.DoesNotContain('\u0007', r.Stderr + r.Stdout);
        Assert.Contains("^[[2J", r.Stderr);
        Assert.Contains("samples.csv", r.Stderr);
    }

    [Fact]
    public void A_mistyped_command_gets_did_you_mean()
    {
        var r = _lab.RunBad("comapre", "a", "b");
        Assert.Contains("did you mean compare?", r.Stderr);
        r = _lab.RunBad("sweeep", "article-growth", "max_requests=0,5");
        Assert.Contains("did you mean sweep?", r.Stderr);
        // a mistyped scenario still gets the scenario's did you mean
        r = _lab.RunBad("article-growht", "engine=sim");
        Assert.Contains("did you mean article-growth?", r.Stderr);
    }

    [Fact]
    public void Clean_removes_a_killed_runs_temporary_folder_and_lists_then_removes_stale_results()
    {
        // a temporary folder whose lab is gone (a PID that cannot exist)
        string temp = Directory.CreateTempSubdirectory("leaklab-").FullName;
        File.WriteAllText(Path.Combine(temp, ".leaklab-owner"), "999999999 1\n");
        // a complete run, and a run killed mid-way (its manifest still says running)
        string done = Path.Combine(_lab.Results, "done");
        Assert.Equal(0, _lab.Run("article-max-requests", "engine=sim", "--out", done).ExitCode);
        string killed = Path.Combine(_lab.Results, "killed");
        Directory.CreateDirectory(killed);
        foreach (var f in new[] { "scenario.toml", "samples.csv" }) File.Copy(Path.Combine(done, f), Path.Combine(killed, f));
        File.WriteAllText(Path.Combine(killed, "manifest.json"),
            File.ReadAllText(Path.Combine(done, "manifest.json")).Replace("\"status\": \"complete\"", "\"status\": \"incomplete\"")
                .Replace("\"reason\": null", "\"reason\": \"running (or killed)\""));

        var list = _lab.Run("clean");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.False(Directory.Exists(temp), "the killed run's temporary folder is still there");
        Assert.Contains("killed", list.Stdout);
        Assert.Contains("clean --results", list.Stdout);
        Assert.True(Directory.Exists(killed), "clean without --results removed a results folder");

        var clean = _lab.Run("clean", "--results");
        Assert.Equal(0, clean.ExitCode);
        Assert.False(Directory.Exists(killed));
        Assert.True(Directory.Exists(done), "a complete run was removed");
    }
}
