using Lab.Core.Engines;
using Lab.Core.Records;
using Lab.Core.Scenarios;

namespace Lab.Sim.Tests;

/// <summary>
/// pool.pools: several pools behind one round-robin upstream, each its own php-fpm. With an even
/// load and equal requests, pool 1 of two at 40 req/s is exactly one pool alone at 20 req/s: the
/// upstream hands it every other request, at the same moments.
/// </summary>
public class SeveralPoolsTests
{
    private static readonly RequestProfile Equal = new() { LeakKb = Distribution.Const(1024), TransientKb = Distribution.Const(0), WorkMs = Distribution.Const(5) };

    private static Scenario Even(PoolSettings pool, double rate, double seconds) => Scenarios.Make(pool, Equal, Scenarios.Inject(rate, seconds)) with
    {
        Load = new LoadPlan { Arrivals = ArrivalProcess.Even, Phases = [Scenarios.Inject(rate, seconds)] },
    };

    private static CollectingSink Run(Scenario s)
    {
        var sink = new CollectingSink();
        Assert.Equal(RunStatus.Complete, SimEngine.Run(s, sink, CancellationToken.None, sink).Status);
        return sink;
    }

    [Fact]
    public void Pool_one_of_two_is_one_pool_alone_at_half_the_load()
    {
        var two = Run(Even(Scenarios.StaticPool(8, 20) with { Pools = 2, PoolsStep = 10 }, 40, 12));
        var alone = Run(Even(Scenarios.StaticPool(4, 20), 20, 12));

        static bool First(int pid) => pid < 100_000;
        Assert.Equal(alone.Samples.Select(s => (s.T, s.Pid, s.Role, s.RssKb)), two.Samples.Where(s => First(s.Pid)).Select(s => (s.T, s.Pid, s.Role, s.RssKb)));
        Assert.Equal(alone.Requests.Select(r => (r.TStart, r.TEnd, r.Pid, r.RssKb)).Order(),
            two.Requests.Where(r => First(r.Pid)).Select(r => (r.TStart, r.TEnd, r.Pid, r.RssKb)).Order());
        Assert.Equal(alone.Events.Select(e => (e.T, e.Event, e.Pid, e.Detail)), two.Events.Where(e => First(e.Pid)).Select(e => (e.T, e.Event, e.Pid, e.Detail)));
    }

    [Fact]
    public void Each_pool_has_its_master_its_share_of_the_children_and_its_max_requests()
    {
        var two = Run(Even(Scenarios.StaticPool(8, 20) with { Pools = 2, PoolsStep = 10 }, 40, 12));
        var starts = two.EventsNamed("start").ToList();
        Assert.Equal([1000, 101_000], starts.Select(e => e.Pid));
        Assert.Equal(["pm=static max_children=4 max_requests=20", "pm=static max_children=4 max_requests=30"], starts.Select(e => e.Detail));
        // the upstream alternates: request 1 to pool 1, request 2 to pool 2, ...
        var byId = two.Requests.OrderBy(r => r.Id).ToList();
        Assert.All(byId, r => Assert.Equal(r.Id % 2 == 1, r.Pid < 100_000));
        // every recycled child served its own pool's pm.max_requests
        var served = two.Requests.GroupBy(r => r.Pid).ToDictionary(g => g.Key, g => g.Count());
        var recycled = two.Events.Where(e => e.Kind == PoolEventKind.Exit && PoolEvent.IsRecycle(e.Why)).Select(e => e.Pid).ToList();
        Assert.NotEmpty(recycled.Where(p => p < 100_000));
        Assert.NotEmpty(recycled.Where(p => p >= 100_000));
        Assert.All(recycled, p => Assert.Equal(p < 100_000 ? 20 : 30, served[p]));
        // php-fpm's lines name each pool
        Assert.Contains(two.Logs, l => l.Message.Contains("[pool www1] child 1001 started", StringComparison.Ordinal));
        Assert.Contains(two.Logs, l => l.Message.Contains("[pool www2] child 101001 started", StringComparison.Ordinal));
    }
}
