using System.Text.RegularExpressions;
using Lab.Core.Records;
using Lab.Core.Scenarios;

namespace Lab.Sim.Tests;

/// <summary>pm.max_requests: the article's fix. The counter is per process; the Nth request is served, then exit 0 and a respawn.</summary>
public class MaxRequestsTests
{
    [Theory]
    [InlineData(1, 5)]
    [InlineData(3, 5)]
    [InlineData(3, 1)]
    public void EveryExitingChildServedExactlyNThenExitedWithCodeZeroAndWasReplaced(int children, int n)
    {
        var s = Scenarios.Make(Scenarios.StaticPool(children, maxRequests: n), Scenarios.Leaking(), Scenarios.Inject(20, 30));
        var sink = Sim.Run(s);

        var recycled = sink.EventsNamed(EventNames.Exit).Where(e => e.Detail == "code 0;max_requests").ToList();
        Assert.True(recycled.Count >= 600 / n - children - 1, $"only {recycled.Count} recycles");
        Assert.Equal(sink.EventsNamed(EventNames.Exit).Count() - children, recycled.Count); // the others: the shutdown at the end

        var servedBy = sink.Requests.Where(r => r.Pid != 0).GroupBy(r => r.Pid).ToDictionary(g => g.Key, g => g.Count());
        foreach (var exit in recycled)
        {
            Assert.Equal(n, servedBy[exit.Pid]);
            // its last request ended at the moment it exited
            Assert.Equal(exit.T, sink.Requests.Where(r => r.Pid == exit.Pid).Max(r => r.TEnd), 9);
        }
        Assert.All(servedBy.Values, count => Assert.InRange(count, 1, n));
        Assert.All(sink.Samples.Where(x => x.Role == ProcessRole.Child), x => Assert.InRange(x.Requests, 0, n));

        // a respawn for each recycle, at the same instant, logged at NOTICE as php-fpm does
        var respawns = sink.EventsNamed(EventNames.Spawn).Where(e => e.Detail == "respawn").ToList();
        Assert.Equal(recycled.Count, respawns.Count);
        Assert.Equal(recycled.Select(e => e.T), respawns.Select(e => e.T));

        var exited = new Regex(@"^\[pool www\] child (\d+) exited with code 0 after \d+\.\d{6} seconds from start$");
        var started = new Regex(@"^\[pool www\] child (\d+) started$");
        var exitLines = sink.Logs.Where(l => l.Level == FpmLogLevel.Notice && exited.IsMatch(l.Message))
            .Select(l => int.Parse(exited.Match(l.Message).Groups[1].Value)).ToList();
        Assert.Equal(recycled.Select(e => e.Pid), exitLines);
        var startLines = sink.Logs.Where(l => l.Level == FpmLogLevel.Notice && started.IsMatch(l.Message))
            .Select(l => int.Parse(started.Match(l.Message).Groups[1].Value)).ToList();
        Assert.Equal(respawns.Select(e => e.Pid), startLines);
        // the exit line's age is the child's life
        var first = recycled[0];
        double born = sink.Processes.Single(p => p.Pid == first.Pid).StartT;
        Assert.Contains(sink.Logs, l => l.Message == Lab.Core.Logging.FpmMessages.ChildExited("www", first.Pid, 0, first.T - born));
    }

    [Fact]
    public void RecyclingBoundsTheChildRssWhileWithoutItTheRssClimbs()
    {
        var leaking = Scenarios.Leaking(leakKb: 1024, transientKb: 2048);
        var bounded = Sim.Run(Scenarios.Make(Scenarios.StaticPool(1, maxRequests: 5), leaking, Scenarios.Inject(5, 60)));
        var growing = Sim.Run(Scenarios.Make(Scenarios.StaticPool(1), leaking, Scenarios.Inject(5, 60)));
        var model = new MemoryModel();

        long boundedPeak = bounded.Samples.Where(x => x.Role == ProcessRole.Child).Max(x => x.RssKb);
        Assert.True(boundedPeak <= model.ChildBaselineKb + 5 * 1024 + model.RetainMaxKb + 2048 + 8, $"peak {boundedPeak}");
        long growingLast = growing.Samples.Where(x => x.Role == ProcessRole.Child).Last().RssKb;
        Assert.True(growingLast >= model.ChildBaselineKb + 290 * 1024, $"last {growingLast}");
        Assert.Single(growing.Processes, p => p.Role == ProcessRole.Child);
        Assert.True(bounded.Processes.Count(p => p.Role == ProcessRole.Child) >= 55);
    }
}
