using System.Text.RegularExpressions;
using Lab.Core.Logging;
using Lab.Core.Records;
using Lab.Core.Scenarios;

namespace Lab.Sim.Tests;

public class ActionsTests
{
    private static readonly MemoryModel Model = new();

    [Fact]
    public void RestartStartsANewMasterWithFreshChildrenBackAtBaseline()
    {
        var s = Scenarios.Make(Scenarios.StaticPool(2), Scenarios.Leaking(leakKb: 512), Scenarios.Inject(10, 30)) with
        {
            Actions = [new ScenarioAction { At = TimeSpan.FromSeconds(15), Kind = ActionKind.Restart }],
        };
        var sink = Sim.Run(s);

        var starts = sink.EventsNamed(EventNames.Start).ToList();
        Assert.Equal(2, starts.Count);
        Assert.Equal((0.0, 1000), (starts[0].T, starts[0].Pid));
        Assert.Equal(15.0, starts[1].T);
        int oldMaster = starts[0].Pid, newMaster = starts[1].Pid;
        Assert.True(newMaster > sink.Processes.Where(p => p.StartT < 15).Max(p => p.Pid));
        Assert.Contains(sink.Events, e => e.Event == EventNames.Restart && e.T == 15.0 && e.Pid == oldMaster);
        Assert.Contains(sink.Events, e => e.Event == EventNames.Stop && e.T == 15.0 && e.Pid == oldMaster && e.Detail == "restart");

        var oldChildren = sink.Processes.Where(p => p.ParentPid == oldMaster).Select(p => p.Pid).ToList();
        var newChildren = sink.Processes.Where(p => p.ParentPid == newMaster).Select(p => p.Pid).ToList();
        Assert.Equal(2, oldChildren.Count);
        Assert.Equal(2, newChildren.Count);
        Assert.All(oldChildren, pid => Assert.Contains(sink.Events, e => e.Event == EventNames.Exit && e.Pid == pid && e.Detail == "signal 15;restart"));

        // the article: after the restart the child is back at its baseline, until the leak refills it
        long oldLast = sink.Samples.Where(x => oldChildren.Contains(x.Pid)).Max(x => x.RssKb);
        Assert.True(oldLast > Model.ChildBaselineKb + 30 * 512, $"{oldLast}");
        foreach (var pid in newChildren)
            Assert.Equal(Model.ChildBaselineKb, sink.Samples.First(x => x.Pid == pid).RssKb);
        Assert.DoesNotContain(sink.Samples, x => x.T > 15 && x.Pid == oldMaster);

        // php-fpm's lines: the old master terminates, the new one starts
        var notices = sink.Logs.Where(l => l.Level == FpmLogLevel.Notice && l.T == 15.0).Select(l => l.Message).ToList();
        Assert.Equal([FpmMessages.Terminating, FpmMessages.ExitingByeBye, FpmMessages.FpmIsRunning(newMaster), FpmMessages.ReadyToHandle], notices);
        Assert.All(sink.Requests, r => Assert.Contains(r.Status, new[] { RequestStatus.Ok, RequestStatus.ChildDied }));
    }

    [Fact]
    public void RestartResetsInFlightAndQueuedRequestsWith502()
    {
        var request = new RequestProfile { WorkMs = Distribution.Const(0), WaitMs = Distribution.Const(1000) };
        var s = Scenarios.Make(Scenarios.StaticPool(1), request, Scenarios.Inject(5, 4)) with
        {
            Actions = [new ScenarioAction { At = TimeSpan.FromSeconds(2.5), Kind = ActionKind.Restart }],
        };
        var sink = Sim.Run(s);
        var reset = sink.Requests.Where(r => r.TEnd == 2.5).ToList();
        Assert.True(reset.Count >= 5, $"{reset.Count}");
        Assert.All(reset, r => Assert.Equal(RequestStatus.ChildDied, r.Status));
        Assert.Single(reset, r => r.Pid != 0); // the one in the child; the queued ones never met a child
    }

