using Lab.Core.ProcessManager;
using Lab.Core.Records;
using Lab.Core.Scenarios;

namespace Lab.Core.Tests;

public class ProcessManagerPolicyTests
{
    private static PoolSettings Dynamic(int max = 100, int min = 5, int maxSpare = 10, int rate = 32) => new()
    { Pm = ProcessManagerStyle.Dynamic, MaxChildren = max, MinSpareServers = min, MaxSpareServers = maxSpare, StartServersSetting = min, MaxSpawnRate = rate };

    [Fact]
    public void Dynamic_spawn_rate_doubles_while_short_of_spare_children()
    {
        var p = new ProcessManagerPolicy(Dynamic(max: 200, min: 100, maxSpare: 150));
        var spawned = new List<int>();
        int running = 0;
        for (int tick = 0; tick < 8; tick++)
        {
            var m = p.Maintain([], running, tick); // every child busy: idle = 0
            spawned.Add(m.Spawn);
            running += m.Spawn;
        }
        Assert.Equal(new[] { 1, 2, 4, 8, 16, 32, 32, 32 }, spawned);
    }

    [Fact]
    public void Seems_busy_is_logged_from_rate_8()
    {
        var p = new ProcessManagerPolicy(Dynamic(max: 200, min: 100, maxSpare: 150));
        var logs = Enumerable.Range(0, 5).Select(i => p.Maintain([], i * 10, i).Log).ToList();
        Assert.All(logs.Take(3), l => Assert.Null(l));
        Assert.Contains("seems busy", logs[3]!.Value.Message);
        Assert.Contains("spawning 8 children", logs[3]!.Value.Message);
        Assert.Equal(FpmLogLevel.Warning, logs[3]!.Value.Level);
    }

    [Fact]
    public void Max_children_is_warned_once_and_counted()
    {
        var p = new ProcessManagerPolicy(Dynamic(max: 4, min: 2, maxSpare: 3));
        var m1 = p.Maintain([], 4, 1);
        var m2 = p.Maintain([], 4, 2);
        Assert.True(m1.MaxChildrenReached);
        Assert.Equal("[pool www] server reached pm.max_children setting (4), consider raising it", m1.Log!.Value.Message);
        Assert.Null(m2.Log);
        Assert.Equal(1, p.MaxChildrenReached);
        Assert.Equal(1, p.IdleSpawnRate);
    }

    [Fact]
    public void Too_many_idle_children_kill_the_oldest_started_one_per_tick()
    {
        var p = new ProcessManagerPolicy(Dynamic(max: 10, min: 1, maxSpare: 2));
        var children = new List<ChildView>
        {
            new(11, 5.0, true, 9), new(12, 1.0, false, 9), new(13, 3.0, true, 1), new(14, 2.0, true, 9), new(15, 4.0, true, 9),
        };
        var m = p.Maintain(children, 5, 10);
        Assert.Equal(14, m.KillPid); // oldest-started among the idle ones (12 is busy)
        Assert.Equal(0, m.Spawn);
    }

    [Fact]
    public void Ondemand_forks_on_accept_only_without_an_idle_child()
    {
        var p = new ProcessManagerPolicy(new PoolSettings { Pm = ProcessManagerStyle.Ondemand, MaxChildren = 2 });
        Assert.Equal(1, p.OnAccept([], 0).Spawn);
        Assert.Equal(0, p.OnAccept([new ChildView(1, 0, true, 0)], 1).Spawn);
        Assert.Equal(1, p.OnAccept([new ChildView(1, 0, false, 0)], 1).Spawn);
        var full = p.OnAccept([new ChildView(1, 0, false, 0), new ChildView(2, 0, false, 0)], 2);
        Assert.Equal(0, full.Spawn);
        Assert.Equal("[pool www] server reached max_children setting (2), consider raising it", full.Log!.Value.Message);
    }

    [Fact]
    public void Ondemand_kills_the_oldest_idle_child_after_the_idle_timeout()
    {
        var p = new ProcessManagerPolicy(new PoolSettings { Pm = ProcessManagerStyle.Ondemand, MaxChildren = 5, ProcessIdleTimeout = TimeSpan.FromSeconds(10) });
        var kids = new List<ChildView> { new(7, 1, true, 2.5), new(8, 0.5, false, 0) };
        Assert.Equal(0, p.Maintain(kids, 2, 12.9).KillPid); // 2 < 12 - 10 is false
        Assert.Equal(7, p.Maintain(kids, 2, 13.0).KillPid); // 2 < 13 - 10
    }

    [Fact]
    public void Static_pools_are_left_alone()
    {
        var p = new ProcessManagerPolicy(new PoolSettings { Pm = ProcessManagerStyle.Static, MaxChildren = 3 });
        Assert.Equal(Maintenance.None, p.Maintain([], 0, 1));
        Assert.Equal(3, p.Settings.InitialChildren);
    }

    [Fact]
    public void An_idle_child_still_idle_after_its_sigquit_gets_sigkill()
    {
        // php 8.2's fpm_pctl_kill_idle_child
        var p = new ProcessManagerPolicy(new PoolSettings { Pm = ProcessManagerStyle.Ondemand, MaxChildren = 3, ProcessIdleTimeout = TimeSpan.FromSeconds(1) });
        var first = p.Maintain([new(7, 0, true, 0)], 1, 5);
        Assert.Equal((7, 3), (first.KillPid, first.KillSignal));
        var again = p.Maintain([new(7, 0, true, 0, IdleKill: true)], 1, 6);
        Assert.Equal((7, 9), (again.KillPid, again.KillSignal));
    }

    [Fact]
    public void Start_servers_defaults_like_php_fpm()
    {
        Assert.Equal(2, new PoolSettings { MinSpareServers = 1, MaxSpareServers = 3 }.StartServers);
        Assert.Equal(7, new PoolSettings { MinSpareServers = 5, MaxSpareServers = 10 }.StartServers);
        Assert.Equal(0, new PoolSettings { Pm = ProcessManagerStyle.Ondemand }.InitialChildren);
    }
}
