using System.Globalization;
using System.Net.Sockets;
using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.FastCgi;

namespace Lab.Pool.Tests;

/// <summary>The dotnet master carries out Lab.Core's process control and php-fpm 8.2's rules on real processes.</summary>
public class ProcessControlTests
{
    private static PoolSettings Static(int children) => new() { Pm = ProcessManagerStyle.Static, MaxChildren = children };

    [Fact]
    public async Task A_reload_with_the_default_process_control_timeout_cuts_the_busy_request()
    {
        using var pool = new TestPool(Static(2), FpmLogLevel.Debug);
        var busy = pool.SendAsync(TestPool.Query(1, waitMs: 3000));
        Assert.True(TestPool.WaitFor(() => pool.Master.Children().Any(c => c.Stage == Lab.Core.Status.RequestStage.Running)));
        pool.Master.Reload();
        await Assert.ThrowsAsync<FastCgiConnectionLostException>(() => busy); // the child got SIGTERM on the master's next pass
        Assert.True(TestPool.WaitFor(() => pool.Log().Split("ready to handle connections").Length == 3), pool.Log());
        string log = pool.Log();
        Assert.Contains("switching to 'reloading' state", log);
        Assert.Contains("sending signal 3 SIGQUIT to child", log);
        Assert.Contains("sending signal 15 SIGTERM to child", log);
        Assert.DoesNotContain("still alive, sending", log); // no line php-fpm does not write
        Assert.Contains(pool.Events(), e => e.Event == "exit" && e.Detail == "signal 15;reload");
        Assert.Equal(200, (await pool.SendAsync(TestPool.Query(2))).Status);
    }

    [Fact]
    public void Segfaults_past_the_threshold_make_the_master_reload()
    {
        using var pool = new TestPool(Static(2) with { EmergencyRestartThreshold = 2, EmergencyRestartInterval = TimeSpan.FromSeconds(30) }, FpmLogLevel.Debug);
        var first = pool.ChildPids();
        Sys.Kill(first[0], 11);
        Assert.True(TestPool.WaitFor(() => pool.Log().Contains($"child {first[0]} exited on signal 11 (SIGSEGV)")));
        Sys.Kill(first[1], 11);
        Assert.True(TestPool.WaitFor(() => pool.Log().Split("ready to handle connections").Length == 3), pool.Log());
        Assert.Contains("WARNING: pid", pool.Log());
        Assert.Contains("failed processes threshold (2 in 30 sec) is reached, initiating reload", pool.Log());
        Assert.Contains(pool.Events(), e => e.Event == "reload" && e.Detail == "emergency_restart;2 failed in 30 s");
    }

    [Fact]
    public void An_idle_child_that_ignores_sigquit_is_killed_at_the_next_pass_and_replaced()
    {
        var settings = new PoolSettings { Pm = ProcessManagerStyle.Ondemand, MaxChildren = 2, ProcessIdleTimeout = TimeSpan.FromSeconds(1) };
        using var pool = new TestPool(settings, FpmLogLevel.Debug);
        Assert.Equal(200, pool.SendAsync(TestPool.Query(1)).GetAwaiter().GetResult().Status);
        int child = pool.ChildPids().Single();
        Sys.Kill(child, 19); // SIGSTOP: it cannot act on the idle kill's SIGQUIT
        Assert.True(TestPool.WaitFor(() => pool.Log().Contains($"child {child} exited on signal 9 (SIGKILL)"), TimeSpan.FromSeconds(20)), pool.Log());
        Assert.Contains($"child {child} stopped for tracing", pool.Log());
        // the respawn follows the burial: on a loaded machine its event may come a moment after the SIGKILL's line
        TestPool.WaitFor(() => pool.Events().Any(e => e.Event == "spawn" && e.Detail == "respawn"), TimeSpan.FromSeconds(10));
        Assert.Contains(pool.Events(), e => e.Event == "spawn" && e.Detail == "respawn");
    }

    [Fact]
    public async Task A_full_unix_socket_backlog_refuses_after_backlog_plus_one_and_the_status_shows_no_queue()
    {
        using var pool = new TestPool(Static(1) with { ListenBacklog = 2 });
        var busy = pool.SendAsync(TestPool.Query(1, waitMs: 4000));
        Assert.True(TestPool.WaitFor(() => pool.Master.Children().Any(c => c.Stage == Lab.Core.Status.RequestStage.Running)));
        var held = new List<Socket>();
        int refused = 0;
        for (int i = 0; i < 6; i++)
        {
            var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { Blocking = false };
            try { s.Connect(pool.EndPoint); held.Add(s); }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock) { refused++; s.Dispose(); }
        }
        Assert.Equal((3, 3), (held.Count, refused)); // listen.backlog + 1 wait, the rest is refused at once (EAGAIN)
        foreach (var s in held) s.Dispose();
        Assert.Equal(200, (await busy).Status);
        var status = (await pool.SendAsync("", "/status", TimeSpan.FromSeconds(30))).BodyText;
        Assert.Contains("listen queue:         0\n", status);
        Assert.Contains("max listen queue:     0\n", status);
        Assert.Contains("listen queue len:     0\n", status);
    }

    [Fact]
    public void An_unset_start_servers_is_noticed()
    {
        using var pool = new TestPool(new PoolSettings { Pm = ProcessManagerStyle.Dynamic, MaxChildren = 4, MinSpareServers = 1, MaxSpareServers = 3 });
        Assert.Contains("NOTICE: [pool www] pm.start_servers is not set. It's been set to 2.", pool.Log());
        Assert.Equal(2, pool.ChildPids().Count);
    }
}