    [Fact]
    public void ReloadWithAProcessControlTimeoutLetsBusyChildrenFinishAndAppliesTheNewMaxRequests()
    {
        var pool = Scenarios.StaticPool(2) with { ProcessControlTimeout = TimeSpan.FromSeconds(10) };
        var request = new RequestProfile { WorkMs = Distribution.Const(50), WaitMs = Distribution.Const(100) };
        var s = Scenarios.Make(pool, request, Scenarios.Inject(10, 30)) with
        {
            Actions = [new ScenarioAction { At = TimeSpan.FromSeconds(10.02), Kind = ActionKind.Reload, NewPool = pool with { MaxRequests = 3 } }],
        };
        var sink = Sim.Run(s);

        Assert.Single(sink.EventsNamed(EventNames.Start)); // same master, re-executed
        Assert.DoesNotContain(sink.Processes, p => p.Role == ProcessRole.Master && p.Pid != 1000);
        Assert.Contains(sink.Logs, l => l.Level == FpmLogLevel.Notice && l.T == 10.02 && l.Message == FpmMessages.Reloading);
        Assert.Equal(2, sink.Logs.Count(l => l.Message == FpmMessages.FpmIsRunning(1000)));
        Assert.Contains(sink.Logs, l => l.Level == FpmLogLevel.Notice && l.Message.StartsWith("reloading: execvp(", StringComparison.Ordinal));
        Assert.Contains(sink.Logs, l => l.Level == FpmLogLevel.Notice && l.Message.StartsWith("using inherited socket fd=", StringComparison.Ordinal));

        // the child busy at the reload finished its request (no 502), then exited with code 0
        Assert.All(sink.Requests, r => Assert.Equal(RequestStatus.Ok, r.Status));
        var reloadExits = sink.EventsNamed(EventNames.Exit).Where(e => e.Detail == "code 0;reload").ToList();
        Assert.Equal(2, reloadExits.Count);
        Assert.Contains(reloadExits, e => e.T > 10.03);
        var reload = Assert.Single(sink.EventsNamed(EventNames.Reload));
        Assert.Equal(10.02, reload.T); // the master got SIGUSR2

        // max_requests = 3 from then on, and only then
        var recycles = sink.EventsNamed(EventNames.Exit).Where(e => e.Detail == "code 0;max_requests").ToList();
        Assert.True(recycles.Count >= 60, $"{recycles.Count}");
        Assert.All(recycles, e => Assert.True(e.T > reloadExits.Max(x => x.T)));
        Assert.All(recycles, e => Assert.Equal(3, sink.Requests.Count(r => r.Pid == e.Pid)));
    }

    [Fact]
    public void ReloadWithTheDefaultProcessControlTimeoutCutsBusyRequests()
    {
        // php-fpm's default process_control_timeout = 0: SIGQUIT, then SIGTERM on the master's next
        // loop pass: the busy child dies mid-request (502), the idle one too (it had no time to exit)
        var pool = Scenarios.StaticPool(2);
        Assert.Equal(TimeSpan.Zero, pool.ProcessControlTimeout);
        var request = new RequestProfile { WorkMs = Distribution.Const(0), WaitMs = Distribution.Const(3000) };
        var s = Scenarios.Make(pool, request, Scenarios.Inject(1, 1), Scenarios.Pause(3)) with
        {
            Actions = [new ScenarioAction { At = TimeSpan.FromSeconds(0.5), Kind = ActionKind.Reload }],
        };
        var sink = Sim.Run(s);
        var cut = Assert.Single(sink.Requests);
        Assert.Equal((RequestStatus.ChildDied, 0.5), (cut.Status, cut.TEnd));
        var kills = sink.EventsNamed(EventNames.Kill).Where(e => e.T == 0.5).Select(e => e.Detail).ToList();
        Assert.Equal(["signal 3;reload", "signal 3;reload", "signal 15;reload", "signal 15;reload"], kills);
        var exits = sink.EventsNamed(EventNames.Exit).Where(e => e.T == 0.5).Select(e => e.Detail).ToList();
        Assert.Equal(["signal 15;reload", "signal 15;reload"], exits);
        Assert.Contains(sink.Logs, l => l.Message == "switching to 'reloading' state");
        Assert.DoesNotContain(sink.Logs, l => l.Message.Contains("still alive, sending")); // not php-fpm's
    }

    [Fact]
    public void AReloadWaitsProcessControlTimeoutThenTerminatesTheBusyChild()
    {
        // process_control_timeout = 10s: SIGQUIT, 10 s later SIGTERM
        var request = new RequestProfile { WorkMs = Distribution.Const(0), WaitMs = Distribution.Const(30_000) };
        var pool = Scenarios.StaticPool(1) with { ProcessControlTimeout = TimeSpan.FromSeconds(10) };
        var s = Scenarios.Make(pool, request, Scenarios.Inject(1, 2), Scenarios.Pause(20)) with
        {
            Actions = [new ScenarioAction { At = TimeSpan.FromSeconds(1), Kind = ActionKind.Reload }],
        };
        var sink = Sim.Run(s);
        var first = sink.Requests.Single(r => r.Id == 1);
        Assert.Equal((RequestStatus.ChildDied, 11.0), (first.Status, first.TEnd));
        Assert.Contains(sink.Events, e => e.Event == EventNames.Kill && e.T == 1.0 && e.Detail == "signal 3;reload");
        Assert.Contains(sink.Events, e => e.Event == EventNames.Exit && e.T == 11.0 && e.Detail == "signal 15;reload");
        Assert.Equal(1.0, Assert.Single(sink.EventsNamed(EventNames.Reload)).T);
        // while reloading, the connection waited in the listen queue; a new child took it after the re-exec
        var second = sink.Requests.Single(r => r.Id == 2);
        Assert.Equal(11.005, sink.Accepts[2].Accepted, 9);
        Assert.Equal(RequestStatus.Ok, second.Status);
        // the child's exit during the reload is logged at DEBUG (php-fpm cannot respawn then)
        Assert.Contains(sink.Logs, l => l.Level == FpmLogLevel.Debug && l.T == 11.0 && l.Message.Contains("exited on signal 15 (SIGTERM)"));
    }

