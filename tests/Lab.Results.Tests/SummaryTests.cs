using System.Text.Json;
using Lab.Core.Engines;
using Lab.Core.Records;

namespace Lab.Results.Tests;

public class SummaryTests
{
    private static SummaryBuilder Builder(double? runLength = 10) => new(Runs.Header(runLengthS: runLength));

    /// <summary>Nearest rank, as HdrHistogram counts it: the value at rank round(p/100 · N), at least 1.</summary>
    private static double HandPercentile(double[] sorted, double p)
    {
        long rank = Math.Max(1, (long)(p / 100.0 * sorted.Length + 0.5));
        return sorted[rank - 1];
    }

    [Fact]
    public void Percentiles_match_a_hand_computation_within_the_histogram_precision()
    {
        var b = Builder();
        var rnd = new Random(3);
        var corrected = new double[5000];
        var uncorrected = new double[5000];
        for (int i = 0; i < corrected.Length; i++)
        {
            // a skewed distribution: mostly 5..25 ms, a tail to ~2 s
            double ms = Math.Round(5 + 20 * rnd.NextDouble() + (rnd.NextDouble() < 0.02 ? 2000 * rnd.NextDouble() : 0), 3);
            double queue = Math.Round(rnd.NextDouble() * 3, 3);
            double ti = i * 0.01, ts = ti + queue / 1000, te = ti + ms / 1000;
            corrected[i] = ms;
            uncorrected[i] = (te - ts) * 1000;
            b.Request(new RequestRecord(i, ti, ts, te, 1, 200, ms, 0, 0));
        }
        // not answered: left out of the latency
        b.Request(new RequestRecord(9000, 1, 0, 0, 0, RequestStatus.Dropped, 0, 0, 0));
        b.Request(new RequestRecord(9001, 1, 1, 61, 0, RequestStatus.ClientTimeout, 60_000, 0, 0));
        var s = b.Build(RunOutcome.Complete);

        Array.Sort(corrected);
        Array.Sort(uncorrected);
        void Check(double[] sorted, LatencySummary? l)
        {
            Assert.NotNull(l);
            foreach (var (p, got) in new[] { (50.0, l.P50), (90.0, l.P90), (99.0, l.P99), (99.9, l.P999) })
            {
                double want = HandPercentile(sorted, p);
                // HdrHistogram with 3 significant digits: within 0.1% (+ rounding to the µs).
                Assert.InRange(got, want - 0.002, want * 1.001 + 0.002);
            }
            Assert.Equal(Math.Round(sorted[^1], 3), l.Max, 3);
            Assert.Equal(Math.Round(sorted.Average(), 3), l.Mean, 3);
        }
        Check(corrected, s.LatencyMs);
        Check(uncorrected, s.LatencyUncorrectedMs);
        Assert.True(s.LatencyMs!.P50 > s.LatencyUncorrectedMs!.P50); // corrected includes the queueing before the send
    }

    [Fact]
    public void Request_counts_throughput_and_statuses()
    {
        var b = Builder(runLength: 10);
        Runs.FeedSmallRun(b);
        var s = b.Build(RunOutcome.Complete);
        Assert.Equal(20, s.RequestsTotal);
        Assert.Equal(18, s.RequestsOk);
        Assert.Equal(1, s.RequestsFailed);
        Assert.Equal(1, s.Dropped);
        Assert.Equal(1, s.MemoryLimitErrors);
        Assert.Equal(new Dictionary<int, long> { [0] = 1, [200] = 18, [500] = 1 }, s.StatusCounts);
        // over the span the load actually ran: the first intended send (0.25 s) to the last request's end
        double span = 9.75 + 0.012 + 0.001 * (19 % 4) - 0.25;
        Assert.Equal(Math.Round(span, 3), s.LoadDurationS, 3);
        Assert.Equal(19 / span, s.ThroughputRps, 2);    // answered, of any status
        Assert.Equal(18 / span, s.GoodputRps, 2);       // 200s
        Assert.Equal(19 / span, s.OfferedRps, 2);       // sent (the dropped one was not)
        Assert.Equal(10, s.DurationS);
        Assert.Null(s.StoppedBy);
        Assert.NotNull(s.LatencyOkMs);
        Assert.NotNull(s.LatencyFailedMs);              // the 500
    }

