using System.Diagnostics;
using System.Globalization;

namespace Lab.Cli.Tests;

/// <summary>
/// Issue 4's checks on real processes (engine dotnet), through the command line a user types.
/// Counts, orders and ratios with margins; never wall-clock limits.
/// </summary>
[Collection("real processes")]
public class DotnetEngineTests : IDisposable
{
    private readonly LabSandbox _lab = new();
    public void Dispose() => _lab.Dispose();

    private string Scenario(string name, string body) => _lab.Scenario(name, body);

    private static List<string[]> Csv(string dir, string file) => LabSandbox.Csv(dir, file);

    private const string TwoChildren = """
        [pool]
        pm = "static"
        max_children = 2
        max_requests = 5
        memory_limit = "64M"
        [request]
        leak = "4M"
        work = "5ms"
        wait = "100ms"
        [load]
        iterations = 40
        [[load.phases]]
        phase = "keep-constant"
        copies = 2
        during = "60s"
        """;

    [Fact]
    public void Max_requests_recycles_every_child_after_exactly_five_and_rss_grows_by_the_leak()
    {
        string dir = Path.Combine(_lab.Root, "out");
        var r = _lab.Run(Scenario("two", TwoChildren), "--out", dir);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);

        var requests = Csv(dir, "requests.csv");
        Assert.Equal(40, requests.Count);
        Assert.All(requests, c => Assert.Equal("200", c[5]));
        var served = requests.GroupBy(c => c[4]).ToDictionary(g => int.Parse(g.Key, CultureInfo.InvariantCulture), g => g.Count());
        Assert.True(served.Count >= 8, $"{served.Count} child PIDs");
        Assert.True(served.Values.Count(n => n < 5) <= 2, "only the two children alive at the end may have served fewer");
        Assert.All(served.Values, n => Assert.InRange(n, 1, 5));

        var samples = Csv(dir, "samples.csv").Where(c => c[2] == "child").ToList();
        Assert.True(samples.Select(c => c[1]).Distinct().Count() >= 8);

        var events = Csv(dir, "events.csv");
        var exits = events.Where(c => c[1] == "exit" && c[3] == "code 0;max_requests").Select(c => int.Parse(c[2], CultureInfo.InvariantCulture)).ToHashSet();
        string log = File.ReadAllText(Path.Combine(dir, "fpm.log"));
        foreach (var (pid, n) in served)
        {
            if (n < 5) continue;
            Assert.Contains(pid, exits);   // served exactly 5, then exited with code 0
            Assert.Contains($"child {pid} exited with code 0 after ", log);
        }
        Assert.True(exits.Count >= 6);

        // RSS per request, fitted over the samples of every PID: the leak within 10%
        string summary = File.ReadAllText(Path.Combine(dir, "summary.json"));
        double leak = double.Parse(System.Text.RegularExpressions.Regex.Match(summary, "\"leak_kb_per_request\": ([0-9.]+)").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.InRange(leak, 4096 * 0.9, 4096 * 1.1);

        // every request carries its child's RSS right after it (the worker's own /proc/self/statm):
        // 4 MiB more after each of a child's requests
        Assert.All(requests, c => Assert.True(c[9].Length > 0 && double.Parse(c[9], CultureInfo.InvariantCulture) > 1000, $"request {c[0]}: rss_kb '{c[9]}'"));
        foreach (var g in requests.GroupBy(c => c[4]).Where(g => g.Count() >= 4))
        {
            var rss = g.OrderBy(c => double.Parse(c[3], CultureInfo.InvariantCulture)).Select(c => double.Parse(c[9], CultureInfo.InvariantCulture)).ToList();
            Assert.InRange((rss[3] - rss[0]) / 3, 4096 * 0.95, 4096 * 1.05);
        }
        // one source for the counts: the terminal, summary.json, the plot's legend and the report agree
        Assert.Empty(CountAgreement.Check(dir, r.Stdout));
    }

