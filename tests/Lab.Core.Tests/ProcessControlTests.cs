using Lab.Core.Logging;
using Lab.Core.ProcessManager;
using Lab.Core.Records;
using Lab.Core.Scenarios;

namespace Lab.Core.Tests;

/// <summary>php-fpm's process control (fpm_process_ctl.c, fpm_children.c's bury), as the core holds it for every engine.</summary>
public class ProcessControlTests
{
    private static PoolSettings Pool(int pct = 0) => new() { Pm = ProcessManagerStyle.Static, MaxChildren = 2, ProcessControlTimeout = TimeSpan.FromSeconds(pct) };

    [Fact]
    public void A_reload_with_the_default_timeout_sends_sigquit_then_sigterm_on_the_next_pass_then_sigkill_a_second_later()
    {
        var c = new ProcessControl(Pool());
        var start = c.Set(PctlState.Reloading, running: 2);
        Assert.Equal((3, 0, PctlLast.None), (start.SignalAll, start.TimerSeconds, start.Last));
        Assert.Equal("switching to 'reloading' state", Assert.Single(start.Logs).Fact.Message);
        Assert.False(c.CanSpawn);
        var term = c.OnTimer(running: 2);
        Assert.Equal((15, 1), (term.SignalAll, term.TimerSeconds));
        var kill = c.OnTimer(running: 1);
        Assert.Equal((9, 1), (kill.SignalAll, kill.TimerSeconds));
        Assert.Equal(PctlLast.Exec, c.OnTimer(running: 0).Last);
    }

    [Fact]
    public void With_a_timeout_the_children_get_it_before_sigterm_and_the_last_one_ends_the_reload()
    {
        var c = new ProcessControl(Pool(pct: 5));
        var start = c.Set(PctlState.Reloading, 2);
        Assert.Equal((3, 5), (start.SignalAll, start.TimerSeconds));
        var first = c.ChildExited("www", 11, ExitStatus.Code(0), idleKill: false, 1.5, runningAfter: 1, nowSeconds: 10);
        Assert.Equal(FpmLogLevel.Debug, first.Line.Level); // the master cannot spawn: DEBUG
        Assert.False(first.Respawn);
        Assert.Equal(PctlLast.None, first.Control.Last);
        Assert.Equal(PctlLast.Exec, c.ChildExited("www", 12, ExitStatus.Code(0), false, 1.5, 0, 10).Control.Last);
        c.Reexec(Pool(pct: 5));
        Assert.True(c.CanSpawn);
    }

    [Fact]
    public void Terminate_starts_with_sigterm_and_nothing_overrides_it()
    {
        var c = new ProcessControl(Pool());
        Assert.Equal(15, c.Set(PctlState.Terminating, 1).SignalAll);
        var ignored = c.Set(PctlState.Reloading, 1);
        Assert.Equal(0, ignored.SignalAll);
        Assert.Equal("not switching to 'reloading' state, because already in 'terminating' state", Assert.Single(ignored.Logs).Fact.Message);
        Assert.Equal(PctlAction.None, c.Set(PctlState.Terminating, 1)); // a duplicate signal
        Assert.Equal(PctlLast.Exit, c.ChildExited("www", 5, ExitStatus.Signal(15), false, 1, 0, 3).Control.Last);
    }

    [Fact]
    public void Reloading_yields_to_finishing_and_finishing_to_terminating()
    {
        var c = new ProcessControl(Pool(pct: 10));
        c.Set(PctlState.Reloading, 1);
        Assert.Equal(3, c.Set(PctlState.Finishing, 1).SignalAll);
        Assert.Equal(15, c.Set(PctlState.Terminating, 1).SignalAll);
        Assert.Equal(PctlState.Terminating, c.State);
    }

    [Fact]
    public void No_child_left_means_the_last_action_at_once()
    {
        Assert.Equal(PctlLast.Exit, new ProcessControl(Pool()).Set(PctlState.Finishing, 0).Last);
        Assert.Equal(PctlLast.Exec, new ProcessControl(Pool()).Set(PctlState.Reloading, 0).Last);
    }

    [Theory]
    [InlineData(true, 0, 0, false, FpmLogLevel.Notice)]      // max_requests: code 0, NOTICE, respawned
    [InlineData(true, 255, 0, false, FpmLogLevel.Warning)]   // a non-zero code: WARNING
    [InlineData(false, 0, 9, false, FpmLogLevel.Warning)]    // a signal: possible request loss
    [InlineData(false, 0, 3, false, FpmLogLevel.Notice)]     // SIGQUIT: graceful
    [InlineData(true, 0, 0, true, FpmLogLevel.Debug)]        // idle kill: "killed by the process management", not replaced
    [InlineData(false, 0, 9, true, FpmLogLevel.Warning)]     // an idle kill that needed SIGKILL: replaced
    public void A_childs_end_is_logged_and_replaced_as_fpm_children_bury_does(bool exited, int code, int signal, bool idleKill, FpmLogLevel level)
    {
        var c = new ProcessControl(Pool());
        var how = exited ? ExitStatus.Code(code) : ExitStatus.Signal(signal);
        var d = c.ChildExited("www", 42, how, idleKill, 2.5, 1, 1);
        Assert.Equal(level, d.Line.Level);
        bool replaced = !(idleKill && (exited || signal == 3));
        Assert.Equal(replaced, d.Respawn);
        Assert.Equal(replaced ? (exited ? FpmLogKind.ChildExitedCode : FpmLogKind.ChildExitedSignal) : FpmLogKind.ChildKilledByPm, d.Line.Fact.Kind);
    }

