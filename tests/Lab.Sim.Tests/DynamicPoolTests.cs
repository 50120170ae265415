using Lab.Core.Logging;
using Lab.Core.Records;
using Lab.Core.Scenarios;

namespace Lab.Sim.Tests;

/// <summary>pm = dynamic under a sudden overload, then when the load stops.</summary>
public class DynamicPoolTests
{
    private static readonly PoolSettings Pool = new()
    {
        Pm = ProcessManagerStyle.Dynamic,
        MaxChildren = 100,
        StartServersSetting = 40,
        MinSpareServers = 40,
        MaxSpareServers = 60,
        MaxSpawnRate = 32,
        ListenBacklog = 4096,
    };

    private static (CollectingSink Sink, Lab.Core.Engines.RunOutcome Outcome) Run()
    {
        // 2 s asleep per request (2.000123 s: completions off the whole seconds of the maintenance)
        var request = new RequestProfile { WorkMs = Distribution.Const(0), WaitMs = Distribution.Const(2000.123) };
        var s = Scenarios.Make(Pool, request, Scenarios.Inject(100, 10), Scenarios.Pause(90));
        return Sim.RunWithOutcome(s with { Load = s.Load with { MaxInFlight = 10_000 } });
    }

    [Fact]
    public void ForksPerMaintenanceTickDoubleUpToTheCapsAndWarnSeemsBusyAndMaxChildrenOnce()
    {
        var (sink, outcome) = Run();
        var forks = sink.EventsNamed(EventNames.Spawn).Where(e => e.Detail == "maintenance")
            .GroupBy(e => e.T).OrderBy(g => g.Key).ToList();

        // php-fpm's rule, computed here: idle stays 0 (every new child finds a queued request),
        // fork min(rate, min_spare - idle, max_children - running), rate doubling below max_spawn_rate
        var expected = new List<int>();
        int running = Pool.StartServers, rate = 1;
        while (running < Pool.MaxChildren)
        {
            int n = Math.Min(rate, Math.Min(Pool.MinSpareServers, Pool.MaxChildren - running));
            expected.Add(n);
            running += n;
            if (rate < Pool.MaxSpawnRate) rate *= 2;
        }
        Assert.Equal([1, 2, 4, 8, 16, 29], expected);
        Assert.Equal(expected, forks.Select(g => g.Count()));
        Assert.Equal([1.0, 2, 3, 4, 5, 6], forks.Select(g => g.Key));
        Assert.All(forks.SelectMany(g => g), e => Assert.Contains(sink.Logs, l => l.Level == FpmLogLevel.Debug && l.Message == $"[pool www] child {e.Pid} started"));

        // "seems busy" at the ticks whose rate is ≥ 8
        var busy = sink.Logs.Where(l => l.Message.Contains("seems busy")).ToList();
        Assert.Equal(
            [FpmMessages.SeemsBusy("www", 8, 0, 47), FpmMessages.SeemsBusy("www", 16, 0, 55), FpmMessages.SeemsBusy("www", 32, 0, 71)],
            busy.Select(l => l.Message));
        Assert.All(busy, l => Assert.Equal(FpmLogLevel.Warning, l.Level));

        // max_children reached: warned once, counted once
        var reached = sink.Logs.Where(l => l.Message.Contains("max_children")).ToList();
        var line = Assert.Single(reached);
        Assert.Equal(FpmMessages.MaxChildrenReached("www", 100), line.Message);
        Assert.Equal(7.0, line.T);
        Assert.Single(sink.EventsNamed(EventNames.MaxChildren));
        Assert.Equal(1, outcome.PoolStatus!["max children reached"]);
        Assert.Equal(100, sink.Samples.Where(x => x.Role == ProcessRole.Child).GroupBy(x => x.T).Max(g => g.Count()));
    }

    [Fact]
    public void WhenTheLoadStopsOneIdleChildASecondIsKilledTheOldestStartedUntilMaxSpare()
    {
        var sink = Run().Sink;
        Assert.All(sink.Requests, r => Assert.Equal(RequestStatus.Ok, r.Status));

        var kills = sink.EventsNamed(EventNames.Exit).Where(e => e.Detail == "code 0;idle").ToList();
        Assert.Equal(100 - Pool.MaxSpareServers, kills.Count);
        Assert.Equal(kills.Count, kills.Select(e => e.T).Distinct().Count()); // one per maintenance tick
        // the maintenance tick sends SIGQUIT on the second; the idle child exits as PHP shuts down (1 ms in the model)
        Assert.All(kills, e => Assert.Equal(Math.Floor(e.T) + 0.001, e.T, 9));
        Assert.All(kills, e => Assert.Contains(sink.Logs, l => l.Level == FpmLogLevel.Debug && l.T == e.T
            && l.Message.StartsWith($"[pool www] child {e.Pid} has been killed by the process management after ", StringComparison.Ordinal)));
        Assert.DoesNotContain(sink.EventsNamed(EventNames.Spawn), e => e.Detail == "respawn");

        // busy intervals per child, from the accept hook and the answers
        var busy = sink.Requests.GroupBy(r => r.Pid).ToDictionary(g => g.Key,
            g => g.Select(r => (From: sink.Accepts[r.Id].Accepted, To: r.TEnd)).ToList());
        var forkedAt = sink.Processes.Where(p => p.Role == ProcessRole.Child).ToDictionary(p => p.Pid, p => p.StartT);
        var exitedAt = sink.EventsNamed(EventNames.Exit).ToDictionary(e => e.Pid, e => e.T);
        foreach (var kill in kills)
        {
            double t = Math.Floor(kill.T); // the maintenance tick that chose it
            bool IdleAt(int pid) => forkedAt[pid] < t && exitedAt[pid] >= t
                && !(busy.TryGetValue(pid, out var spans) && spans.Any(s => s.From < t && s.To > t));
            var idle = forkedAt.Keys.Where(IdleAt).ToList();
            Assert.True(idle.Count > Pool.MaxSpareServers);
            Assert.Equal(idle.MinBy(pid => forkedAt[pid]), kill.Pid); // the oldest-started idle child
        }
        // afterwards the pool stays at max_spare idle children
        var lastTick = sink.Samples.Where(x => x.Role == ProcessRole.Child).GroupBy(x => x.T).OrderBy(g => g.Key).Last();
        Assert.Equal(Pool.MaxSpareServers, lastTick.Count());
        Assert.True(kills[^1].T < lastTick.Key - 5);
    }
}