    [Fact]
    public void Ps_log_shows_every_sample_as_a_ps_aux_line()
    {
        string name = Scenario("idle", """
            [pool]
            pm = "static"
            max_children = 1
            [request]
            leak = "8M"
            work = "1ms"
            [[load.phases]]
            phase = "inject"
            rate = 2
            during = "2s"
            """);
        string dir = Path.Combine(_lab.Root, "ps");
        var r = _lab.Run(name, "--out", dir);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        string ps = File.ReadAllText(Path.Combine(dir, "ps.log"));
        Assert.Contains("USER       PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND", ps);
        Assert.Contains("lab-fpm: master process", ps);
        Assert.Contains("lab-fpm: pool www", ps);
        foreach (var c in Csv(dir, "samples.csv"))
            Assert.Matches($@"\n\S+ +{c[1]} +\S+ +\S+ +{c[4]} +{c[3]} ", ps);
    }

    [Fact]
    public void Kill_child_mid_request_fails_that_request_and_the_pool_replaces_the_child()
    {
        string name = Scenario("crash", """
            [pool]
            pm = "static"
            max_children = 1
            [request]
            leak = "1M"
            wait = "400ms"
            [load]
            iterations = 10
            [[load.phases]]
            phase = "keep-constant"
            copies = 1
            during = "30s"
            [[actions]]
            at = "1s"
            action = "kill-child"
            target = "busy"
            signal = "KILL"
            """);
        string dir = Path.Combine(_lab.Root, "crash");
        var r = _lab.Run(name, "--out", dir);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        var requests = Csv(dir, "requests.csv");
        Assert.Equal(10, requests.Count);
        Assert.Equal(1, requests.Count(c => c[5] == "502"));
        Assert.Equal(9, requests.Count(c => c[5] == "200"));
        var events = Csv(dir, "events.csv");
        var crash = events.Single(c => c[1] == "crash");
        Assert.Contains(events, c => c[1] == "exit" && c[2] == crash[2] && c[3] == "signal 9;kill-child");
        int spawnsAfter = events.Count(c => c[1] == "spawn" && double.Parse(c[0], CultureInfo.InvariantCulture) >= double.Parse(crash[0], CultureInfo.InvariantCulture));
        Assert.True(spawnsAfter >= 1);
        Assert.Contains($"child {crash[2]} exited on signal 9 (SIGKILL)", File.ReadAllText(Path.Combine(dir, "fpm.log")));
        // the requests after the crash are served by another PID
        Assert.NotEqual(requests[0][4], requests[^1][4]);
    }

    [Fact]
    public void Memory_limit_fails_the_request_and_the_same_child_serves_the_next()
    {
        string name = Scenario("limit", """
            [pool]
            pm = "static"
            max_children = 1
            memory_limit = "8M"
            [request]
            leak = "1M"
            transient = { dist = "uniform", min = "0K", max = "16M" }
            work = "2ms"
            [load]
            iterations = 30
            [[load.phases]]
            phase = "keep-constant"
            copies = 1
            during = "30s"
            """);
        string dir = Path.Combine(_lab.Root, "limit");
        var r = _lab.Run(name, "--out", dir);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        var requests = Csv(dir, "requests.csv");
        Assert.Single(requests.Select(c => c[4]).Distinct());      // one child all along
        Assert.Contains(requests, c => c[5] == "500");
        for (int i = 0; i + 1 < requests.Count; i++)
            if (requests[i][5] == "500") { Assert.Equal(requests[i][4], requests[i + 1][4]); }
        Assert.Contains(requests, c => c[5] == "200");
        Assert.Contains("Allowed memory size of 8388608 bytes exhausted", File.ReadAllText(Path.Combine(dir, "fpm.log")));
        Assert.Contains(Csv(dir, "events.csv"), c => c[1] == "memory_limit");
    }

