using Lab.Core.Engines;
using Lab.Core.Records;
using Lab.Core.Scenarios;

namespace Lab.Sim.Tests;

/// <summary>The [recycle] rules (not php-fpm's) carried out by the simulator, and the storm they are for.</summary>
public class RecycleTests
{
    /// <summary>Only what a storm test needs: the pool's total per tick and the recycle times (a 20-minute run keeps no requests).</summary>
    private sealed class StormSink(double from) : IRunSink
    {
        private long _tick;
        public List<long> PoolTotals { get; } = new();
        public List<double> Recycles { get; } = new();
        public void Process(ProcessInfo process) { }
        public void Sample(in Sample s) { if (s.T >= from) _tick += s.RssKb; }
        public void EndTick(double t) { if (t >= from) PoolTotals.Add(_tick); _tick = 0; }
        public void Event(in PoolEvent e) { if (e.Kind == PoolEventKind.Exit && PoolEvent.IsRecycle(e.Why) && e.T >= from) Recycles.Add(e.T); }
        public void Request(in RequestRecord r) { }
        public void Log(double t, FpmLogLevel level, string message) { }
        public void RawLog(string line) { }

        public int MostRecyclesInOneSecond()
        {
            var t = Recycles.Order().ToArray();
            int most = 0;
            for (int i = 0, j = 0; i < t.Length; i++) { while (t[i] - t[j] >= 1.0) j++; most = Math.Max(most, i - j + 1); }
            return most;
        }
    }

    /// <summary>The storm: 64 static children, an even 1,000 req/s, 40 ms a request, 256K leaked, 20 minutes.</summary>
    public static Scenario Storm(int maxRequests, RecycleSettings recycle, double seconds = 1200) => Scenarios.Make(
        Scenarios.StaticPool(64, maxRequests),
        new RequestProfile { LeakKb = Distribution.Const(256), TransientKb = Distribution.Const(0), WaitMs = Distribution.Const(40) },
        Scenarios.Inject(1000, seconds)) with
    {
        Recycle = recycle,
        LogLevel = FpmLogLevel.Notice,
        Load = new LoadPlan { Arrivals = ArrivalProcess.Even, Phases = [Scenarios.Inject(1000, seconds)] },
    };

    private static StormSink RunStorm(Scenario s, double from)
    {
        var sink = new StormSink(from);
        Assert.Equal(RunStatus.Complete, SimEngine.Run(s, sink, CancellationToken.None).Status);
        return sink;
    }

    /// <summary>Lesson 9's real-stack storm: 8 static children, 50 requests a life, an even 40 req/s of ~21.7 ms, 30 s.</summary>
    private static Scenario SmallStorm(TimeSpan wakeup) => Scenarios.Make(
        Scenarios.StaticPool(8, 50),
        new RequestProfile { LeakKb = Distribution.Const(1024), TransientKb = Distribution.Const(0), WorkMs = Distribution.Normal(21.7, 2) },
        Scenarios.Inject(40, 30)) with
    {
        Load = new LoadPlan { Arrivals = ArrivalProcess.Even, Phases = [Scenarios.Inject(40, 30)] },
        Memory = new MemoryModel { AcceptWakeup = wakeup },
    };

    [Fact]
    public void The_accept_wakeup_race_lets_a_finishing_child_take_a_woken_ones_connection_and_spreads_the_storm()
    {
        var fifo = Sim.Run(SmallStorm(TimeSpan.Zero));
        var race = Sim.Run(SmallStorm(TimeSpan.FromMicroseconds(800)));
        foreach (var run in new[] { fifo, race })
        {
            Assert.Equal(1200, run.Requests.Count);
            Assert.All(run.Requests, r => Assert.Equal(RequestStatus.Ok, r.Status)); // a stolen connection is served all the same
        }

        // steals: a request served by a child that was still busy when it arrived, while another child waited idle
        static int Steals(CollectingSink run)
        {
            int steals = 0;
            var lastEnd = new Dictionary<int, double>();
            foreach (var r in run.Requests.OrderBy(r => r.TStart))
            {
                if (lastEnd.TryGetValue(r.Pid, out double end) && end > r.TIntended && lastEnd.Any(kv => kv.Key != r.Pid && kv.Value <= r.TIntended)) steals++;
                lastEnd[r.Pid] = r.TEnd;
            }
            return steals;
        }
        Assert.Equal(0, Steals(fifo));
        Assert.InRange(Steals(race), 1, 120); // about 3 % of the requests finish within 0.8 ms after the next arrival

        // first-in-first-out, every child serves one request a turn: the 8 reach their 50th within one turn (0.2 s);
        // the steals move children by a turn or more, and the first wave spreads
        static double FirstWave(CollectingSink run)
        {
            var exits = run.Events.Where(e => e.Kind == PoolEventKind.Exit && e.Why == ExitCause.MaxRequests).Select(e => e.T).Order().Take(8).ToList();
            Assert.Equal(8, exits.Count);
            return exits[^1] - exits[0];
        }
        Assert.True(FirstWave(fifo) < 0.2, $"FIFO: first wave over {FirstWave(fifo):0.###} s");
        Assert.True(FirstWave(race) > FirstWave(fifo) + 0.025, $"with the race: first wave over {FirstWave(race):0.###} s, FIFO {FirstWave(fifo):0.###} s");
    }

