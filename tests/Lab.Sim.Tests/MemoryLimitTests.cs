using Lab.Core.Logging;
using Lab.Core.Php;
using Lab.Core.Records;
using Lab.Core.Scenarios;

namespace Lab.Sim.Tests;

/// <summary>memory_limit bounds one request's transient memory, never the process: the article's point.</summary>
public class MemoryLimitTests
{
    private const long Limit = 16L * 1024 * 1024;

    private static CollectingSink Run() => Sim.Run(Scenarios.Make(
        Scenarios.StaticPool(1) with { MemoryLimitBytes = Limit },
        new RequestProfile { LeakKb = Distribution.Const(1024), TransientKb = Distribution.Uniform(0, 32768), WorkMs = Distribution.Const(10) },
        Scenarios.Inject(5, 60)));

    [Fact]
    public void ARequestOverTheLimitFailsWith500AndTheChildServesTheNextOne()
    {
        var sink = Run();
        var reqs = sink.Requests.OrderBy(r => r.Id).ToList();
        Assert.Equal(300, reqs.Count);
        foreach (var r in reqs)
            Assert.Equal(MemoryLimit.Exceeds(Limit, r.TransientKb) ? RequestStatus.MemoryLimit : RequestStatus.Ok, r.Status);
        Assert.InRange(reqs.Count(r => r.Status == 500), 100, 200);

        // the child lives on: one child all along, never an exit before the end of the run
        int pid = Assert.Single(reqs.Select(r => r.Pid).Distinct());
        Assert.All(sink.EventsNamed(EventNames.Exit), e => Assert.Equal("signal 15;shutdown", e.Detail));
        Assert.Contains(Enumerable.Range(0, reqs.Count - 1), i => reqs[i].Status == 500 && reqs[i + 1].Status == 200);

        // every failure: an event and php-fpm's line of the child's stderr, at the moment it failed (no work done)
        foreach (var r in reqs.Where(r => r.Status == 500))
        {
            long tried = MemoryLimit.TriedBytes(r.TransientKb);
            Assert.Equal(r.TStart, r.TEnd, 9);
            Assert.Contains(sink.Events, e => e.Event == EventNames.MemoryLimit && e.Pid == pid && e.T == r.TEnd
                && e.Detail == $"tried {tried} bytes;limit {Limit} bytes");
            string line = $"[pool www] child {pid} said into stderr: \"NOTICE: PHP message: PHP Fatal error:  Allowed memory size of {Limit} bytes exhausted (tried to allocate {tried} bytes) in /lab/php/leak.php on line 1\"";
            Assert.Contains(sink.Logs, l => l.Level == FpmLogLevel.Warning && l.T == r.TEnd && l.Message == line);
        }
        Assert.Equal(reqs.Count(r => r.Status == 500), sink.EventsNamed(EventNames.MemoryLimit).Count());
    }

    [Fact]
    public void TheChildRssGrowsFarPastMemoryLimitBecauseTheLeakIsNotCounted()
    {
        var sink = Run();
        long lastRss = sink.Samples.Last(x => x.Role == ProcessRole.Child).RssKb;
        Assert.True(lastRss * 1024 > 10 * Limit, $"RSS {lastRss} KiB");
        // the failed requests leaked too (the leak comes before the allocation that fails)
        Assert.True(lastRss >= new MemoryModel().ChildBaselineKb + 295 * 1024);
    }
}