    [Fact]
    public void AGracefulStopFinishesInFlightRequestsWithinTheTimeoutThenRefuses()
    {
        var pool = Scenarios.StaticPool(1) with { ProcessControlTimeout = TimeSpan.FromSeconds(5) };
        var request = new RequestProfile { WorkMs = Distribution.Const(0), WaitMs = Distribution.Const(1000) };
        var s = Scenarios.Make(pool, request, Scenarios.Inject(1, 3)) with
        {
            Actions = [new ScenarioAction { At = TimeSpan.FromSeconds(0.5), Kind = ActionKind.Stop, Signal = 3 }],
        };
        var sink = Sim.Run(s);
        Assert.Equal(RequestStatus.Ok, sink.Requests.Single(r => r.Id == 1).Status);
        // one second later, the master still finishing: the connection waits in the backlog, and is
        // reset when the master exits and its socket closes
        Assert.Equal(RequestStatus.ChildDied, sink.Requests.Single(r => r.Id == 2).Status);
        Assert.Equal(RequestStatus.Refused, sink.Requests.Single(r => r.Id == 3).Status); // nothing listens any more
        Assert.Contains(sink.Logs, l => l.Message == FpmMessages.Finishing && l.T == 0.5);
        var stop = Assert.Single(sink.EventsNamed(EventNames.Stop), e => e.T < 2);
        Assert.Equal(("shutdown", 1.005), (stop.Detail, stop.T));
        Assert.Contains(sink.Events, e => e.Event == EventNames.Exit && e.Detail == "code 0;shutdown");
    }

    [Fact]
    public void AnIdleChildThatIgnoresSigquitGetsSigkillAtTheNextPassAndIsReplaced()
    {
        // php 8.2 (fpm_pctl_kill_idle_child): a child killed as idle that is still idle a pass later gets SIGKILL
        var pool = new PoolSettings { Pm = ProcessManagerStyle.Ondemand, MaxChildren = 2, ProcessIdleTimeout = TimeSpan.FromSeconds(1) };
        var s = Scenarios.Make(pool, new RequestProfile { WorkMs = Distribution.Const(10) }, Scenarios.Inject(1, 1), Scenarios.Pause(6)) with
        {
            Actions = [new ScenarioAction { At = TimeSpan.FromSeconds(0.5), Kind = ActionKind.KillChild, Target = ChildSelector.Idle, Signal = 19 }],
        };
        var sink = Sim.Run(s);
        int stopped = sink.EventsNamed(EventNames.Spawn).First().Pid;
        var exit = Assert.Single(sink.EventsNamed(EventNames.Exit), e => e.Pid == stopped);
        Assert.Equal("signal 9;crash", exit.Detail); // php-fpm: "exited on signal 9 (SIGKILL)", WARNING, respawned
        Assert.Contains(sink.Logs, l => l.Level == FpmLogLevel.Warning && l.Message.Contains($"child {stopped} exited on signal 9 (SIGKILL)"));
        var respawn = Assert.Single(sink.EventsNamed(EventNames.Spawn), e => e.Detail == "respawn");
        Assert.Equal(exit.T, respawn.T);
        Assert.Contains(sink.Events, e => e.Event == EventNames.Exit && e.Pid == respawn.Pid && e.Detail == "code 0;idle");
    }

