using Lab.Core.Records;
using System.Diagnostics;
using System.Globalization;
using Lab.Core.Paths;
using Lab.Core.Scenarios;

namespace Lab.Pool.Tests;

/// <summary>No process of the pool outlives its master, whatever ends it.</summary>
public class NoOrphanTests
{
    private static PoolSettings Pool => new() { Pm = ProcessManagerStyle.Static, MaxChildren = 3 };

    [Theory]
    [InlineData(15)] // SIGTERM
    [InlineData(2)]  // SIGINT (Ctrl-C)
    public void Sigterm_or_sigint_to_the_master_ends_every_child_and_logs_bye_bye(int signal)
    {
        using var pool = new TestPool(Pool);
        var all = pool.ChildPids().Append(pool.Master.Pid).ToList();
        Assert.Equal(4, all.Count);
        Assert.True(pool.Master.Stop(signal, TimeSpan.FromSeconds(20)));
        Assert.Equal(0, pool.Master.ExitCode);
        Assert.True(TestPool.WaitFor(() => all.All(p => !TestPool.Alive(p))), string.Join(",", all.Where(TestPool.Alive)));
        var lines = pool.LogLines();
        Assert.EndsWith("NOTICE: exiting, bye-bye!", lines[^1]);
        Assert.Contains(lines, l => l.EndsWith("NOTICE: Terminating ..."));
        Assert.False(File.Exists(pool.SocketPath));
        Assert.False(File.Exists(pool.PidFile));
    }

    [Fact]
    public async Task Sigquit_finishes_the_running_request_before_the_master_exits()
    {
        // with a process_control_timeout: php-fpm's default (0) would SIGTERM the busy child at once
        using var pool = new TestPool(new PoolSettings { Pm = ProcessManagerStyle.Static, MaxChildren = 1, ProcessControlTimeout = TimeSpan.FromSeconds(10) },
            FpmLogLevel.Debug);
        var busy = pool.SendAsync(TestPool.Query(1, waitMs: 1500));
        Assert.True(TestPool.WaitFor(() => pool.Master.Children().Any(c => c.Stage == Lab.Core.Status.RequestStage.Running)));
        pool.Master.Signal(3);
        Assert.Equal(200, (await busy).Status);
        await pool.Master.Exited.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(0, pool.Master.ExitCode);
        Assert.Contains("] NOTICE: pid ", pool.Log());
        Assert.Contains("Finishing ...", pool.Log());
        Assert.Contains(pool.Events(), e => e.Event == "exit" && e.Detail == "code 0;shutdown");
    }

    [Fact]
    public async Task Restart_replaces_the_master_and_its_children()
    {
        using var pool = new TestPool(Pool);
        var old = pool.ChildPids().Append(pool.Master.Pid).ToList();
        var restarted = pool.Master.Restart(15, TimeSpan.FromSeconds(20));
        try
        {
            Assert.True(restarted.WaitUntilReady(TimeSpan.FromSeconds(20)));
            Assert.NotEqual(old[^1], restarted.Pid);
            Assert.All(old, p => Assert.False(TestPool.Alive(p)));
            Assert.Equal(200, (await pool.SendAsync(TestPool.Query(1))).Status);
        }
        finally
        {
            var pids = restarted.Children().Select(c => c.Pid).Append(restarted.Pid).ToList();
            restarted.Dispose();
            Assert.True(TestPool.WaitFor(() => pids.All(p => !TestPool.Alive(p))));
        }
    }

    [Fact]
    public void Sigkill_of_the_master_kills_the_children_by_their_parent_death_signal()
    {
        using var pool = new TestPool(Pool);
        var children = pool.ChildPids();
        Sys.Kill(pool.Master.Pid, 9);
        Assert.True(TestPool.WaitFor(() => children.All(p => !TestPool.Alive(p))), string.Join(",", children.Where(TestPool.Alive)));
    }

    [Fact]
    public void Sigkill_of_the_process_that_launched_the_master_ends_the_whole_pool()
    {
        TestPool.RequireBinaries();
        using var pool = new TestPool(Pool, start: false);
        // a stand-in for the lab: a shell that starts the master and waits; then it is SIGKILLed
        var psi = new ProcessStartInfo("/bin/sh")
        {
            ArgumentList = { "-c", $"\"$0\" --fpm-config \"$1\" -F --worker \"$2\" & echo $! > \"$3\"; wait", LabPaths.PoolMaster, pool.ConfigPath, LabPaths.Worker, Path.Combine(pool.Dir, "master.pid") },
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        using var shell = Process.Start(psi)!;
        try
        {
            Assert.True(TestPool.WaitFor(() => File.Exists(pool.PidFile)), "the master did not start");
            int master = int.Parse(File.ReadAllText(pool.PidFile).Trim(), CultureInfo.InvariantCulture);
            Assert.True(TestPool.WaitFor(() => TestPool.ProcChildren(master).Count == 3));
            var all = TestPool.ProcChildren(master).Append(master).ToList();

            Sys.Kill(shell.Id, 9);
            Assert.True(TestPool.WaitFor(() => all.All(p => !TestPool.Alive(p))), string.Join(",", all.Where(TestPool.Alive)));
            Assert.Contains("NOTICE: Terminating ...", pool.Log()); // the master got SIGTERM, and stopped its children itself
        }
        finally
        {
            if (!shell.HasExited) shell.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public void A_launched_master_is_titled_like_php_fpm_and_leads_its_process_group()
    {
        using var pool = new TestPool(Pool);
        string cmdline = File.ReadAllText($"/proc/{pool.Master.Pid}/cmdline").TrimEnd('\0');
        Assert.Equal($"lab-fpm: master process ({pool.ConfigPath})", cmdline);
        foreach (var child in pool.ChildPids())
        {
            Assert.Equal("lab-fpm: pool www", File.ReadAllText($"/proc/{child}/cmdline").TrimEnd('\0'));
            string stat = File.ReadAllText($"/proc/{child}/stat");
            var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            Assert.Equal(pool.Master.Pid.ToString(CultureInfo.InvariantCulture), rest[2]); // pgrp = the master
        }
    }
}