    [Fact]
    public void Throughput_of_an_incomplete_run_uses_the_load_it_saw()
    {
        var b = Builder(runLength: 100);
        for (int i = 0; i < 11; i++) b.Request(new RequestRecord(i, i * 0.5, i * 0.5, i * 0.5 + 0.5, 1, 200, 500, 0, 0));
        var s = b.Build(new RunOutcome(RunStatus.Incomplete, "cancelled"));
        Assert.Equal(5.5, s.LoadDurationS, 3); // first intended 0 → last end 5.5, not the planned 100 s
        Assert.Equal(2.0, s.ThroughputRps, 3);
    }

    [Fact]
    public void Recycles_exits_and_spawns_are_counted_from_events()
    {
        var b = Builder();
        Runs.FeedSmallRun(b);
        var s = b.Build(RunOutcome.Complete);
        Assert.Equal(3, s.Recycles);          // 19 requests served by children recycled every 5
        Assert.Equal(5, s.ChildrenSpawned);   // the first, three after recycles, one after the kill
        Assert.Equal(new Dictionary<string, long> { ["max_requests"] = 3, ["kill-child"] = 1 }, s.ChildExits);
        Assert.Equal("unknown", SummaryBuilder.ExitWhy("code 0"));
        Assert.Equal("idle", SummaryBuilder.ExitWhy("code 0;idle"));
    }

    [Fact]
    public void Peak_and_final_pool_rss_are_sums_over_a_tick()
    {
        var b = Builder();
        void Tick(double t, params long[] childRss)
        {
            b.Sample(new Sample(t, 1, ProcessRole.Master, 100, 1000, 0, 'S', 0));
            for (int i = 0; i < childRss.Length; i++) b.Sample(new Sample(t, 10 + i, ProcessRole.Child, childRss[i], 1000, 0, 'S', 0));
            b.EndTick(t);
        }
        Tick(1, 200, 300);    // 600
        Tick(2, 900, 50);     // 1050: the peak
        Tick(3, 400);         // 500: the last
        var s = b.Build(RunOutcome.Complete);
        Assert.Equal(1050, s.PeakPoolRssKb);
        Assert.Equal(500, s.FinalPoolRssKb);
        Assert.Equal(900, s.PeakChildRssKb);
    }

    [Fact]
    public void Samples_without_a_final_EndTick_still_make_a_tick()
    {
        var b = Builder();
        b.Sample(new Sample(1, 1, ProcessRole.Master, 100, 1000, 0, 'S', 0));
        b.EndTick(1);
        b.Sample(new Sample(2, 1, ProcessRole.Master, 100, 1000, 0, 'S', 0));
        b.Sample(new Sample(2, 2, ProcessRole.Child, 5000, 1000, 0, 'S', 0));
        var s = b.Build(new RunOutcome(RunStatus.Incomplete, "killed"));
        Assert.Equal(5100, s.FinalPoolRssKb);
        Assert.Equal(5100, s.PeakPoolRssKb);
    }

