using Lab.Report.Model;
using Lab.Report.Plotting;
using Lab.Results.Reading;

namespace Lab.Report.Tests;

public class DecimatorTests
{
    [Fact]
    public void A_sawtooth_thinned_to_a_few_columns_keeps_every_peak_and_trough_exactly()
    {
        // 100 teeth of 1,000 points each: ramps from 7 to 34, then a drop.
        var d = new Decimator(0, 100_000, 1_000);
        var peaks = new List<double>();
        for (int tooth = 0; tooth < 100; tooth++)
        {
            double top = 30 + tooth % 7; // peaks differ, so a lost one shows
            for (int i = 0; i < 1000; i++) d.Add(tooth * 1000 + i, 7 + (top - 7) * i / 999.0);
            peaks.Add(top);
        }
        var (xs, ys) = d.Finish();
        Assert.True(xs.Length <= 4 * 1000, $"{xs.Length} points");
        Assert.True(xs.Length < 100_000 / 10);
        for (int tooth = 0; tooth < 100; tooth++)
        {
            // the tooth's peak, at its exact x, and the trough after it
            int at = Array.IndexOf(xs, tooth * 1000 + 999.0);
            Assert.True(at >= 0, $"peak of tooth {tooth} lost");
            Assert.Equal(peaks[tooth], ys[at], 9);
            Assert.Contains(tooth * 1000.0, xs);
        }
        for (int i = 1; i < xs.Length; i++) Assert.True(xs[i] >= xs[i - 1]); // order kept
    }

    [Fact]
    public void Few_points_pass_through_unchanged()
    {
        var d = new Decimator(0, 10, 1000);
        double[] x = [0, 1, 2, 5, 9.5], y = [3, 1, 4, 1, 5];
        for (int i = 0; i < x.Length; i++) d.Add(x[i], y[i]);
        var (xs, ys) = d.Finish();
        Assert.Equal(x, xs);
        Assert.Equal(y, ys);
    }

    [Fact]
    public void Within_a_column_min_and_max_come_in_their_order()
    {
        var d = new Decimator(0, 1, 1); // everything in one column
        foreach (var (x, y) in new[] { (0.0, 5.0), (0.1, 9.0), (0.2, 1.0), (0.3, 4.0), (0.4, 6.0) }) d.Add(x, y);
        var (xs, ys) = d.Finish();
        Assert.Equal([0.0, 0.1, 0.2, 0.4], xs);
        Assert.Equal([5.0, 9.0, 1.0, 6.0], ys);
    }
}

public class UnitChoiceTests
{
    [Theory]
    [InlineData(900, "KiB")]
    [InlineData(2047, "KiB")]
    [InlineData(2048, "MiB")]
    [InlineData(180_000, "MiB")]
    [InlineData(9.9 * 1024 * 1024, "MiB")]
    [InlineData(12.0 * 1024 * 1024, "GiB")]
    public void The_memory_unit_follows_the_range(double maxKb, string unit) => Assert.Equal(unit, SizeUnit.For(maxKb).Name);

    [Theory]
    [InlineData(60, "s")]
    [InlineData(1200, "s")]
    [InlineData(3600, "min")]
    [InlineData(8 * 3600, "h")]
    public void The_time_unit_follows_the_run_length(double s, string unit) => Assert.Equal(unit, TimeUnit.For(s).Name);

    [Fact]
    public void Tick_labels_are_invariant_with_thousands_separators() =>
        Assert.Equal(["1,500", "2.5", "0", "12,000", "0.125"], new[] { 1500, 2.5, 1e-12, 12000, 0.125 }.Select(PlotKit.Number));
}

public class LatencySeriesTests
{
    private static RequestTable Table(params (double Intended, double End, int Status, double Ms)[] rows) => new(
        rows.Select((_, i) => (long)i + 1).ToArray(),
        rows.Select(r => r.Intended).ToArray(),
        rows.Select(r => r.Status == 0 ? double.NaN : r.Intended).ToArray(),
        rows.Select(r => r.Status == 0 ? double.NaN : r.End).ToArray(),
        rows.Select(r => r.Status == 0 ? 0 : 1001).ToArray(),
        rows.Select(r => r.Status).ToArray(),
        rows.Select(r => r.Status == 0 ? double.NaN : r.Ms).ToArray(),
        rows.Select(_ => 0L).ToArray(),
        rows.Select(_ => 0L).ToArray());

