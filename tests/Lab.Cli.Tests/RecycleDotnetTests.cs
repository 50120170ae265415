using System.Globalization;
using System.Text.Json;

namespace Lab.Cli.Tests;

/// <summary>
/// The [recycle] rules on real processes (engine dotnet): the lab's master and workers carry out
/// Lab.Core's Recycling as the simulator does. Directions, counts and events; never wall-clock limits.
/// </summary>
[Collection("real processes")]
public class RecycleDotnetTests : IDisposable
{
    private readonly LabSandbox _lab = new();
    public void Dispose() => _lab.Dispose();

    /// <summary>
    /// Six static children, six users in a closed loop: every child serves the same count, so a fixed
    /// limit recycles them together. A child serves about 4 requests a second: a life of about 5 s.
    /// </summary>
    private const string Storm = """
        [pool]
        pm = "static"
        max_children = 6
        max_requests = 20
        [request]
        leak = "2M"
        work = "1ms"
        wait = "250ms"
        [load]
        iterations = 480
        [[load.phases]]
        phase = "keep-constant"
        copies = 6
        during = "120s"
        """;

    private static JsonElement StormOf(string dir) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json"))).RootElement;

    [Fact]
    public void Jitter_spreads_the_lockstep_recycles_on_real_processes_too()
    {
        string scenario = _lab.Scenario("storm", Storm, sampleInterval: "100ms");
        string fixedDir = Path.Combine(_lab.Root, "fixed"), jitterDir = Path.Combine(_lab.Root, "jitter");
        var r = _lab.Run(scenario, "--out", fixedDir);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        // the same mean limit (10 + 0..20 → 20)
        r = _lab.Run(scenario, "max_requests=10", "recycle.jitter=20", "--out", jitterDir);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);

        var fix = StormOf(fixedDir);
        var jit = StormOf(jitterDir);
        int fixBurst = fix.GetProperty("storm").GetProperty("max_recycles_per_s").GetInt32();
        int jitBurst = jit.GetProperty("storm").GetProperty("max_recycles_per_s").GetInt32();
        long fixPeak = fix.GetProperty("peak_pool_rss_kb").GetInt64(), jitPeak = jit.GetProperty("peak_pool_rss_kb").GetInt64();
        Assert.True(fixBurst >= 5, $"fixed limit: at most {fixBurst} recycles in a second (6 children in lockstep)");
        Assert.True(jitBurst < fixBurst, $"jitter {jitBurst} recycles in a second, fixed {fixBurst}");
        Assert.True(jitPeak < fixPeak, $"peak pool RSS: jitter {jitPeak} KiB, fixed {fixPeak} KiB");

        // the limits the workers drew: every recycled child served 10..30 requests, and not all the same
        var requests = LabSandbox.Csv(jitterDir, "requests.csv");
        var served = requests.GroupBy(c => c[4]).ToDictionary(g => g.Key, g => g.Count());
        var recycled = LabSandbox.Csv(jitterDir, "events.csv").Where(c => c[1] == "exit" && c[3] == "code 0;max_requests").Select(c => c[2]).ToList();
        Assert.True(recycled.Count >= 10);
        Assert.All(recycled, pid => Assert.InRange(served[pid], 10, 30));
        Assert.True(recycled.Select(pid => served[pid]).Distinct().Count() >= 4, "the workers drew their own limits");
    }

    [Fact]
    public void Max_rss_is_the_childs_graceful_exit_and_kill_rss_the_masters_sigkill()
    {
        const string Body = """
            [pool]
            pm = "static"
            max_children = 2
            [request]
            leak = "4M"
            work = "1ms"
            wait = "60ms"
            [load]
            iterations = 120
            [[load.phases]]
            phase = "keep-constant"
            copies = 2
            during = "60s"
            """;
        string scenario = _lab.Scenario("rss", Body, sampleInterval: "100ms");
        string graceful = Path.Combine(_lab.Root, "graceful"), evil = Path.Combine(_lab.Root, "evil");

        var r = _lab.Run(scenario, "recycle.max_rss=60M", "--out", graceful);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        var exits = LabSandbox.Csv(graceful, "events.csv").Where(c => c[1] == "exit" && c[3] == "code 0;max_rss").ToList();
        Assert.True(exits.Count >= 3, $"{exits.Count} max_rss exits");
        Assert.All(LabSandbox.Csv(graceful, "requests.csv"), c => Assert.Equal("200", c[5])); // the request completed
        string log = File.ReadAllText(Path.Combine(graceful, "fpm.log"));
        Assert.Contains("recycled by the lab's [recycle] max_rss rule (not a php-fpm directive)", log);
        // each child's last sample stayed within a request's leak (and a sample's lag) of the limit
        var samples = LabSandbox.Csv(graceful, "samples.csv").Where(c => c[2] == "child").ToList();
        foreach (var e in exits)
        {
            long last = samples.Where(s => s[1] == e[2]).Select(s => long.Parse(s[3], CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max();
            Assert.True(last < (60 + 3 * 4) * 1024, $"child {e[2]} reached {last} KiB");
        }

        r = _lab.Run(scenario, "recycle.kill_rss=60M", "recycle.check_interval=200ms", "--out", evil);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        var events = LabSandbox.Csv(evil, "events.csv");
        var killed = events.Where(c => c[1] == "exit" && c[3] == "signal 9;kill_rss").ToList();
        Assert.True(killed.Count >= 3, $"{killed.Count} kill_rss exits");
        Assert.DoesNotContain(events, c => c[1] == "crash");
        Assert.Contains(LabSandbox.Csv(evil, "requests.csv"), c => c[5] == "502"); // a busy child's request fails
    }

    [Fact]
    public void The_php_fpm_engine_refuses_recycle_rules()
    {
        var r = _lab.Run(_lab.Scenario("storm", Storm), "engine=php-fpm", "recycle.jitter=5");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("php-fpm has no such rule", r.Stderr);
        Assert.Empty(Directory.Exists(Path.Combine(_lab.Root, "results")) ? Directory.GetDirectories(Path.Combine(_lab.Root, "results")) : []);
    }
}
