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
    public void ReloadKeepsTheMasterLetsBusyChildrenFinishAndAppliesTheNewMaxRequests()
    {
        var pool = Scenarios.StaticPool(2);
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

        // the child busy at the reload finished its request (no 502), then exited with code 0
        Assert.All(sink.Requests, r => Assert.Equal(RequestStatus.Ok, r.Status));
        var reloadExits = sink.EventsNamed(EventNames.Exit).Where(e => e.Detail == "code 0;reload").ToList();
        Assert.Equal(2, reloadExits.Count);
        Assert.Contains(reloadExits, e => e.T > 10.02);
        var reload = Assert.Single(sink.EventsNamed(EventNames.Reload));
        Assert.Equal(reloadExits.Max(e => e.T), reload.T);

        // max_requests = 3 from then on, and only then
        var recycles = sink.EventsNamed(EventNames.Exit).Where(e => e.Detail == "code 0;max_requests").ToList();
        Assert.True(recycles.Count >= 60, $"{recycles.Count}");
        Assert.All(recycles, e => Assert.True(e.T > reload.T));
        Assert.All(recycles, e => Assert.Equal(3, sink.Requests.Count(r => r.Pid == e.Pid)));
    }

    [Fact]
    public void AReloadWaitsProcessControlTimeoutThenTerminatesTheBusyChild()
    {
        // process_control_timeout = 10s (as FpmConfig renders it): SIGQUIT, 10 s later SIGTERM
        var request = new RequestProfile { WorkMs = Distribution.Const(0), WaitMs = Distribution.Const(30_000) };
        var s = Scenarios.Make(Scenarios.StaticPool(1), request, Scenarios.Inject(1, 2), Scenarios.Pause(20)) with
        {
            Actions = [new ScenarioAction { At = TimeSpan.FromSeconds(1), Kind = ActionKind.Reload }],
        };
        var sink = Sim.Run(s);
        var first = sink.Requests.Single(r => r.Id == 1);
        Assert.Equal((RequestStatus.ChildDied, 11.0), (first.Status, first.TEnd));
        Assert.Contains(sink.Events, e => e.Event == EventNames.Kill && e.T == 1.0 && e.Detail == "signal 3;reload");
        Assert.Contains(sink.Events, e => e.Event == EventNames.Exit && e.T == 11.0 && e.Detail == "signal 15;reload");
        Assert.Equal(11.0, Assert.Single(sink.EventsNamed(EventNames.Reload)).T);
        // while reloading, the connection waited in the listen queue; a new child took it after the re-exec
        var second = sink.Requests.Single(r => r.Id == 2);
        Assert.Equal(11.005, sink.Accepts[2].Accepted, 9);
        Assert.Equal(RequestStatus.Ok, second.Status);
        // the child's exit during the reload is logged at DEBUG (php-fpm cannot respawn then)
        Assert.Contains(sink.Logs, l => l.Level == FpmLogLevel.Debug && l.T == 11.0 && l.Message.Contains("exited on signal 15 (SIGTERM)"));
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
