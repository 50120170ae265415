using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using static Lab.Testing.LabSandbox;

namespace Lab.Record.Tests;

/// <summary>
/// ./run.sh record against php-fpm pools started outside the lab (<see cref="ExternalPool"/>),
/// through the command line a user types: the real child PIDs, requests from the status page,
/// the leak per request, recycles by the counters, and the pool left exactly as it was.
/// </summary>
[Collection("external php-fpm")]
public class RecordTests : IDisposable
{
    private readonly LabSandbox _lab = new("leaklab-record-test-", plain: true);
    public void Dispose() => _lab.Dispose();

    [Fact]
    public async Task Record_lists_the_real_children_counts_requests_from_the_status_page_fits_the_leak_and_leaves_the_pool_as_it_was()
    {
        using var pool = new ExternalPool();
        var children = pool.Children();
        Assert.Equal(2, children.Count);
        var files = Fingerprint(pool.Config, pool.PoolFile, pool.PhpIni, pool.Script);
        string dir = Path.Combine(_lab.Root, "recorded");

        var recording = Recording("record", "--pid", pool.MasterPid.ToString(), "duration=20s", "--out", dir);
        WaitForTicks(dir, 3);
        int ok = await pool.DriveAsync(100, 10); // an ordinary FastCGI client, 10 s of traffic
        var r = await recording;
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(100, ok);

        // the real child PIDs: in samples.csv and in what record printed
        var samples = Csv(dir, "samples.csv");
        var sampled = samples.Where(c => c[2] == "child").Select(c => Int(c[1])).Distinct().Order().ToList();
        Assert.Equal(children, sampled);
        Assert.Contains($"children  2 seen: ", r.Stdout);
        Assert.All(children, p => Assert.Contains(p.ToString(), r.Stdout.Split('\n').First(l => l.Contains("seen:"))));
        Assert.All(samples.Where(c => c[2] == "master"), c => Assert.Equal(pool.MasterPid, Int(c[1])));

        // the requests column: each child's counter on the status page, the lab's own status requests left out:
        // at the end the children have served exactly the client's 100, and no count ever goes back
        double lastT = samples.Max(c => Num(c[0]));
        Assert.Equal(100, samples.Where(c => c[2] == "child" && Num(c[0]) == lastT).Sum(c => Int(c[7])));
        foreach (int pid in children)
        {
            var counts = samples.Where(c => Int(c[1]) == pid).Select(c => Int(c[7])).ToList();
            Assert.Equal(counts.Order(), counts);
        }
        // PSS/USS from smaps_rollup (the tests run as root)
        Assert.Contains(samples, c => c[2] == "child" && c[8].Length > 0 && Int(c[8]) > 0 && Int(c[9]) > 0);

        // the leak per request, fitted from RSS against the counters: within 10 % of the script's 1 MiB
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
        Assert.Equal("record", summary.RootElement.GetProperty("engine").GetString());
        Assert.InRange(summary.RootElement.GetProperty("leak_kb_per_request").GetDouble(), ExternalPool.LeakKb * 0.9, ExternalPool.LeakKb * 1.1);

        // manifest.json: engine record, the source, complete
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "manifest.json")));
        var m = manifest.RootElement;
        Assert.Equal("record", m.GetProperty("engine").GetString());
        Assert.Equal("complete", m.GetProperty("status").GetString());
        Assert.Equal(pool.MasterPid.ToString(), m.GetProperty("source").GetProperty("master_pid").GetString());
        Assert.Equal(pool.Config, m.GetProperty("source").GetProperty("config").GetString());
        // scenario.toml: the pool as its configuration says, with the lines it came from
        string toml = File.ReadAllText(Path.Combine(dir, "scenario.toml"));
        int line = File.ReadAllLines(pool.PoolFile).ToList().FindIndex(l => l.StartsWith("pm.max_children")) + 1;
        Assert.Contains($"#   pm.max_children = 2   ({pool.PoolFile}:{line})", toml);
        Assert.Contains("max_children = 2", toml);
        Assert.Contains("memory_limit = \"64M\"", toml);
        foreach (var f in new[] { "events.csv", "requests.csv", "ps.log", "fpm.log", "rss-per-pid.png", "report.html" })
            Assert.True(File.Exists(Path.Combine(dir, f)), f);
        Assert.DoesNotContain(Csv(dir, "events.csv"), c => c[1] is "exit" or "spawn");

        // nothing of the pool was touched: same master, same children, same files
        Assert.True(pool.Running);
        Assert.Equal(children, pool.Children());
        Assert.Equal(files, Fingerprint(pool.Config, pool.PoolFile, pool.PhpIni, pool.Script));

        // report, advise, calibrate and compare take the recorded folder like any run
        var report = _lab.Run("report", dir);
        Assert.True(report.ExitCode == 0, report.ToString());
        Assert.Contains("Recorded from", File.ReadAllText(Path.Combine(dir, "report.md")));
        var advise = _lab.Run("advise", dir, "ram=1G", "--out", Path.Combine(_lab.Root, "advice"));
        Assert.True(advise.ExitCode == 0, advise.ToString());
        var calibrate = _lab.Run("calibrate", dir, "--out", Path.Combine(_lab.Root, "calibrated"));
        Assert.True(calibrate.ExitCode is 0 or 1, calibrate.ToString()); // 1: the sim disagrees somewhere by more than 10 %
        Assert.Contains("the largest child's RSS at every tenth of the requests served", calibrate.Stdout);
        Assert.DoesNotContain("nothing to compare", calibrate.Stdout);
        var compare = _lab.Run("compare", dir, Path.Combine(_lab.Root, "calibrated", "sim"), "--out", Path.Combine(_lab.Root, "compared"));
        Assert.True(compare.ExitCode == 0, compare.ToString());
    }

    [Fact]
    public async Task A_child_recycled_by_max_requests_is_attributed_to_it_because_the_counters_say_so()
    {
        using var pool = new ExternalPool(maxChildren: 1, maxRequests: 10);
        string dir = Path.Combine(_lab.Root, "recycled");
        var recording = Recording("record", "--pid", pool.MasterPid.ToString(), "duration=14s", "--out", dir);
        WaitForTicks(dir, 2);
        await pool.DriveAsync(40, 4); // with the lab's status requests, a child lives about 2 s
        var r = await recording;
        Assert.True(r.ExitCode == 0, r.ToString());

        var events = Csv(dir, "events.csv");
        var exits = events.Where(c => c[1] == "exit").ToList();
        Assert.True(exits.Count >= 3, r.ToString());
        // php-fpm logged each exit (code 0); the counters made exactly pm.max_requests each time
        Assert.All(exits, c => Assert.Equal("code 0;max_requests", c[3]));
        Assert.True(events.Count(c => c[1] == "spawn") >= exits.Count - 1);
        string log = File.ReadAllText(Path.Combine(dir, "fpm.log"));
        Assert.All(exits, c => Assert.Contains($"child {c[2]} exited with code 0", log));
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
        Assert.Equal(exits.Count, summary.RootElement.GetProperty("recycles").GetInt64());
        // lives of 10 requests seen by two or three samples each: the honest fit may not claim a
        // leak apart from the allocator's retention (it then says so); the RSS growth is the leak here
        var root = summary.RootElement;
        if (root.GetProperty("leak_kb_per_request").ValueKind == JsonValueKind.Number)
            Assert.InRange(root.GetProperty("leak_kb_per_request").GetDouble(), ExternalPool.LeakKb * 0.9, ExternalPool.LeakKb * 1.1);
        Assert.InRange(root.GetProperty("rss_growth_kb_per_request").GetDouble(), ExternalPool.LeakKb * 0.9, ExternalPool.LeakKb * 1.1);
    }

    [Fact]
    public async Task Without_a_status_page_record_says_so_and_fits_the_leak_per_second()
    {
        using var pool = new ExternalPool(statusPage: false);
        string dir = Path.Combine(_lab.Root, "nostatus");
        var recording = Recording("record", "--pid", pool.MasterPid.ToString(), "duration=6s", "interval=500ms", "--out", dir);
        WaitForTicks(dir, 2);
        await pool.DriveAsync(30, 10);
        var r = await recording;
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("status    none: the pool has no pm.status_path", r.Stdout);
        Assert.Contains("fitted per second instead", r.Stdout);
        Assert.All(Csv(dir, "samples.csv"), c => Assert.Equal("0", c[7]));
        Assert.Contains("fitted per second", File.ReadAllText(Path.Combine(dir, "report.md")));
    }

    [Fact]
    public void With_several_masters_and_no_pid_record_lists_them_with_their_configs_and_pools_and_exits_2()
    {
        using var a = new ExternalPool(name: "shop");
        using var b = new ExternalPool(name: "blog", maxChildren: 1);
        var r = _lab.Run("record", "duration=1s");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("php-fpm masters are running here; choose one with --pid", r.Stderr);
        Assert.Contains($"--pid {a.MasterPid}   {a.Config}   pools: shop", r.Stderr);
        Assert.Contains($"--pid {b.MasterPid}   {b.Config}   pools: blog", r.Stderr);
        Assert.True(_lab.ResultsEmpty);

        var notMaster = _lab.Run("record", "--pid", a.Children()[0].ToString(), "duration=1s");
        Assert.Equal(2, notMaster.ExitCode);
        Assert.Contains("is not a php-fpm master", notMaster.Stderr);
        var badPool = _lab.Run("record", "--pid", a.MasterPid.ToString(), "--pool", "nope", "duration=1s");
        Assert.Equal(2, badPool.ExitCode);
        Assert.Contains("has no pool \"nope\"; its pools: shop", badPool.Stderr);
        var badKey = _lab.Run("record", "--pid", a.MasterPid.ToString(), "durtion=1s");
        Assert.Equal(2, badKey.ExitCode);
        Assert.True(_lab.ResultsEmpty);
    }

    // ---- helpers ------------------------------------------------------------------------

    /// <summary>Starts the lab's command and collects its output until it exits.</summary>
    private Task<Result> Recording(params string[] args)
    {
        var p = _lab.Start(args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        return Task.Run(async () =>
        {
            using (p)
            {
                if (!p.WaitForExit(RunTimeout)) { p.Kill(entireProcessTree: true); throw new TimeoutException(string.Join(' ', args)); }
                return new Result(p.ExitCode, await stdout, await stderr);
            }
        });
    }

    /// <summary>Waits until the recording's samples.csv holds n ticks.</summary>
    private static void WaitForTicks(string dir, int n)
    {
        string samples = Path.Combine(dir, "samples.csv");
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            if (File.Exists(samples) && File.ReadLines(samples).Skip(1).Select(l => l.Split(',')[0]).Distinct().Count() >= n) return;
            Thread.Sleep(50);
        }
        throw new TimeoutException("the recording took no sample");
    }

    /// <summary>Each file's bytes (SHA-256) and last write time.</summary>
    private static string Fingerprint(params string[] paths) => string.Join("\n", paths.Select(p =>
        $"{p} {Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(p)))} {File.GetLastWriteTimeUtc(p):O}"));
}
