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
    public void AFullUnixSocketBacklogRefusesAtOnceAfterBacklogPlusOne()
    {
        var pool = Scenarios.StaticPool(1) with { ListenBacklog = 5 };
        var request = new RequestProfile { WorkMs = Distribution.Const(0), WaitMs = Distribution.Const(9000) };
        var (sink, outcome) = Sim.RunWithOutcome(Scenarios.Make(pool, request, Scenarios.Inject(100, 0.2)));

        // t = 0: queued (the child is starting); 5 ms: accepted; then 5 + 1 fill a Unix socket's queue
        // (the kernel refuses only a queue longer than the backlog), the other 13 are refused at once
        Assert.Equal(20, sink.Requests.Count);
        var refused = sink.Requests.Where(r => r.Status == RequestStatus.Refused).ToList();
        Assert.Equal(Enumerable.Range(8, 13).Select(i => (long)i), refused.Select(r => r.Id));
        Assert.All(refused, r => Assert.Equal((r.TIntended, 0, 0.0), (r.TEnd, r.Pid, r.LatencyMs)));
        // 9 s each, one after another: the 7th would end past the client's 60 s time-out
        Assert.Equal(6, sink.Requests.Count(r => r.Status == RequestStatus.Ok));
        Assert.Equal(7, sink.Requests.Single(r => r.Status == RequestStatus.ClientTimeout).Id);
        // php-fpm 8.2 reads the queue from TCP_INFO: on a Unix socket the three figures are 0
        Assert.Equal(0, outcome.PoolStatus!["max listen queue"]);
        Assert.Equal(0, outcome.PoolStatus["listen queue len"]);
        Assert.Equal(0, outcome.PoolStatus["listen queue"]);
        Assert.Equal(8, outcome.PoolStatus["accepted conn"]); // and the status request
        Assert.Equal(1, outcome.PoolStatus["max active processes"]);
    }

    [Fact]
    public void TheDefaultBacklogIsSomaxconn()
    {
        var pool = Scenarios.StaticPool(1);
        Assert.Equal(-1, pool.ListenBacklog);
        var request = new RequestProfile { WorkMs = Distribution.Const(0), WaitMs = Distribution.Const(100) };
        var sink = Sim.Run(Scenarios.Make(pool, request, Scenarios.KeepConstant(300, 0.5)));
        Assert.DoesNotContain(sink.Requests, r => r.Status == RequestStatus.Refused); // 4097 fit
    }

    [Fact]
    public void SlowlogAndTerminateAreExclusiveInOnePassAndTheHeartbeatIsAThirdOfTheSmaller()
    {
        // slowlog 1 s, terminate 2 s: heartbeat min(1000, 2000) / 3 = 333 ms; the slowlog fires at the
        // first pass past 1 s, the termination at the first pass past 2 s
        var pool = Scenarios.StaticPool(1) with { RequestSlowlogTimeout = TimeSpan.FromSeconds(1), RequestTerminateTimeout = TimeSpan.FromSeconds(2) };
        var request = new RequestProfile { WorkMs = Distribution.Const(0), WaitMs = Distribution.Const(5000) };
        var (sink, outcome) = Sim.RunWithOutcome(Scenarios.Make(pool, request, Scenarios.Inject(1, 1), Scenarios.Pause(4)));
        var slow = Assert.Single(sink.EventsNamed(EventNames.Slow));
        var timeout = Assert.Single(sink.EventsNamed(EventNames.Timeout));
        double accepted = sink.Accepts[1].Accepted;
        Assert.Equal(Math.Ceiling((accepted + 1) / 0.333) * 0.333, slow.T, 6);
        Assert.Equal(Math.Ceiling((accepted + 2) / 0.333) * 0.333, timeout.T, 6);
        Assert.Equal(1, outcome.PoolStatus!["slow requests"]);
        Assert.Contains(sink.Logs, l => l.Level == FpmLogLevel.Debug && l.Message == "heartbeat have been set up with a timeout of 333ms");
        var lines = sink.Logs.Where(l => l.T == slow.T).Select(l => l.Message).ToList();
        Assert.Contains(lines, m => m.Contains("executing too slow"));
        Assert.Contains("child 1001 stopped for tracing", lines);
        Assert.Contains("about to trace 1001", lines);
        Assert.Contains("finished trace of 1001", lines);
    }
}