    [Fact]
    public void Jitter_with_the_same_mean_limit_breaks_the_lockstep_storm()
    {
        var fix = RunStorm(Storm(500, new RecycleSettings()), from: 600);
        var jit = RunStorm(Storm(375, new RecycleSettings { Jitter = 250 }), from: 600);

        // php-fpm's fixed limit: the 64 children recycle in lockstep, long after the start
        Assert.True(fix.MostRecyclesInOneSecond() >= 32, $"fixed limit: at most {fix.MostRecyclesInOneSecond()} recycles in a second");
        long fixPeak = fix.PoolTotals.Max(), jitPeak = jit.PoolTotals.Max();
        Assert.True(fixPeak > 1.6 * fix.PoolTotals.Average(), $"fixed limit: peak {fixPeak} KiB, mean {fix.PoolTotals.Average():F0} KiB");
        // the same mean limit through jitter: the peak at most 75 %, the bursts at least 4 times smaller
        Assert.True(jitPeak <= 0.75 * fixPeak, $"jitter peak {jitPeak} KiB against {fixPeak} KiB");
        Assert.True(4 * jit.MostRecyclesInOneSecond() <= fix.MostRecyclesInOneSecond(),
            $"most recycles in a second: jitter {jit.MostRecyclesInOneSecond()}, fixed {fix.MostRecyclesInOneSecond()}");
        // the same mean limit: about as many recycles
        Assert.InRange(jit.Recycles.Count, 0.9 * fix.Recycles.Count, 1.1 * fix.Recycles.Count);
    }

    private static (CollectingSink Sink, Dictionary<int, int> Served) Small(RecycleSettings recycle, int children = 4, int maxRequests = 10, double rate = 40, double seconds = 30, RequestProfile? request = null)
    {
        var s = Scenarios.Make(Scenarios.StaticPool(children, maxRequests), request ?? Scenarios.Leaking(leakKb: 512, transientKb: 0, workMs: 5), Scenarios.Inject(rate, seconds)) with { Recycle = recycle };
        var sink = Sim.Run(s);
        var served = sink.Requests.Where(r => r.Pid != 0).GroupBy(r => r.Pid).ToDictionary(g => g.Key, g => g.Count());
        return (sink, served);
    }

    private static List<PoolEvent> Exits(CollectingSink sink, string why) =>
        sink.EventsNamed(EventNames.Exit).Where(e => e.Detail.EndsWith(";" + why, StringComparison.Ordinal)).ToList();

    [Fact]
    public void Jitter_gives_each_life_its_own_limit_between_max_requests_and_max_requests_plus_jitter()
    {
        var (sink, served) = Small(new RecycleSettings { Jitter = 6 }, seconds: 60);
        var recycled = Exits(sink, "max_requests");
        Assert.True(recycled.Count > 20);
        var counts = recycled.Select(e => served[e.Pid]).ToList();
        Assert.All(counts, n => Assert.InRange(n, 10, 16));
        Assert.True(counts.Distinct().Count() >= 4, "the limits are drawn, not one value");
        // drawn from the seed: the same run twice is the same
        var again = Small(new RecycleSettings { Jitter = 6 }, seconds: 60).Served;
        Assert.Equal(served.OrderBy(kv => kv.Key), again.OrderBy(kv => kv.Key));
    }