    [Fact]
    public void Buckets_are_nice_widths_near_a_sixtieth_of_the_run()
    {
        Assert.Equal(1, LatencySeries.ChooseBucket(60, 0.25, 6000));
        Assert.Equal(5, LatencySeries.ChooseBucket(300, 0.25, 100_000));
        Assert.Equal(1, LatencySeries.ChooseBucket(10, 1, 10_000));     // at least a sample interval
        Assert.Equal(2.5, LatencySeries.ChooseBucket(20, 0.25, 40));    // at least about 5 requests each
    }

    [Fact]
    public void Percentiles_and_rates_per_bucket()
    {
        // 100 requests in [0,1): latencies 1..100 ms; 10 in [1,2): 500 ms, two of them failed; 3 dropped.
        var rows = new List<(double, double, int, double)>();
        for (int i = 0; i < 100; i++) rows.Add((i * 0.0099, i * 0.0099 + 0.001, 200, i + 1));
        for (int i = 0; i < 10; i++) rows.Add((1 + i * 0.05, 1.5 + i * 0.01, i < 2 ? 500 : 200, 500));
        for (int i = 0; i < 3; i++) rows.Add((1.2, double.NaN, 0, double.NaN));
        var l = LatencySeries.Build(Table(rows.ToArray()), endT: 2, sampleInterval: 1);
        Assert.Equal(1, l.BucketS);
        Assert.Equal([0.5, 1.5], l.LatencyT);
        Assert.Equal([50.0, 500.0], l.P50Ms);
        Assert.Equal([99.0, 500.0], l.P99Ms);
        Assert.Equal([0.0, 1.0, 2.0], l.RateT);          // bucket starts, then the end
        Assert.Equal(100, l.OkPerS[0], 9);
        Assert.Equal(8, l.OkPerS[1], 9);                 // a 500 is answered, but not OK: not goodput
        Assert.Equal(2, l.FailedPerS[1], 9);
        Assert.Equal(3, l.DroppedPerS[1], 9);
        Assert.Equal((2, 3), (l.Failed, l.Dropped));
    }

    [Fact]
    public void Nearest_rank_percentiles() =>
        Assert.Equal([1.0, 5.0, 10.0], new[] { 1.0, 50, 100 }.Select(p => LatencySeries.Percentile(Enumerable.Range(1, 10).Select(i => (double)i).ToArray(), p)));
}

public class FpmLogDigestTests
{
    [Fact]
    public void Counts_levels_and_kinds_and_keeps_problems_and_the_ends_of_the_notices()
    {
        var lines = new List<string> { "[01-Jan-2026 00:00:00] NOTICE: fpm is running, pid 1000", "[01-Jan-2026 00:00:00] NOTICE: ready to handle connections" };
        for (int i = 0; i < 20; i++) lines.Add($"[01-Jan-2026 00:00:{i:00}] NOTICE: [pool www] child {1001 + i} started");
        lines.Add("[01-Jan-2026 00:00:21] WARNING: [pool www] server reached pm.max_children setting (5), consider raising it");
        lines.Add("[01-Jan-2026 00:00:22] ERROR: unable to read what child say: Bad file descriptor (9)");
        lines.Add("a line without a level");
        var d = FpmLogDigest.Of(lines);
        Assert.Equal(25, d.Total);
        Assert.Equal(22, d.PerLevel["NOTICE"]);
        Assert.Equal(1, d.PerLevel["WARNING"]);
        Assert.Equal(1, d.PerLevel["ERROR"]);
        Assert.Equal(1, d.PerLevel["other"]);
        Assert.Equal(2, d.Problems.Count);
        Assert.Equal("ERROR", d.Kinds[0].Level);                 // worst first
        var started = Assert.Single(d.Kinds, k => k.Pattern == "[pool www] child N started");
        Assert.Equal(20, started.Count);
        Assert.Equal(FpmLogDigest.NoticeEnds, d.FirstNotices.Count);
        Assert.Equal(1, d.FirstNotices[0].Number);
        Assert.Equal(22, d.LastNotices[^1].Number);
    }

    [Fact]
    public void Very_many_problems_keep_the_first_and_the_last()
    {
        var lines = Enumerable.Range(1, 500).Select(i => $"[x] WARNING: problem {i}").ToList();
        var d = FpmLogDigest.Of(lines);
        Assert.Equal(FpmLogDigest.MaxProblemLines, d.Problems.Count);
        Assert.Equal(500 - FpmLogDigest.MaxProblemLines, d.ProblemsOmitted);
        Assert.Equal(1, d.Problems[0].Number);
        Assert.Equal(500, d.Problems[^1].Number);
        Assert.Equal(481, d.Problems[FpmLogDigest.MaxProblemLines / 2].Number);
    }
}
