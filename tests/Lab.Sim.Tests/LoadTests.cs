using Lab.Core.Records;
using Lab.Core.Scenarios;

namespace Lab.Sim.Tests;

/// <summary>The client side: dropped requests, client time-out, iterations, drain, think time, ramps.</summary>
public class LoadTests
{
    private static readonly RequestProfile OneSecond = new() { WorkMs = Distribution.Const(0), WaitMs = Distribution.Const(1000) };

    [Fact]
    public void RequestsFindingMaxInFlightAreDroppedAndTakeAnIdToo()
    {
        var s = Scenarios.Make(Scenarios.StaticPool(1), OneSecond, Scenarios.Inject(10, 2));
        var sink = Sim.Run(s with { Load = s.Load with { MaxInFlight = 3 } });
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), sink.Requests.Select(r => r.Id).Order());
        var dropped = sink.Requests.Where(r => r.Status == RequestStatus.Dropped).ToList();
        Assert.True(dropped.Count >= 10, $"{dropped.Count}");
        Assert.All(dropped, r => Assert.Equal((0, r.TIntended), (r.Pid, r.TEnd)));
        // never more than 3 outstanding: at each drop, 3 sent requests were unanswered
        foreach (var d in dropped)
            Assert.Equal(3, sink.Requests.Count(r => r.Status != RequestStatus.Dropped && r.TIntended <= d.TIntended && r.TEnd > d.TIntended));
    }

    [Fact]
    public void TheClientTimeoutGives504AndTheChildStillFinishesTheRequest()
    {
        var s = Scenarios.Make(Scenarios.StaticPool(1), OneSecond, Scenarios.Inject(2, 3));
        var sink = Sim.Run(s with { Load = s.Load with { Timeout = TimeSpan.FromSeconds(1.5) } });
        var timedOut = sink.Requests.Where(r => r.Status == RequestStatus.ClientTimeout).ToList();
        Assert.NotEmpty(timedOut);
        Assert.All(timedOut, r => Assert.Equal(1500, r.LatencyMs, 6));
        // the child served the timed-out requests anyway: one request a second, back to back
        var accepts = sink.Accepts.Values.OrderBy(a => a.Accepted).Select(a => a.Accepted).ToList();
        for (int i = 1; i < accepts.Count; i++) Assert.Equal(1.0, accepts[i] - accepts[i - 1], 6);
        // the run drains until the last client gives up (request 6, sent at 2.5 s, at 4 s), not longer:
        // by then the child accepted 4 requests (at 0.005, 1.005, 2.005, 3.005 s)
        Assert.Equal(4, accepts.Count);
        Assert.Equal(4.0, sink.Requests.Max(r => r.TEnd), 9);
        Assert.Equal(4.0, sink.Ticks[^1], 9);
    }

    [Fact]
    public void IterationsCapTheRequestsSentAndEndTheRunAfterTheDrain()
    {
        var s = Scenarios.Make(Scenarios.StaticPool(2), Scenarios.Leaking(workMs: 10), Scenarios.Inject(10, 60));
        var sink = Sim.Run(s with { Load = s.Load with { Iterations = 7 } });
        Assert.Equal(7, sink.Requests.Count);
        Assert.Equal(0.6 + 0.01, sink.Ticks[^1], 9); // the last of the 7 answered at 0.61 s: the run ends there
        Assert.Contains(sink.Events, e => e.Event == EventNames.Stop && e.Detail == "shutdown");
    }

    [Fact]
    public void RequestsInFlightAtTheEndAreDrained()
    {
        var s = Scenarios.Make(Scenarios.StaticPool(1), OneSecond, Scenarios.Inject(1, 3));
        var sink = Sim.Run(s);
        Assert.Equal(3, sink.Requests.Count(r => r.Status == RequestStatus.Ok));
        Assert.Equal([0.0, 1, 2, 3, 3.005], sink.Ticks); // the grid, then the end
    }

    [Fact]
    public void ClosedUsersThinkBetweenRequestsAndFollowARamp()
    {
        var request = new RequestProfile { WorkMs = Distribution.Const(100) };
        var ramp = new LoadPhase { Kind = LoadPhaseKind.RampingConstant, Copies = 4, During = TimeSpan.FromSeconds(4), Think = TimeSpan.FromSeconds(0.4) };
        var s = Scenarios.Make(Scenarios.StaticPool(8), request, ramp, Scenarios.KeepConstant(4, 4, thinkSeconds: 0.4), Scenarios.KeepConstant(1, 4, thinkSeconds: 0.4));
        var sink = Sim.Run(s);
        // a user's cycle is 0.1 s of service + 0.4 s of thought: 2 requests a second per user
        double Rate(double from, double to) => sink.Requests.Count(r => r.TIntended >= from && r.TIntended < to) / (to - from);
        Assert.Equal(8, Rate(4.5, 8), 0);
        Assert.Equal(2, Rate(9, 12), 0);
        Assert.True(Rate(0, 1) < Rate(3, 4));
        Assert.All(sink.Requests, r => Assert.Equal(RequestStatus.Ok, r.Status));
    }

    [Fact]
    public void NothingListeningAfterTheRunIsOverAndNoRequestIsLost()
    {
        var s = Scenarios.Make(Scenarios.StaticPool(3, maxRequests: 4), Scenarios.Leaking(), Scenarios.Inject(25, 20));
        var (sink, outcome) = Sim.RunWithOutcome(s);
        Assert.Equal(500, sink.Requests.Count);
        Assert.Equal(501, outcome.PoolStatus!["accepted conn"]); // the status request counts too, as on php-fpm
        Assert.Equal(3, outcome.PoolStatus["total processes"]);
        Assert.Equal(1, outcome.PoolStatus["active processes"]); // the child serving the status request
        Assert.Equal(sink.Requests.Count, sink.Requests.Select(r => r.Id).Distinct().Count());
        Assert.Equal(Lab.Core.Logging.FpmMessages.ExitingByeBye, sink.Logs[^1].Message);
    }

    [Fact]
    public void TheLogLevelFiltersLines()
    {
        var s = Scenarios.Make(Scenarios.StaticPool(2, maxRequests: 3), Scenarios.Leaking(), Scenarios.Inject(5, 5));
        var debug = Sim.Run(s);
        var notice = Sim.Run(s with { LogLevel = FpmLogLevel.Notice });
        Assert.Contains(debug.Logs, l => l.Level == FpmLogLevel.Debug);
        Assert.DoesNotContain(notice.Logs, l => l.Level < FpmLogLevel.Notice);
        Assert.Equal(debug.Logs.Where(l => l.Level >= FpmLogLevel.Notice), notice.Logs);
    }
}
