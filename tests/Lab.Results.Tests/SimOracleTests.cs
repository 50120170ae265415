using Lab.Core.Engines;
using Lab.Core.Paths;
using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.Results;
using Lab.Scenarios;
using Lab.Sim;

namespace Lab.Results.Tests;

/// <summary>
/// summary.json's figures against the simulator, which knows every true value: the leak each
/// request really kept, the RSS of every child after every request.
/// </summary>
public class SimOracleTests
{
    public static readonly string[] Scenarios = ["article-growth", "article-restart", "article-max-requests", "dynamic-spike", "ondemand-idle"];

    /// <summary>A sink that feeds a SummaryBuilder and keeps what the oracle needs.</summary>
    private sealed class Oracle(RunHeader header, MemoryModel memory) : IRunSink
    {
        public readonly SummaryBuilder Builder = new(header);
        public double LeakSum;
        public long Served;
        public long MaxRequestRss;
        public int ChildPidsInRequests => _pids.Count;
        private readonly HashSet<int> _pids = new();
        public void Process(ProcessInfo process) => Builder.Process(process);
        public void Sample(in Sample sample) => Builder.Sample(sample);
        public void EndTick(double t) => Builder.EndTick(t);
        public void Event(in PoolEvent e) => Builder.Event(e);
        public void Log(double t, FpmLogLevel level, string message) { }
        public void RawLog(string line) { }
        public void Request(in RequestRecord r)
        {
            Builder.Request(r);
            if (r.Status is not (RequestStatus.Ok or RequestStatus.MemoryLimit)) return;
            // what the sim's child really kept: the request's leak × leak_scale + per_request
            LeakSum += r.LeakKb * memory.LeakScale + memory.PerRequestKb;
            Served++;
            _pids.Add(r.Pid);
            MaxRequestRss = Math.Max(MaxRequestRss, r.RssKb);
        }
        public double TrueLeak => LeakSum / Served;
    }

    private static (Summary Summary, Oracle Oracle) Run(string scenario, params string[] overrides)
    {
        var s = ScenarioLoader.Load(scenario, [.. overrides, "engine=sim"], LabPaths.Scenarios);
        var oracle = new Oracle(RunHeader.For(s, "sim", SimEngine.Epoch, s.Memory.HostMemKb, flushEveryTick: false), s.Memory);
        var outcome = SimEngine.Run(s, oracle, CancellationToken.None);
        Assert.Equal(RunStatus.Complete, outcome.Status);
        return (oracle.Builder.Build(outcome), oracle);
    }

    /// <summary>
    /// The leak fit over many seeds of the five scenarios: its 95% interval covers the true leak
    /// in at least 93% of the runs, and on the article's two experiments the estimate is within
    /// 3% of it (on average over the seeds for pm.max_requests = 5, whose 8 five-request lives
    /// leave the estimate ±5% from one seed to the next; in every run for article-growth).
    /// </summary>
    [Fact]
    public void The_leak_fit_covers_the_true_leak_over_many_seeds_and_scenarios()
    {
        const int seeds = 60;
        int runs = 0, covered = 0;
        var problems = new List<string>();
        foreach (var scenario in Scenarios)
        {
            double relSum = 0;
            int scenarioCovered = 0;
            for (int seed = 1; seed <= seeds; seed++)
            {
                var (s, o) = Run(scenario, $"seed={seed}");
                double truth = o.TrueLeak;
                Assert.True(s.LeakKbPerRequest.HasValue, $"{scenario} seed {seed}: no leak fitted");
                double leak = s.LeakKbPerRequest!.Value;
                // a run without transient memory is exact: only rounding separates the ends of its interval
                double slack = 1e-3 + 1e-6 * truth;
                bool inside = s.LeakKbPerRequestLow95 - slack <= truth && truth <= s.LeakKbPerRequestHigh95 + slack;
                runs++;
                if (inside) { covered++; scenarioCovered++; }
                relSum += (leak - truth) / truth;
                if (scenario == "article-growth" && Math.Abs(leak - truth) > 0.03 * truth)
                    problems.Add($"{scenario} seed {seed}: {leak:0.0} KiB for {truth:0.0}");
            }
            double bias = relSum / seeds;
            if (scenario is "article-growth" or "article-max-requests" && Math.Abs(bias) > 0.03)
                problems.Add($"{scenario}: the estimate is {bias:P1} off the true leak on average");
            Assert.True(scenarioCovered >= 0.85 * seeds, $"{scenario}: the interval covered the truth in {scenarioCovered} of {seeds} seeds");
        }
        Assert.Empty(problems);
        Assert.True(covered >= 0.93 * runs, $"the 95% interval covered the true leak in {covered} of {runs} runs");
    }

