using Lab.Core.Records;
using System.Globalization;
using Lab.Core.Scenarios;

namespace Lab.Pool.Tests;

/// <summary>static, dynamic and ondemand on real processes (generous margins: a shared 2-core machine).</summary>
public class ProcessManagerTests
{
    [Fact]
    public void Static_keeps_max_children_alive()
    {
        using var pool = new TestPool(new PoolSettings { Pm = ProcessManagerStyle.Static, MaxChildren = 3 });
        var pids = pool.ChildPids();
        Assert.Equal(3, pids.Count);
        Sys.Kill(pids[0], 15);
        Assert.True(TestPool.WaitFor(() => !pool.ChildPids().Contains(pids[0]) && pool.ChildPids().Count == 3));
        // and it stays at 3 over maintenance heartbeats
        Thread.Sleep(2500);
        Assert.Equal(3, pool.ChildPids().Count);
    }

    [Fact]
    public async Task Dynamic_spawns_at_a_doubling_rate_under_load_then_kills_the_oldest_idle()
    {
        var settings = new PoolSettings
        {
            Pm = ProcessManagerStyle.Dynamic, MaxChildren = 8, StartServersSetting = 4, MinSpareServers = 4, MaxSpareServers = 6,
        };
        using var pool = new TestPool(settings, FpmLogLevel.Debug);
        var initial = pool.ChildPids().ToHashSet();
        Assert.Equal(4, initial.Count);

        // 10 long requests: every child busy, the rest queued; the heartbeat forks 1, then 2, ... up to max_children
        var load = Enumerable.Range(1, 10).Select(i => pool.SendAsync(TestPool.Query(i, waitMs: 6000))).ToList();
        Assert.True(TestPool.WaitFor(() => pool.Log().Contains("server reached pm.max_children setting (8), consider raising it")), pool.Log());
        Assert.Equal(8, pool.ChildPids().Count);
        foreach (var r in await Task.WhenAll(load)) Assert.Equal(200, r.Status);

        // forks come in heartbeat batches; with a doubling rate one batch holds at least 2
        var spawns = pool.Events().Where(e => e.Event == "spawn" && !initial.Contains(e.Pid)).Select(e => e.T).OrderBy(t => t).ToList();
        Assert.Equal(4, spawns.Count);
        var batches = new List<int>();
        foreach (var t in spawns)
        {
            if (batches.Count > 0 && t - spawns[batches.Sum() - 1] < 0.3) batches[^1]++;
            else batches.Add(1);
        }
        Assert.Equal(1, batches[0]);
        Assert.Contains(batches, b => b >= 2);

        // idle now: 8 > max_spare (6): one idle child killed per second, the oldest-started first
        Assert.True(TestPool.WaitFor(() => pool.ChildPids().Count == 6), string.Join(",", pool.ChildPids()));
        Thread.Sleep(2500);
        Assert.Equal(6, pool.ChildPids().Count);
        var idleKills = pool.Events().Where(e => e.Event == "exit" && e.Detail == "code 0;idle").Select(e => e.Pid).ToList();
        Assert.Equal(2, idleKills.Count);
        Assert.All(idleKills, pid => Assert.Contains(pid, initial)); // the oldest are the initial four
    }

    [Fact]
    public async Task Ondemand_forks_on_demand_and_kills_after_the_idle_timeout()
    {
        var settings = new PoolSettings
        {
            Pm = ProcessManagerStyle.Ondemand, MaxChildren = 3, ProcessIdleTimeout = TimeSpan.FromSeconds(2),
        };
        using var pool = new TestPool(settings, FpmLogLevel.Debug);
        Assert.Empty(pool.ChildPids());

        var r = await pool.SendAsync(TestPool.Query(1));
        Assert.Equal(200, r.Status);
        int pid = int.Parse(r.Header("X-Lab-Pid")!, CultureInfo.InvariantCulture);
        Assert.Equal([pid], pool.ChildPids());

        // arrivals apart in time are separate events: each one that finds no idle child forks one, never more than max_children
        var burst = new List<Task<Lab.FastCgi.FastCgiResponse>>();
        for (int i = 2; i <= 7; i++)
        {
            burst.Add(pool.SendAsync(TestPool.Query(i, waitMs: 3000)));
            await Task.Delay(150);
        }
        Assert.True(TestPool.WaitFor(() => pool.ChildPids().Count == 3), string.Join(",", pool.ChildPids()));
        var oneMore = pool.SendAsync(TestPool.Query(8)); // arrives while all 3 are busy
        Assert.True(TestPool.WaitFor(() => pool.Log().Contains("[pool www] server reached max_children setting (3), consider raising it")), pool.Log());
        foreach (var x in await Task.WhenAll(burst.Append(oneMore))) Assert.Equal(200, x.Status);
        Assert.Equal(3, pool.Events().Count(e => e.Event == "spawn"));

        // idle for longer than pm.process_idle_timeout: killed, and not replaced
        Assert.True(TestPool.WaitFor(() => pool.ChildPids().Count == 0), string.Join(",", pool.ChildPids()));
        var exits = pool.Events().Where(e => e.Event == "exit").ToList();
        Assert.Equal(3, exits.Count); // every child forked, none replaced
        Assert.All(exits, e => Assert.Equal("code 0;idle", e.Detail));
        Assert.Equal(200, (await pool.SendAsync(TestPool.Query(9))).Status); // and forks again on demand
    }
}
