using System.Text.RegularExpressions;
using Lab.Core.Logging;
using Lab.Core.Records;
using Lab.Core.Scenarios;

namespace Lab.Sim.Tests;

public class TimeoutAndBacklogTests
{
    [Fact]
    public void RequestTerminateTimeoutKillsTheChildWith502AndReplacesIt()
    {
        var pool = Scenarios.StaticPool(1) with { RequestTerminateTimeout = TimeSpan.FromSeconds(2) };
        var request = new RequestProfile { WorkMs = Distribution.Const(100), WaitMs = Distribution.Const(4900) };
        var sink = Sim.Run(Scenarios.Make(pool, request, Scenarios.Inject(0.25, 12)));

        Assert.Equal(3, sink.Requests.Count);
        const double heartbeat = 0.666; // a third of the timeout, in whole ms (fpm_conf)
        foreach (var r in sink.Requests)
        {
            Assert.Equal(RequestStatus.ChildDied, r.Status);
            double accepted = sink.Accepts[r.Id].Accepted;
            Assert.InRange(r.TEnd - accepted, 2.0, 2.0 + heartbeat + 1e-9);
            Assert.Equal(0, Math.Round(r.TEnd / heartbeat, 6) % 1, 6); // found by the heartbeat
            Assert.Contains(sink.Events, e => e.Event == EventNames.Timeout && e.Pid == r.Pid && e.T == r.TEnd);
            Assert.Contains(sink.Events, e => e.Event == EventNames.Exit && e.Pid == r.Pid && e.Detail == "signal 15;timeout");
            Assert.Contains(sink.Events, e => e.Event == EventNames.Spawn && e.Detail == "respawn" && e.T == r.TEnd);
            var timedOut = new Regex($@"^\[pool www\] child {r.Pid}, script '/lab/php/leak\.php' \(request: ""GET /leak\.php\?id={r.Id}&leak_kb=0&transient_kb=0&work_ms=100&wait_ms=4900""\) execution timed out \(2\.\d{{6}} sec\), terminating$");
            Assert.Contains(sink.Logs, l => l.Level == FpmLogLevel.Warning && timedOut.IsMatch(l.Message));
            var signaled = new Regex($@"^\[pool www\] child {r.Pid} exited on signal 15 \(SIGTERM\) after \d+\.\d{{6}} seconds from start$");
            Assert.Contains(sink.Logs, l => l.Level == FpmLogLevel.Warning && signaled.IsMatch(l.Message));
        }
        Assert.Equal(3, sink.Requests.Select(r => r.Pid).Distinct().Count()); // a new child each time
    }

    [Fact]
    public void SlowlogCountsSlowRequestsOnce()
    {
        var pool = Scenarios.StaticPool(1) with { RequestSlowlogTimeout = TimeSpan.FromSeconds(1) };
        var request = new RequestProfile { WorkMs = Distribution.Const(0), WaitMs = Distribution.Const(2500) };
        var (sink, outcome) = Sim.RunWithOutcome(Scenarios.Make(pool, request, Scenarios.Inject(0.25, 8)));
        Assert.All(sink.Requests, r => Assert.Equal(RequestStatus.Ok, r.Status));
        Assert.Equal(2, outcome.PoolStatus!["slow requests"]);
        Assert.Equal(2, sink.Logs.Count(l => l.Level == FpmLogLevel.Warning && l.Message.Contains("executing too slow")));
    }

    [Fact]
    public void AFullListenQueueRefusesWith503()
    {
        var pool = Scenarios.StaticPool(1) with { ListenBacklog = 5 };
        var request = new RequestProfile { WorkMs = Distribution.Const(0), WaitMs = Distribution.Const(9000) };
        var (sink, outcome) = Sim.RunWithOutcome(Scenarios.Make(pool, request, Scenarios.Inject(100, 0.2)));

        // t = 0: queued (the child is starting); 5 ms: accepted; then 5 fill the queue, the other 14 are refused
        Assert.Equal(20, sink.Requests.Count);
        var refused = sink.Requests.Where(r => r.Status == RequestStatus.Refused).ToList();
        Assert.Equal(Enumerable.Range(7, 14).Select(i => (long)i), refused.Select(r => r.Id));
        Assert.All(refused, r => Assert.Equal((r.TIntended, 0, 0.0), (r.TEnd, r.Pid, r.LatencyMs)));
        Assert.Equal(6, sink.Requests.Count(r => r.Status == RequestStatus.Ok));
        Assert.Equal(5, outcome.PoolStatus!["max listen queue"]);
        Assert.Equal(5, outcome.PoolStatus["listen queue len"]);
        Assert.Equal(6, outcome.PoolStatus["accepted conn"]);
        Assert.Equal(1, outcome.PoolStatus["max active processes"]);
    }
}