    [Fact]
    public void Leak_fit_recovers_the_slope_of_a_noisy_sawtooth()
    {
        // Children recycled every 40 requests (the sawtooth), each starting at its own base RSS,
        // leaking 812.5 KiB per request, with ±600 KiB of transient noise on each sample.
        const double slope = 812.5;
        var b = Builder();
        var rnd = new Random(11);
        int pid = 1000;
        double t = 0;
        for (int generation = 0; generation < 30; generation++, pid++)
        {
            double baseRss = 7000 + rnd.Next(0, 3000);
            for (int served = 0; served <= 40; served += 2)
            {
                t += 1;
                long rss = (long)Math.Round(baseRss + slope * served + (rnd.NextDouble() * 2 - 1) * 600);
                b.Sample(new Sample(t, 1, ProcessRole.Master, 16008, 60284, 0, 'S', 0)); // the master is not in the fit
                b.Sample(new Sample(t, pid, ProcessRole.Child, rss, rss + 50_000, 0, 'S', served));
                b.EndTick(t);
            }
        }
        var s = b.Build(RunOutcome.Complete);
        Assert.NotNull(s.LeakKbPerRequest);
        Assert.NotNull(s.LeakKbPerRequestStderr);
        Assert.Equal(30 * 20, s.FitPoints); // from the first request on (served = 0 is left out)
        Assert.True(s.LeakKbPerRequestLow95 <= slope && slope <= s.LeakKbPerRequestHigh95, $"{s.LeakKbPerRequestLow95} … {s.LeakKbPerRequestHigh95}");
        Assert.InRange(s.LeakKbPerRequest!.Value, slope * 0.97, slope * 1.03);
        Assert.InRange(s.LeakKbPerRequestStderr!.Value, 0.5, 25);
        // samples only: the growth straight through each child's samples is as good here (no retention)
        Assert.InRange(s.RssGrowthKbPerRequest!.Value, slope * 0.99, slope * 1.01);
    }

    [Fact]
    public void No_answered_request_gives_null_latency_and_no_fit_gives_null_leak()
    {
        var b = Builder();
        b.Request(new RequestRecord(0, 0, 0, 0, 0, RequestStatus.Dropped, 0, 0, 0));
        var s = b.Build(RunOutcome.Complete);
        Assert.Null(s.LatencyMs);
        Assert.Null(s.LeakKbPerRequest);
        var json = JsonDocument.Parse(s.ToJson()).RootElement;
        Assert.Equal(JsonValueKind.Null, json.GetProperty("latency_ms").ValueKind);
        Assert.Equal(JsonValueKind.Null, json.GetProperty("leak_kb_per_request").ValueKind);
    }

    [Fact]
    public void Json_has_the_documented_keys_in_order_and_reads_back()
    {
        var b = Builder();
        Runs.FeedSmallRun(b);
        var s = b.Build(new RunOutcome(RunStatus.Complete, PoolStatus: new Dictionary<string, long> { ["max listen queue"] = 3, ["accepted conn"] = 19 }));
        string json = s.ToJson();
        var keys = JsonDocument.Parse(json).RootElement.EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal(new[]
        {
            "engine", "scenario", "seed", "status", "stopped_by", "duration_s", "load_duration_s", "requests_total", "requests_ok",
            "requests_failed", "dropped", "status_counts", "throughput_rps", "offered_rps", "goodput_rps", "latency_ms", "latency_uncorrected_ms",
            "latency_ok_ms", "latency_failed_ms", "children_spawned", "child_pids", "child_pids_unmeasured", "recycles", "child_exits",
            "memory_limit_errors", "peak_child_rss_kb", "peak_pool_rss_kb", "final_pool_rss_kb", "peak_pool_pss_kb", "final_pool_pss_kb", "peak_child_uss_kb", "rss_pss_ratio", "leak_kb_per_request", "leak_kb_per_request_stderr",
            "leak_kb_per_request_low95", "leak_kb_per_request_high95", "rss_growth_kb_per_request", "rss_growth_kb_per_request_stderr",
            "retention_kb", "leak_fit", "leak_unit", "fit_points", "pool_status", "storm",
        }, keys);
        Assert.Contains("\"p999\"", json);
        Assert.Contains("\n  \"pool_status\": {\n    \"accepted conn\": 19,\n    \"max listen queue\": 3\n  },\n  \"storm\": {", json);
        // a summary.json written before the storm figures reads back without them
        string old = json[..json.IndexOf(",\n  \"storm\"", StringComparison.Ordinal)] + "\n}\n";
        Assert.Null(Summary.FromJson(old).Storm);
        Assert.Equal(json, Summary.FromJson(json).ToJson());
    }

    [Fact]
    public void The_same_records_give_byte_identical_json()
    {
        string Once()
        {
            var b = Builder();
            Runs.FeedSmallRun(b);
            return b.Build(RunOutcome.Complete).ToJson();
        }
        Assert.Equal(Once(), Once());
    }

