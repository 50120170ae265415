using Lab.Core.Records;
using System.Globalization;
using Lab.Core.Scenarios;
using Lab.FastCgi;

namespace Lab.Pool.Tests;

/// <summary>The children's lives: max_requests recycling, the leak in RSS, memory_limit, crashes, timeouts, reload.</summary>
public class PoolLifecycleTests
{
    private static PoolSettings Static(int children, int maxRequests = 0) =>
        new() { Pm = ProcessManagerStyle.Static, MaxChildren = children, MaxRequests = maxRequests };

    [Fact]
    public async Task Max_requests_recycles_every_child_after_exactly_N_requests()
    {
        using var pool = new TestPool(Static(2, maxRequests: 5));
        var served = new Dictionary<int, List<int>>();
        for (int i = 1; i <= 40; i++)
        {
            var r = await pool.SendAsync(TestPool.Query(i));
            Assert.Equal(200, r.Status);
            int pid = int.Parse(r.Header("X-Lab-Pid")!, CultureInfo.InvariantCulture);
            int n = int.Parse(r.Header("X-Lab-Requests")!, CultureInfo.InvariantCulture);
            (served.TryGetValue(pid, out var l) ? l : served[pid] = new()).Add(n);
        }
        Assert.True(served.Count >= 8, $"{served.Count} distinct children");
        // each child counted its requests 1, 2, 3, ...; the (at most 2) children still running at
        // the end may have served fewer, every other one served exactly 5
        foreach (var counts in served.Values) Assert.Equal(Enumerable.Range(1, counts.Count), counts);
        var finished = served.Where(kv => kv.Value.Count == 5).Select(kv => kv.Key).ToList();
        Assert.True(served.Count - finished.Count <= 2, string.Join(" ", served.Select(kv => $"{kv.Key}:{kv.Value.Count}")));
        Assert.True(finished.Count >= 7);

        // every one of them exited with code 0 after its 5th request, and php-fpm logged it
        Assert.True(TestPool.WaitFor(() => finished.All(pid => pool.Log().Contains($"child {pid} exited with code 0 after"))), pool.Log());
        foreach (var line in pool.LogLines()) Assert.Matches(TestPool.FpmLine, line);
        var exits = pool.Events().Where(e => e.Event == "exit").ToList();
        Assert.All(finished, pid => Assert.Contains(exits, e => e.Pid == pid && e.Detail == "code 0;max_requests"));
        Assert.All(served.Keys.Except(finished), pid => Assert.True(TestPool.Alive(pid)));
        // each exit was followed by a respawn, NOTICE "child N started"
        Assert.True(TestPool.WaitFor(() => pool.LogLines().Count(l => l.Contains("NOTICE: [pool www] child ") && l.EndsWith(" started")) >= finished.Count));
    }

    [Fact]
    public async Task Rss_grows_by_the_leak_on_every_request()
    {
        using var pool = new TestPool(Static(1));
        int pid = pool.ChildPids().Single();
        const long leakKb = 4096;
        long before = TestPool.StatmRssKb(pid);
        var rss = new List<long> { before };
        for (int i = 1; i <= 6; i++)
        {
            var r = await pool.SendAsync(TestPool.Query(i, leakKb: leakKb));
            Assert.Equal(pid, int.Parse(r.Header("X-Lab-Pid")!, CultureInfo.InvariantCulture));
            long now = TestPool.StatmRssKb(pid);
            rss.Add(now);
            // /proc/PID/statm agrees with ps (the child is idle between requests)
            long ps = long.Parse(TestPool.Run("ps", "-o", "rss=", "-p", pid.ToString(CultureInfo.InvariantCulture)).Trim(), CultureInfo.InvariantCulture);
            Assert.InRange(ps, now - 64, now + 64);
        }
        for (int i = 2; i < rss.Count; i++)
        {
            long growth = rss[i] - rss[i - 1];
            Assert.InRange(growth, leakKb * 0.9, leakKb * 1.1);
        }
        Assert.InRange(rss[^1] - rss[1], leakKb * 5 * 0.9, leakKb * 5 * 1.1);
    }