    [Fact]
    public void Delta_gives_slot_i_the_limit_max_requests_plus_i_minus_1_times_delta()
    {
        var (sink, served) = Small(new RecycleSettings { Delta = 5 }, children: 3, seconds: 60);
        var recycled = Exits(sink, "max_requests");
        var counts = recycled.Select(e => served[e.Pid]).Distinct().Order().ToList();
        Assert.Equal([10, 15, 20], counts);
    }

    [Fact]
    public void Max_rss_makes_the_child_exit_after_the_request_that_took_it_past_the_limit()
    {
        // 512K leaked a request on a 7148K child: past 12M after 10 requests; no request limit
        var (sink, served) = Small(new RecycleSettings { MaxRssBytes = 12L << 20 }, maxRequests: 0);
        var byRss = Exits(sink, "max_rss");
        Assert.True(byRss.Count > 10);
        Assert.All(byRss, e => Assert.StartsWith("code 0", e.Detail));
        // 7148 K + 10 × 512 K = 12268 K is under 12 M = 12288 K; the 11th request takes it past: the child's last
        Assert.All(byRss, e => Assert.Equal(11, served[e.Pid]));
        Assert.DoesNotContain(sink.Requests, r => r.Status == RequestStatus.ChildDied); // graceful: every request completed
        Assert.Contains(sink.Logs, l => l.Message.Contains("recycled by the lab's [recycle] max_rss rule", StringComparison.Ordinal));
        Assert.Empty(sink.EventsNamed(EventNames.Crash));
    }

    [Fact]
    public void Kill_rss_is_the_masters_sigkill_and_the_request_in_flight_fails()
    {
        var slow = new RequestProfile { LeakKb = Distribution.Const(512), TransientKb = Distribution.Const(0), WaitMs = Distribution.Const(90) };
        var (sink, _) = Small(new RecycleSettings { KillRssBytes = 12L << 20, CheckInterval = TimeSpan.FromMilliseconds(500) }, maxRequests: 0, rate: 40, request: slow);
        var killed = Exits(sink, "kill_rss");
        Assert.True(killed.Count > 5);
        Assert.All(killed, e => Assert.StartsWith("signal 9", e.Detail));
        Assert.Contains(sink.Requests, r => r.Status == RequestStatus.ChildDied); // busy children lose their request
        Assert.Empty(sink.EventsNamed(EventNames.Crash));
        // checked on the master's timer: kills happen at multiples of check_interval
        Assert.All(killed, e => Assert.Equal(0, e.T * 2 % 1, 6));
    }

    [Fact]
    public void Pool_budget_ends_the_largest_child_gracefully_when_the_pool_passes_it()
    {
        // 4 children + master: 16008 + 4 × 7148 = 44600 K at start; budget 60M
        var (sink, _) = Small(new RecycleSettings { PoolBudgetBytes = 60L << 20, CheckInterval = TimeSpan.FromSeconds(1) }, maxRequests: 0, seconds: 60);
        var ended = Exits(sink, "pool_budget").Where(e => e.T < 60).ToList(); // at 60 s the run's end terminates the pool
        Assert.True(ended.Count > 3);
        Assert.All(ended, e => Assert.StartsWith("code 0", e.Detail));
        Assert.DoesNotContain(sink.Requests, r => r.Status == RequestStatus.ChildDied);
        // one child a check (the largest): the pool, which would grow by 20 M a second to 1.2 G, stays within twice the budget
        var totals = sink.Samples.GroupBy(x => x.T).Select(g => g.Sum(x => x.RssKb)).ToList();
        Assert.True(totals.Max() < 2 * 60 * 1024, $"the pool reached {totals.Max()} K");
        Assert.True(totals.Skip(30).Max() <= 1.1 * totals.Take(30).Max(), "the pool keeps growing");
    }

    [Fact]
    public void Min_lifetime_holds_back_a_young_childs_recycling()
    {
        // max_requests = 1 would recycle after every request; min_lifetime = 2 s keeps each child at least 2 s
        var (sink, served) = Small(new RecycleSettings { MinLifetime = TimeSpan.FromSeconds(2) }, maxRequests: 1, seconds: 30);
        var recycled = Exits(sink, "max_requests");
        Assert.NotEmpty(recycled);
        Assert.All(recycled, e => Assert.True(served[e.Pid] > 1));
        foreach (var e in recycled)
            Assert.True(e.T - sink.Processes.Single(p => p.Pid == e.Pid).StartT >= 2.0 - 1e-9);
    }
}