    [Fact]
    public void Segfaults_past_the_threshold_within_the_interval_reload()
    {
        var c = new ProcessControl(Pool() with { EmergencyRestartThreshold = 3, EmergencyRestartInterval = TimeSpan.FromSeconds(10) });
        Assert.Equal(0, c.ChildExited("www", 1, ExitStatus.Signal(11), false, 1, 1, 100).Control.SignalAll);
        Assert.Equal(0, c.ChildExited("www", 2, ExitStatus.Signal(7), false, 1, 1, 105).Control.SignalAll);
        Assert.Equal(0, c.ChildExited("www", 3, ExitStatus.Signal(9), false, 1, 1, 106).Control.SignalAll); // SIGKILL does not count
        var third = c.ChildExited("www", 4, ExitStatus.Signal(11), false, 1, 1, 109);
        Assert.Equal(3, third.Control.SignalAll);
        Assert.False(third.Respawn);
        Assert.Equal("failed processes threshold (3 in 10 sec) is reached, initiating reload", third.Control.Logs[0].Fact.Message);
        Assert.Equal(PctlState.Reloading, c.State);
    }

    [Fact]
    public void Faults_further_apart_than_the_interval_do_not()
    {
        var c = new ProcessControl(Pool() with { EmergencyRestartThreshold = 2, EmergencyRestartInterval = TimeSpan.FromSeconds(10) });
        c.ChildExited("www", 1, ExitStatus.Signal(11), false, 1, 1, 100);
        Assert.Equal(PctlState.Normal, c.State);
        c.ChildExited("www", 2, ExitStatus.Signal(11), false, 1, 1, 111);
        Assert.Equal(PctlState.Normal, c.State);
        c.ChildExited("www", 3, ExitStatus.Signal(11), false, 1, 1, 115);
        Assert.Equal(PctlState.Reloading, c.State);
    }

    [Fact]
    public void The_request_check_runs_every_third_of_the_smaller_timeout_and_slowlog_goes_first()
    {
        var p = new PoolSettings { RequestTerminateTimeout = TimeSpan.FromSeconds(2), RequestSlowlogTimeout = TimeSpan.FromSeconds(1) };
        Assert.Equal(333, RequestTimeouts.HeartbeatMs(p));
        Assert.Equal(130, RequestTimeouts.HeartbeatMs(new PoolSettings()));
        Assert.Equal(333, RequestTimeouts.HeartbeatMs(new PoolSettings { RequestTerminateTimeout = TimeSpan.FromMilliseconds(100) })); // php-fpm's whole seconds: 1 s
        Assert.Equal(TimeoutVerdict.None, RequestTimeouts.Check(Status.RequestStage.Running, 0.99, false, p));
        Assert.Equal(TimeoutVerdict.Slow, RequestTimeouts.Check(Status.RequestStage.Running, 2.5, false, p)); // exclusive: not terminated in this pass
        Assert.Equal(TimeoutVerdict.Terminate, RequestTimeouts.Check(Status.RequestStage.Running, 2.5, true, p));
        Assert.Equal(TimeoutVerdict.Terminate, RequestTimeouts.Check(Status.RequestStage.ReadingHeaders, 2.5, false, p)); // slowlog: executing only
        Assert.Equal(TimeoutVerdict.None, RequestTimeouts.Check(Status.RequestStage.Idle, 9, false, p));
        Assert.Equal(TimeoutVerdict.None, RequestTimeouts.Check(Status.RequestStage.Ending, 9, false, p));
    }

    [Fact]
    public void A_unix_socket_holds_backlog_plus_one_and_minus_one_is_somaxconn()
    {
        Assert.Equal(-1, new PoolSettings().ListenBacklog);
        Assert.Equal(4096, Sockets.ListenBacklog.Effective(-1));
        Assert.Equal(4096, Sockets.ListenBacklog.Effective(65535));
        Assert.Equal(3, Sockets.ListenBacklog.UnixCapacity(2));
        Assert.Equal(4097, Sockets.ListenBacklog.UnixCapacity(-1));
        Assert.False(Sockets.ListenBacklog.StatusShowsQueue(unixSocket: true));
    }
}