    [Fact]
    public void SegfaultsPastTheEmergencyThresholdMakeTheMasterReload()
    {
        var pool = Scenarios.StaticPool(3) with { EmergencyRestartThreshold = 2, EmergencyRestartInterval = TimeSpan.FromSeconds(10) };
        var s = Scenarios.Make(pool, new RequestProfile { WorkMs = Distribution.Const(10) }, Scenarios.Inject(2, 4)) with
        {
            Actions =
            [
                new ScenarioAction { At = TimeSpan.FromSeconds(1), Kind = ActionKind.KillChild, Target = ChildSelector.Oldest, Signal = 11 },
                new ScenarioAction { At = TimeSpan.FromSeconds(2), Kind = ActionKind.KillChild, Target = ChildSelector.Oldest, Signal = 11 },
            ],
        };
        var sink = Sim.Run(s);
        var reload = Assert.Single(sink.EventsNamed(EventNames.Reload));
        Assert.Equal((2.0, "emergency_restart;2 failed in 10 s"), (reload.T, reload.Detail));
        Assert.Contains(sink.Logs, l => l.Level == FpmLogLevel.Warning && l.Message == "failed processes threshold (2 in 10 sec) is reached, initiating reload");
        Assert.Single(sink.EventsNamed(EventNames.Spawn), e => e.Detail == "respawn"); // after the first, not the second
        Assert.Equal(2, sink.Logs.Count(l => l.Message == FpmMessages.FpmIsRunning(1000)));
        Assert.Equal(6, sink.EventsNamed(EventNames.Spawn).Count(e => e.Detail == "initial"));
    }

    [Fact]
    public void StartServersLeftUnsetIsNoticedAsPhpFpmDoes()
    {
        var pool = new PoolSettings { Pm = ProcessManagerStyle.Dynamic, MaxChildren = 5, MinSpareServers = 1, MaxSpareServers = 3 };
        var sink = Sim.Run(Scenarios.Make(pool, new RequestProfile(), Scenarios.Inject(1, 2)));
        Assert.Contains(sink.Logs, l => l.Level == FpmLogLevel.Notice && l.Message == "[pool www] pm.start_servers is not set. It's been set to 2.");
        var set = Sim.Run(Scenarios.Make(pool with { StartServersSetting = 2 }, new RequestProfile(), Scenarios.Inject(1, 2)));
        Assert.DoesNotContain(set.Logs, l => l.Message.Contains("pm.start_servers is not set"));
    }

    [Fact]
    public void KillChildGives502ACrashAndAReplacement()
    {
        var request = new RequestProfile { WorkMs = Distribution.Const(100), WaitMs = Distribution.Const(400) };
        var s = Scenarios.Make(Scenarios.StaticPool(2), request, Scenarios.Inject(4, 10)) with
        {
            Actions = [new ScenarioAction { At = TimeSpan.FromSeconds(5.2), Kind = ActionKind.KillChild, Target = ChildSelector.Busy, Signal = 9 }],
        };
        var sink = Sim.Run(s);

        var died = Assert.Single(sink.Requests, r => r.Status == RequestStatus.ChildDied);
        Assert.Equal(5.2, died.TEnd);
        Assert.Contains(sink.Events, e => e.Event == EventNames.Action && e.T == 5.2 && e.Detail == $"kill-child;busy;signal 9;pid {died.Pid}");
        Assert.Contains(sink.Events, e => e.Event == EventNames.Crash && e.Pid == died.Pid && e.Detail == "signal 9 (SIGKILL)");
        Assert.Contains(sink.Events, e => e.Event == EventNames.Exit && e.Pid == died.Pid && e.Detail == "signal 9;kill-child");
        var respawn = Assert.Single(sink.EventsNamed(EventNames.Spawn), e => e.Detail == "respawn");
        Assert.Equal(5.2, respawn.T);
        Assert.Contains(sink.Logs, l => l.Level == FpmLogLevel.Warning && new Regex($@"^\[pool www\] child {died.Pid} exited on signal 9 \(SIGKILL\) after 5\.200000 seconds from start$").IsMatch(l.Message));
        Assert.Contains(sink.Logs, l => l.Level == FpmLogLevel.Notice && l.Message == FpmMessages.ChildStarted("www", respawn.Pid));
        Assert.All(sink.Samples.Where(x => x.Role == ProcessRole.Child).GroupBy(x => x.T), g => Assert.Equal(2, g.Count()));
    }

    [Fact]
    public void KillChildWithSigquitIsGraceful()
    {
        var request = new RequestProfile { WorkMs = Distribution.Const(100), WaitMs = Distribution.Const(400) };
        var s = Scenarios.Make(Scenarios.StaticPool(1), request, Scenarios.Inject(1, 5)) with
        {
            Actions = [new ScenarioAction { At = TimeSpan.FromSeconds(2.2), Kind = ActionKind.KillChild, Target = ChildSelector.Oldest, Signal = 3 }],
        };
        var sink = Sim.Run(s);
        Assert.All(sink.Requests, r => Assert.Equal(RequestStatus.Ok, r.Status));
        var exit = sink.EventsNamed(EventNames.Exit).First();
        Assert.Equal(("code 0;kill-child", 2.5), (exit.Detail, exit.T)); // after its request
        Assert.Empty(sink.EventsNamed(EventNames.Crash));
    }
}
