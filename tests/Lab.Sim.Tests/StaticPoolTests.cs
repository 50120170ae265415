using Lab.Core.Records;
using Lab.Core.Scenarios;

namespace Lab.Sim.Tests;

public class StaticPoolTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void AStaticPoolHasMaxChildrenChildrenAtEveryTick(int children)
    {
        // heavy recycling (max_requests = 2): children exit all the time. php-fpm forks the
        // replacement when it reaps the exited child, at once, so the "respawn gap" is inside
        // the replacement's start-up (SpawnTime, state S, 0 requests), never a missing process.
        var s = Scenarios.Make(Scenarios.StaticPool(children, maxRequests: 2), Scenarios.Leaking(workMs: 15), Scenarios.Inject(30 * children, 20));
        var sink = Sim.Run(s);
        Assert.True(sink.EventsNamed(EventNames.Spawn).Count(e => e.Detail == "respawn") > 100);
        // the grid 0..20 s, then (requests still in flight at 20 s are drained) the end
        Assert.Equal(Enumerable.Range(0, 21).Select(k => (double)k), sink.Ticks.Take(21));
        Assert.InRange(sink.Ticks.Count, 21, 22);
        foreach (var tick in sink.Ticks)
        {
            var atTick = sink.Samples.Where(x => x.T == tick).ToList();
            Assert.Equal(children, atTick.Count(x => x.Role == ProcessRole.Child));
            Assert.Single(atTick, x => x.Role == ProcessRole.Master);
        }
        // a fresh replacement seen at a tick is at its baseline: the gap shows as a new pid with 0 requests
        Assert.All(sink.Samples.Where(x => x.Role == ProcessRole.Child && x.Requests == 0 && x.State == 'S'),
            x => Assert.Equal(new MemoryModel().ChildBaselineKb, x.RssKb));
    }

    [Fact]
    public void TheIdleChildThatWaitedLongestTakesTheNextConnection()
    {
        // blocking accept() wakes its waiters in FIFO order: with spaced requests the children take turns
        var sink = Sim.Run(Scenarios.Make(Scenarios.StaticPool(3), Scenarios.Leaking(workMs: 10), Scenarios.Pause(0.5), Scenarios.Inject(4, 3)));
        var pids = sink.Requests.OrderBy(r => r.Id).Select(r => r.Pid).ToList();
        Assert.Equal(12, pids.Count);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => 1001 + i % 3), pids);
    }

    [Fact]
    public void SamplesFollowTheFixedScheduleWithProcessInfoFirst()
    {
        var s = Scenarios.Make(Scenarios.StaticPool(2, maxRequests: 3), Scenarios.Leaking(), Scenarios.Inject(4, 10)) with
        {
            SampleInterval = TimeSpan.FromMilliseconds(250),
        };
        var sink = Sim.Run(s);
        Assert.Equal(Enumerable.Range(0, 41).Select(k => k * 0.25), sink.Ticks);

        // Process(...) once per pid, before its first sample
        Assert.Equal(sink.Processes.Count, sink.Processes.Select(p => p.Pid).Distinct().Count());
        var seen = new HashSet<int>();
        foreach (var call in sink.Calls)
        {
            if (call is ProcessCall p) seen.Add(p.Info.Pid);
            if (call is SampleCall x) Assert.Contains(x.Sample.Pid, seen);
        }
        var master = sink.Processes[0];
        Assert.Equal((1000, ProcessRole.Master, "root", "php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)"),
            (master.Pid, master.Role, master.User, master.Command));
        Assert.All(sink.Processes.Skip(1), p => Assert.Equal((ProcessRole.Child, "www-data", "php-fpm: pool www", 1000),
            (p.Role, p.User, p.Command, p.ParentPid)));
        // pids from a counter: 1000, 1001, ...
        Assert.Equal(Enumerable.Range(1000, sink.Processes.Count), sink.Processes.Select(p => p.Pid));
        // the master is constant
        var model = new MemoryModel();
        Assert.All(sink.Samples.Where(x => x.Role == ProcessRole.Master),
            x => Assert.Equal((model.MasterRssKb, model.MasterVszKb, 'S', 0L), (x.RssKb, x.VszKb, x.State, x.Requests)));
    }

    [Fact]
    public void CpuTimeIsTheWorkDoneAndStateIsRWhileWorking()
    {
        // one child, 400 ms of CPU then 400 ms asleep per request, a request every second from t = 0.1
        var request = new RequestProfile { WorkMs = Distribution.Const(400), WaitMs = Distribution.Const(400) };
        var s = Scenarios.Make(Scenarios.StaticPool(1), request, Scenarios.Pause(0.1), Scenarios.Inject(1, 10)) with
        {
            SampleInterval = TimeSpan.FromMilliseconds(100),
        };
        var sink = Sim.Run(s);
        var child = sink.Samples.Where(x => x.Role == ProcessRole.Child).ToList();
        foreach (var x in child)
        {
            long sinceFirst = (long)Math.Round(x.T * 1e6) - 100_000; // µs since the first request
            // 10 requests; a tick at the very instant a request arrives sees the child just before it
            bool working = sinceFirst is >= 0 and < 10_000_000 && sinceFirst % 1_000_000 is > 0 and < 400_000;
            Assert.True((working ? 'R' : 'S') == x.State, $"t={x.T} state {x.State}");
        }
        var at = child.Single(x => Math.Abs(x.T - 5.3) < 1e-9); // 5 requests done, the 6th 0.2 s into its work
        Assert.Equal(5 * 0.4 + 0.2, at.CpuS, 6);
        Assert.Equal(5, at.Requests);
        Assert.Equal(10 * 0.4, child[^1].CpuS, 6);
    }

    [Fact]
    public void RssWobblesWithTheAllocatorWhileTheLeakClimbsAndVszNeverShrinks()
    {
        var s = Scenarios.Make(Scenarios.StaticPool(1), Scenarios.Leaking(leakKb: 64, transientKb: 8192), Scenarios.Inject(1, 300));
        var sink = Sim.Run(s);
        var child = sink.Samples.Where(x => x.Role == ProcessRole.Child).ToList();
        int downs = 0;
        for (int i = 1; i < child.Count; i++)
        {
            if (child[i].RssKb < child[i - 1].RssKb) downs++;
            Assert.True(child[i].VszKb >= child[i - 1].VszKb);
            Assert.Equal(0, child[i].RssKb % 4);
        }
        Assert.True(downs >= 20, $"RSS went down {downs} times");
        Assert.True(child[^1].RssKb - child[0].RssKb > 250 * 64 * 0.8);
    }
}
