using Lab.Core.Paths;

namespace Lab.Cli.Tests;

/// <summary>
/// ./run.sh import of what operators paste beside ps — smem output and smaps_rollup dumps, real
/// captures of a php-fpm pool with opcache (tests/Lab.Import.Tests/Samples) — then advise on it,
/// as a user runs them; and bad pastes, exit 2 with nothing written.
/// </summary>
public class ImportMemoryCliTests : IDisposable
{
    private readonly LabSandbox _lab = new();
    public void Dispose() => _lab.Dispose();

    private static string Capture(string name) => Path.Combine(LabPaths.Root, "tests", "Lab.Import.Tests", "Samples", name);

    [Theory]
    [InlineData("smem-php-fpm.txt", "12 smem snapshots")]
    [InlineData("smaps-rollup-php-fpm.txt", "12 smaps_rollup snapshots")]
    public void Import_then_advise_in_private_and_shared_memory(string capture, string said)
    {
        string dir = Path.Combine(_lab.Root, "imported");
        var r = _lab.Run("import", Capture(capture), "--rate", "8", "--out", dir);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains(said, r.Stdout);
        Assert.Contains("host pays summed PSS peak", r.Stdout);
        Assert.EndsWith("report.html", r.LastLine);
        string header = File.ReadLines(Path.Combine(dir, "samples.csv")).First();
        Assert.EndsWith(",pss_kb,uss_kb,swap_kb", header);
        string report = File.ReadAllText(Path.Combine(dir, "report.html"));
        Assert.Contains("what the host pays", report);

        var a = _lab.Run("advise", dir, "ram=512M");
        Assert.True(a.ExitCode == 0, a.ToString());
        Assert.Contains("formula (private and shared memory: what the host pays)", a.Stdout);
        Assert.Contains("master + S + max_children × (B_private + L × max_requests + R) ≤ ram × (1 − margin)", a.Stdout);
        Assert.Contains("the RSS formula beside it", a.Stdout);
        Assert.DoesNotContain("shared memory cannot be separated", a.Stdout);
        Assert.Contains("the advice held", a.Stdout);
    }

    [Theory]
    [InlineData("  PID User     Command                         Swap      USS      PSS      RSS \n30187 root     php-fpm: master process (/e        0      5x4     1369     5952 \n", "paste.txt:2: not a smem process line")]
    [InlineData("30187\nRss:                5908 kB\nPss:                1406 kB\nRss:                  12 kB\n", "paste.txt:4: a second Rss: line under PID 30187")]
    public void A_bad_paste_is_exit_2_naming_file_and_line(string text, string expected)
    {
        string path = Path.Combine(_lab.Root, "paste.txt");
        File.WriteAllText(path, text);
        var r = _lab.RunBad("import", path);
        Assert.Contains(expected, r.Stderr);
        Assert.Single(r.Stderr.TrimEnd('\n').Split('\n'));
    }
}