    [Fact]
    public async Task Memory_limit_fails_the_request_and_the_child_lives_on()
    {
        // 4M: PHP's first 2 MiB heap chunk counts, so a 1 MiB string fits and a 4 MiB one does not
        using var pool = new TestPool(Static(1) with { MemoryLimitBytes = 4L << 20 });
        var failed = await pool.SendAsync(TestPool.Query(1, transientKb: 4096));
        Assert.Equal(500, failed.Status);
        string expected = "Allowed memory size of 4194304 bytes exhausted (tried to allocate 4194336 bytes)";
        Assert.Contains("PHP Fatal error:  " + expected, failed.BodyText);
        Assert.Contains(expected, failed.Stderr);

        var ok = await pool.SendAsync(TestPool.Query(2, transientKb: 1024));
        Assert.Equal(200, ok.Status);
        Assert.Equal(failed.Header("X-Lab-Pid"), ok.Header("X-Lab-Pid"));
        Assert.Equal("2", ok.Header("X-Lab-Requests"));
        // the child's stderr reached the master's log (catch_workers_output, decorated as php-fpm does)
        int pid = int.Parse(failed.Header("X-Lab-Pid")!, CultureInfo.InvariantCulture);
        string said = $"WARNING: [pool www] child {pid} said into stderr: \"NOTICE: PHP message: PHP Fatal error:  {expected} in /lab/php/leak.php on line 1\"";
        Assert.True(TestPool.WaitFor(() => pool.Log().Contains(said)), pool.Log());
        Assert.Contains(pool.Events(), e => e.Event == "memory_limit");
    }

    [Fact]
    public async Task Kill_9_mid_request_fails_that_request_and_a_new_child_is_spawned()
    {
        using var pool = new TestPool(Static(1));
        int victim = pool.ChildPids().Single();
        var inFlight = pool.SendAsync(TestPool.Query(1, waitMs: 10_000));
        Assert.True(TestPool.WaitFor(() => pool.Master.Children().Any(c => c.Pid == victim && c.Stage == Lab.Core.Status.RequestStage.Running)));
        Sys.Kill(victim, 9);
        await Assert.ThrowsAsync<FastCgiConnectionLostException>(() => inFlight);

        Assert.True(TestPool.WaitFor(() => pool.Log().Contains($"child {victim} exited on signal 9 (SIGKILL) after")), pool.Log());
        Assert.True(TestPool.WaitFor(() => pool.ChildPids().Any(p => p != victim)));
        int replacement = pool.ChildPids().Single();
        Assert.Contains($"child {replacement} started", pool.Log());
        var next = await pool.SendAsync(TestPool.Query(2));
        Assert.Equal(200, next.Status);
        Assert.Equal(replacement.ToString(CultureInfo.InvariantCulture), next.Header("X-Lab-Pid"));
        Assert.Contains(pool.Events(), e => e.Event == "exit" && e.Pid == victim && e.Detail == "signal 9;crash");
    }

    [Fact]
    public async Task Kill_child_action_is_reported_as_kill_child_not_crash()
    {
        using var pool = new TestPool(Static(2));
        int killed = pool.KillChild(ChildSelector.Oldest, 9);
        Assert.NotEqual(0, killed);
        Assert.True(TestPool.WaitFor(() => pool.Events().Any(e => e.Event == "exit" && e.Pid == killed)));
        Assert.Contains(pool.Events(), e => e.Event == "exit" && e.Pid == killed && e.Detail == "signal 9;kill-child");
        Assert.True(TestPool.WaitFor(() => pool.ChildPids().Count == 2 && !pool.ChildPids().Contains(killed)));
        Assert.Equal(200, (await pool.SendAsync(TestPool.Query(1))).Status);
    }

    [Fact]
    public async Task Request_terminate_timeout_kills_a_stuck_child_with_php_fpm_s_line()
    {
        using var pool = new TestPool(Static(1) with { RequestTerminateTimeout = TimeSpan.FromSeconds(1) });
        int stuck = pool.ChildPids().Single();
        await Assert.ThrowsAsync<FastCgiConnectionLostException>(() => pool.SendAsync(TestPool.Query(1, waitMs: 20_000)));
        string log = pool.Log();
        Assert.Matches($@"WARNING: \[pool www\] child {stuck}, script '/lab/php/leak.php' \(request: ""GET /leak.php\?id=1&leak_kb=0&transient_kb=0&work_ms=0&wait_ms=20000""\) execution timed out \(\d+\.\d{{6}} sec\), terminating", log);
        Assert.True(TestPool.WaitFor(() => pool.Log().Contains($"child {stuck} exited on signal 15 (SIGTERM)")), pool.Log());
        Assert.Contains(pool.Events(), e => e.Event == "exit" && e.Pid == stuck && e.Detail == "signal 15;timeout");
        Assert.True(TestPool.WaitFor(() => pool.ChildPids().Count == 1 && pool.ChildPids()[0] != stuck));
        Assert.Equal(200, (await pool.SendAsync(TestPool.Query(2, waitMs: 10))).Status);
    }

