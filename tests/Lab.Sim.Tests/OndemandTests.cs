using Lab.Core.Logging;
using Lab.Core.Records;
using Lab.Core.Scenarios;

namespace Lab.Sim.Tests;

public class OndemandTests
{
    private static readonly PoolSettings Pool = new()
    {
        Pm = ProcessManagerStyle.Ondemand,
        MaxChildren = 5,
        ProcessIdleTimeout = TimeSpan.FromSeconds(10),
    };

    [Fact]
    public void NoChildAtStartAForkOnDemandAndAKillAfterProcessIdleTimeout()
    {
        var s = Scenarios.Make(Pool, Scenarios.Leaking(workMs: 10), Scenarios.Pause(2), Scenarios.Inject(2, 3), Scenarios.Pause(20));
        var sink = Sim.Run(s);

        Assert.DoesNotContain(sink.Samples, x => x.Role == ProcessRole.Child && x.T < 2);
        Assert.DoesNotContain(sink.EventsNamed(EventNames.Spawn), e => e.Detail == "initial");
        var spawn = Assert.Single(sink.EventsNamed(EventNames.Spawn));
        Assert.Equal(("ondemand", 2.0), (spawn.Detail, spawn.T)); // on the first connection
        Assert.Contains(sink.Logs, l => l.Level == FpmLogLevel.Debug && l.Message == "[pool www] got accept without idle child available .... I forked");
        Assert.All(sink.Requests, r => Assert.Equal((RequestStatus.Ok, spawn.Pid), (r.Status, r.Pid)));
        Assert.Equal(2.0 + 0.005 + 0.010, sink.Requests[0].TEnd, 9); // waited for the fork

        // php-fpm: killed when last_activity (whole seconds) < now (whole seconds) - process_idle_timeout
        double lastActivity = sink.Requests.Max(r => r.TEnd);
        double expectedKill = Math.Floor(lastActivity) + 10 + 1;
        var exit = Assert.Single(sink.EventsNamed(EventNames.Exit));
        Assert.Equal((spawn.Pid, "code 0;idle"), (exit.Pid, exit.Detail));
        Assert.Equal(expectedKill + 0.001, exit.T, 9); // SIGQUIT on the tick, the exit as PHP shuts down (1 ms in the model)
        Assert.Contains(sink.Logs, l => l.Level == FpmLogLevel.Debug && l.Message.StartsWith($"[pool www] child {spawn.Pid} has been killed by the process management after", StringComparison.Ordinal));
        Assert.DoesNotContain(sink.Samples, x => x.Role == ProcessRole.Child && x.T > expectedKill);
    }

    [Fact]
    public void ABurstForksUpToMaxChildrenAndWarnsOnce()
    {
        var request = new RequestProfile { WorkMs = Distribution.Const(0), WaitMs = Distribution.Const(3000) };
        var (sink, outcome) = Sim.RunWithOutcome(Scenarios.Make(Pool, request, Scenarios.Inject(20, 1), Scenarios.Pause(5)));
        Assert.Equal(5, sink.EventsNamed(EventNames.Spawn).Count());
        var warning = Assert.Single(sink.Logs, l => l.Message.Contains("max_children"));
        Assert.Equal(FpmMessages.MaxChildrenReachedOndemand("www", 5), warning.Message);
        Assert.Equal(1, outcome.PoolStatus!["max children reached"]); // the status page counts it once too
        Assert.Equal(20, sink.Requests.Count(r => r.Status == RequestStatus.Ok));
    }

    [Fact]
    public void ASimultaneousColdBurstIsOneEdgeOneForkAndNoRetry()
    {
        // php bug #69724: the listening socket's event is edge-triggered; connections arriving together
        // make one event, one fork; the ones left waiting are never looked at again: the one child serves them all
        var request = new RequestProfile { WorkMs = Distribution.Const(0), WaitMs = Distribution.Const(200) };
        // eight users send at t = 0, then think past the end of the load: eight simultaneous connections
        var (sink, outcome) = Sim.RunWithOutcome(Scenarios.Make(Pool, request, Scenarios.KeepConstant(8, 0.1, thinkSeconds: 10)));
        var spawn = Assert.Single(sink.EventsNamed(EventNames.Spawn));
        Assert.Equal(0.0, spawn.T);
        Assert.Equal(8, sink.Requests.Count);
        Assert.All(sink.Requests, r => Assert.Equal((RequestStatus.Ok, spawn.Pid), (r.Status, r.Pid)));
        Assert.Equal(0.005 + 8 * 0.2, sink.Requests.Max(r => r.TEnd), 6); // served one after another
        Assert.Equal(0, outcome.PoolStatus!["max children reached"]);
    }

    [Fact]
    public void ArrivalsAtDifferentInstantsEachForkWhenNoChildIsIdle()
    {
        var request = new RequestProfile { WorkMs = Distribution.Const(0), WaitMs = Distribution.Const(3000) };
        var sink = Sim.Run(Scenarios.Make(Pool, request, Scenarios.Inject(20, 0.25), Scenarios.Pause(4)));
        Assert.Equal(5, sink.EventsNamed(EventNames.Spawn).Count()); // 5 arrivals, 50 ms apart: 5 edges, 5 forks
    }

    [Fact]
    public void MaxRequestsRespawnsUnderOndemandToo()
    {
        // fpm_children_bury restarts any child the process manager did not kill as idle
        var s = Scenarios.Make(Pool with { MaxRequests = 3 }, Scenarios.Leaking(workMs: 10), Scenarios.Inject(2, 3), Scenarios.Pause(5));
        var sink = Sim.Run(s);
        Assert.Equal(2, sink.EventsNamed(EventNames.Exit).Count(e => e.Detail == "code 0;max_requests"));
        Assert.Equal(2, sink.EventsNamed(EventNames.Spawn).Count(e => e.Detail == "respawn"));
    }
}