    [Fact]
    public void Pss_totals_are_summed_at_the_ticks_that_read_them_and_the_ratio_at_the_last()
    {
        var b = Builder();
        // tick 0 reads PSS: master 10000 RSS / 4000 PSS, two children 20000 RSS / 3000 PSS / 1000 USS
        b.Sample(new Sample(0, 100, ProcessRole.Master, 10_000, 1, 0, 'S', 0, 4_000, 3_000, 0));
        b.Sample(new Sample(0, 101, ProcessRole.Child, 20_000, 1, 0, 'S', 0, 3_000, 1_000, 0));
        b.Sample(new Sample(0, 102, ProcessRole.Child, 20_000, 1, 0, 'S', 0, 3_000, 1_200, 0));
        b.EndTick(0);
        // tick 1 reads RSS only, and larger: the PSS figures stay those of tick 0
        b.Sample(new Sample(1, 100, ProcessRole.Master, 10_000, 1, 0, 'S', 0));
        b.Sample(new Sample(1, 101, ProcessRole.Child, 90_000, 1, 0, 'S', 1));
        b.EndTick(1);
        // tick 2 reads PSS of the master and one child (the other was gone before its smaps_rollup)
        b.Sample(new Sample(2, 100, ProcessRole.Master, 10_000, 1, 0, 'S', 0, 3_000, 3_000, 0));
        b.Sample(new Sample(2, 101, ProcessRole.Child, 30_000, 1, 0, 'S', 1, 5_000, 2_500, 10));
        b.Sample(new Sample(2, 102, ProcessRole.Child, 20_000, 1, 0, 'S', 1));
        b.EndTick(2);
        var s = b.Build(RunOutcome.Complete);
        Assert.Equal(100_000, s.PeakPoolRssKb);
        Assert.Equal(10_000, s.PeakPoolPssKb);
        Assert.Equal(8_000, s.FinalPoolPssKb);
        Assert.Equal(2_500, s.PeakChildUssKb);
        Assert.Equal(Math.Round(40_000 / 8_000.0, 3), s.RssPssRatio); // the RSS of the processes read, not of the whole tick
        var back = Summary.FromJson(s.ToJson());
        Assert.Equal((s.PeakPoolPssKb, s.FinalPoolPssKb, s.PeakChildUssKb, s.RssPssRatio), (back.PeakPoolPssKb, back.FinalPoolPssKb, back.PeakChildUssKb, back.RssPssRatio));
    }

    [Fact]
    public void Without_pss_the_new_keys_are_null_and_an_older_summary_without_them_reads()
    {
        var b = Builder();
        Runs.FeedSmallRun(b);
        var s = b.Build(RunOutcome.Complete);
        Assert.Null(s.PeakPoolPssKb);
        Assert.Null(s.RssPssRatio);
        Assert.Contains("\"rss_pss_ratio\": null", s.ToJson());
        string older = string.Join('\n', s.ToJson().Split('\n').Where(l => !l.Contains("pss") && !l.Contains("uss_kb")));
        var back = Summary.FromJson(older);
        Assert.Null(back.FinalPoolPssKb);
        Assert.Equal(s.PeakPoolRssKb, back.PeakPoolRssKb);
    }

    [Fact]
    public void The_engines_notes_on_how_it_measured_are_kept_and_read_back_and_absent_when_none()
    {
        var b = Builder();
        Runs.FeedSmallRun(b);
        const string note = "smaps_rollup was read every 2.5 s at times, not every 1 s (pss_interval)";
        var s = b.Build(new RunOutcome(Lab.Core.Engines.RunStatus.Complete, Notes: [note]));
        Assert.Equal([note], Summary.FromJson(s.ToJson()).Notes);
        Assert.Contains("\"notes\": [", s.ToJson());
        var none = Builder();
        Runs.FeedSmallRun(none);
        var plain = none.Build(RunOutcome.Complete);
        Assert.DoesNotContain("\"notes\"", plain.ToJson());
        Assert.Empty(Summary.FromJson(plain.ToJson()).Notes);
    }
}