    [Fact]
    public async Task Slow_requests_are_logged_and_counted()
    {
        using var pool = new TestPool(Static(1) with { RequestSlowlogTimeout = TimeSpan.FromSeconds(1) });
        Assert.Equal(200, (await pool.SendAsync(TestPool.Query(1, waitMs: 1600))).Status);
        Assert.Contains("executing too slow", pool.Log());
        int child = pool.ChildPids().Single();
        // php-fpm's trace: the child is stopped, traced into the slow log, continued
        Assert.True(TestPool.WaitFor(() => pool.Log().Contains($"finished trace of {child}")), pool.Log());
        Assert.Contains($"NOTICE: child {child} stopped for tracing", pool.Log());
        Assert.Contains($"NOTICE: about to trace {child}", pool.Log());
        Assert.Contains($"[pool www] pid {child}\nscript_filename = /lab/php/leak.php", File.ReadAllText(Path.Combine(pool.Dir, "slow.log")));
        var status = await pool.SendAsync("", "/status");
        Assert.Contains("slow requests:        1\n", status.BodyText);
    }

    [Fact]
    public async Task Reload_applies_the_rewritten_configuration_with_the_same_master()
    {
        using var pool = new TestPool(Static(1) with { ProcessControlTimeout = TimeSpan.FromSeconds(10) }, FpmLogLevel.Debug);
        int master = pool.Master.Pid;
        var first = new List<string?>();
        for (int i = 1; i <= 3; i++) first.Add((await pool.SendAsync(TestPool.Query(i))).Header("X-Lab-Requests"));
        Assert.Equal(["1", "2", "3"], first);
        int oldChild = pool.ChildPids().Single();

        pool.WriteConfig(pool.Settings with { MaxRequests = 2, MaxChildren = 2 });
        pool.Master.Reload();
        Assert.True(TestPool.WaitFor(() => pool.Log().Split("ready to handle connections").Length == 3), pool.Log());
        Assert.True(pool.Master.WaitUntilReady(TimeSpan.FromSeconds(20)));
        Assert.Contains("Reloading in progress ...", pool.Log());
        Assert.Contains("reloading: execvp(", pool.Log());
        Assert.Contains("using inherited socket fd=", pool.Log());
        Assert.True(TestPool.WaitFor(() => !TestPool.Alive(oldChild)));

        var counts = new List<int>();
        var pids = new HashSet<string>();
        for (int i = 4; i <= 11; i++)
        {
            var r = await pool.SendAsync(TestPool.Query(i));
            Assert.Equal(200, r.Status);
            counts.Add(int.Parse(r.Header("X-Lab-Requests")!, CultureInfo.InvariantCulture));
            pids.Add(r.Header("X-Lab-Pid")!);
        }
        Assert.All(counts, c => Assert.InRange(c, 1, 2));   // the new max_requests (2) applies
        Assert.True(pids.Count >= 4);
        Assert.False(pool.Master.HasExited);
        Assert.Equal(master, pool.Master.Pid);
        Assert.True(TestPool.WaitFor(() => pool.ChildPids().Count == 2)); // the new max_children (static)
        Thread.Sleep(1500);
        Assert.Equal(2, pool.ChildPids().Count);
        Assert.Contains(pool.Events(), e => e.Event == "exit" && e.Pid == oldChild && e.Detail == "code 0;reload");
    }

    [Fact]
    public async Task A_reload_with_a_process_control_timeout_lets_a_busy_child_finish_its_request()
    {
        using var pool = new TestPool(Static(1) with { ProcessControlTimeout = TimeSpan.FromSeconds(10) });
        int child = pool.ChildPids().Single();
        var busy = pool.SendAsync(TestPool.Query(1, waitMs: 1500));
        Assert.True(TestPool.WaitFor(() => pool.Master.Children().Any(c => c.Stage == Lab.Core.Status.RequestStage.Running)));
        pool.Master.Reload();
        var r = await busy;
        Assert.Equal(200, r.Status);
        Assert.Equal(child.ToString(CultureInfo.InvariantCulture), r.Header("X-Lab-Pid"));
        // a request sent during the reload waits in the backlog and is served by a new child
        var after = await pool.SendAsync(TestPool.Query(2));
        Assert.Equal(200, after.Status);
        Assert.NotEqual(child.ToString(CultureInfo.InvariantCulture), after.Header("X-Lab-Pid"));
    }
}