    [Fact]
    public void The_retention_is_not_folded_into_the_leak_on_short_lives()
    {
        var (s, o) = Run("article-max-requests");
        Assert.InRange(s.LeakKbPerRequest!.Value, o.TrueLeak * 0.97, o.TrueLeak * 1.03);
        // the growth of RSS over these five-request lives includes the allocator filling up
        Assert.True(s.RssGrowthKbPerRequest > o.TrueLeak * 1.05);
        Assert.NotNull(s.LeakFitMethod);
        Assert.Contains("retention", s.LeakFitMethod);
    }

    /// <summary>
    /// Whatever the sample interval, no child and no peak is missed: every request's rss_kb is a
    /// reading (the run: 20 req/s, children living a quarter of a second).
    /// </summary>
    [Theory]
    [InlineData("10ms")]
    [InlineData("250ms")]
    [InlineData("5s")]
    public void Peaks_and_children_do_not_depend_on_the_sample_interval(string interval)
    {
        var (s, o) = Run("article-max-requests", "rate=20", $"sample_interval={interval}");
        Assert.Equal(9, s.ChildPids);
        Assert.Equal(9, s.ChildrenSpawned);
        Assert.Equal(8, s.Recycles);
        Assert.Equal(0, s.ChildPidsUnmeasured);
        Assert.True(s.PeakChildRssKb >= o.MaxRequestRss);
        Assert.True(s.PeakChildRssKb >= 26 * 1024, $"peak child {s.PeakChildRssKb} KiB");
        // one child at a time: the pool at a request's end is the master and that child, exactly
        Assert.True(s.PeakPoolRssKb >= 16_008 + o.MaxRequestRss);
        Assert.Equal(9, o.ChildPidsInRequests + 1); // the last child is ended before it serves one
    }

    [Fact]
    public void Rates_are_over_the_span_the_load_ran_and_the_iterations_cap_is_said()
    {
        var (s, _) = Run("article-max-requests", "rate=20");
        Assert.Equal("load.iterations", s.StoppedBy);
        Assert.InRange(s.LoadDurationS, 1.9, 2.0);
        Assert.InRange(s.ThroughputRps, 19.5, 21.5);
        Assert.Equal(s.ThroughputRps, s.GoodputRps);
        Assert.Equal(s.ThroughputRps, s.OfferedRps);

        var (planned, _) = Run("article-max-requests");
        Assert.Null(planned.StoppedBy); // 40 requests at 2/s: the cap falls at the load's planned end
        Assert.InRange(planned.GoodputRps, 1.9, 2.2);
    }

    [Fact]
    public void Under_overload_goodput_is_what_the_pool_served_and_latency_is_told_apart()
    {
        // 2 children of 50 ms (40 req/s at most) offered 200 req/s, the listen queue holding 10
        var (s, _) = Run("article-growth", "max_children=2", "work=50ms", "transient=0K", "leak=0K", "rate=200", "during=10s", "listen_backlog=10");
        long ok = s.StatusCounts[RequestStatus.Ok];
        Assert.True(s.StatusCounts.GetValueOrDefault(RequestStatus.Refused) > 1000);
        Assert.Equal(Json(ok / s.LoadDurationS), s.GoodputRps);
        Assert.True(s.GoodputRps <= 2 * 20 * 1.01, $"goodput {s.GoodputRps} req/s: more than 2 children × 20 req/s");
        Assert.True(s.OfferedRps > 150);
        Assert.NotNull(s.LatencyOkMs);
        Assert.NotNull(s.LatencyFailedMs);
        Assert.True(s.LatencyOkMs!.P50 > s.LatencyFailedMs!.P50, "the fast refusals are apart from the OK requests' latency");
    }

    private static double Json(double v) => Math.Round(v, 3, MidpointRounding.AwayFromZero);
}