    [Fact]
    public void The_memory_guard_stops_a_runaway_leak_and_keeps_a_readable_folder()
    {
        string name = Scenario("runaway", """
            [pool]
            pm = "static"
            max_children = 1
            [request]
            leak = "16M"
            work = "1ms"
            [[load.phases]]
            phase = "inject"
            rate = 20
            during = "30s"
            [guard]
            max_rss = "200M"
            """);
        string dir = Path.Combine(_lab.Root, "guard");
        var r = _lab.Run(name, "--out", dir);
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("memory guard", r.Stderr);
        string manifest = File.ReadAllText(Path.Combine(dir, "manifest.json"));
        Assert.Contains("\"status\": \"incomplete\"", manifest);
        Assert.Contains("guard", manifest);
        Assert.True(Csv(dir, "samples.csv").Count > 2);
        Assert.Contains(Csv(dir, "events.csv"), c => c[1] == "guard");
        Assert.Empty(Orphans.Of(dir));
    }

    /// <summary>
    /// The guard samples at its own 10 Hz: with a 4 s sample interval it still stops a pool whose
    /// RSS grows by hundreds of MiB a second within a second of crossing guard.max_rss (the sampler
    /// would only have looked at 4 s).
    /// </summary>
    [Fact]
    public void The_memory_guard_is_not_outrun_between_two_samples()
    {
        string name = _lab.Scenario("outrun", """
            [pool]
            pm = "static"
            max_children = 4
            [request]
            leak = "16M"
            work = "1ms"
            [[load.phases]]
            phase = "inject"
            rate = 20
            during = "30s"
            [guard]
            max_rss = "256M"
            """, sampleInterval: "4s");
        string dir = Path.Combine(_lab.Root, "outrun");
        var r = _lab.Run(name, "--out", dir);
        Assert.Equal(3, r.ExitCode);
        var guard = Assert.Single(Csv(dir, "events.csv"), c => c[1] == "guard");
        double stoppedAt = double.Parse(guard[0], CultureInfo.InvariantCulture);
        // when the pool crossed 256 MiB: the first request's end at which the master and the
        // children, each at its last known RSS, added up past it
        var run = Lab.Results.RunFolder.Open(dir);
        var ledger = new Lab.Results.Lives.PoolLedger();
        double crossed = double.NaN;
        foreach (var (kind, row) in Lab.Results.Reading.RunReplay.Steps(run))
        {
            if (kind == Lab.Results.Reading.ReplayKind.Event) ledger.Event(run.Events[row]);
            else if (kind == Lab.Results.Reading.ReplayKind.Sample) ledger.Sample(run.Samples[row]);
            else if (kind == Lab.Results.Reading.ReplayKind.Request && ledger.Request(run.Requests[row]) is not null
                     && double.IsNaN(crossed) && ledger.PoolRssKb >= 256 * 1024)
                crossed = run.Requests.TEnd[row];
        }
        Assert.False(double.IsNaN(crossed), "the pool never crossed 256 MiB in the records");
        Assert.True(stoppedAt - crossed <= 1.0, $"crossed 256 MiB at {crossed:0.000} s, stopped at {stoppedAt:0.000} s");
        Assert.True(stoppedAt < 4, "stopped before the sampler's second tick");
        Assert.Empty(Orphans.Of(dir));
    }

    [Fact]
    public void No_process_is_left_after_a_run_after_ctrl_c_and_after_the_lab_is_killed()
    {
        string name = Scenario("long", """
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
        // a normal end
        string done = Path.Combine(_lab.Root, "done");
        Assert.Equal(0, _lab.Run(name, "duration=2s", "--out", done).ExitCode);
        Assert.Empty(Orphans.Of(done));

        foreach (var (signal, expectExit) in new[] { ("INT", 3), ("KILL", 137) })
        {
            string dir = Path.Combine(_lab.Root, "sig-" + signal);
            using var p = _lab.Start(name, "--out", dir);
            Orphans.WaitForPool(dir);
            Process.Start("kill", $"-{signal} {p.Id}")!.WaitForExit();
            p.WaitForExit(60_000);
            Assert.True(p.HasExited);
            Assert.Equal(expectExit, p.ExitCode); // 3: incomplete; 137: killed by SIGKILL (128 + 9)
            Assert.True(Orphans.WaitUntilGone(dir), "processes of the run are still alive: " + string.Join(", ", Orphans.Of(dir)));
            Assert.True(File.Exists(Path.Combine(dir, "samples.csv")));
        }
    }
}
