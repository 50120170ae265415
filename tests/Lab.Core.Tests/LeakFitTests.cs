using Lab.Core.Fitting;
using Lab.Core.Randomness;
using Xunit;

namespace Lab.Core.Tests;

/// <summary>
/// The leak fit against a known truth: children whose RSS after each request is a baseline, a
/// leak per request and an allocator that keeps part of each request's transient memory and
/// gives back a random share (the simulator's own rule), so the truth is known exactly.
/// </summary>
public class LeakFitTests
{
    private const double Baseline = 7148;

    /// <summary>One child's RSS after each of its requests; the allocator as MemoryModel's defaults (keep 50%, at most 4 MiB, give back up to 60%).</summary>
    private static IEnumerable<(long N, double Rss, double Transient)> Child(ulong seed, int child, int requests, double leakKb, double transientMaxKb)
    {
        double kept = 0, retained = 0;
        for (int n = 1; n <= requests; n++)
        {
            ulong i = (ulong)(child * 10_000 + n);
            double transient = Math.Floor(LabRandom.Uniform(seed, 1, i) * transientMaxKb);
            double u = LabRandom.Uniform(seed, 2, i);
            kept += leakKb;
            retained = Math.Min(4096, retained * (1 - 0.6 * u) + 0.5 * transient);
            double rss = Baseline + Math.Ceiling((kept + retained) / 4) * 4; // whole pages, as ps counts
            yield return (n, rss, transient);
        }
    }

    private static LeakFitResult Fit(ulong seed, int children, int requests, double leakKb, double transientMaxKb)
    {
        var fit = new LeakFit();
        for (int c = 0; c < children; c++)
        {
            foreach (var (n, rss, transient) in Child(seed, c, requests, leakKb, transientMaxKb)) fit.AddRequest(c, n, rss, transient);
            fit.End(c);
        }
        return fit.Result();
    }

    [Fact]
    public void Without_retention_the_leak_is_exact()
    {
        var r = Fit(1, children: 10, requests: 5, leakKb: 4096, transientMaxKb: 0);
        Assert.True(r.FromRequests);
        Assert.Equal(4096, r.LeakKb, 6);
        Assert.Equal(4096, r.GrowthKb, 6);
        Assert.InRange(r.StdErrKb, 0, 1e-3);
        Assert.Equal(50, r.Points);
    }

    [Theory]
    [InlineData(8, 5, 4096)]    // article-max-requests: 8 children of 5 requests
    [InlineData(1, 120, 2048)]  // article-growth: one child, 120 requests
    [InlineData(10, 20, 1024)]
    public void The_95_percent_interval_covers_the_leak_and_the_estimate_is_unbiased(int children, int requests, double leak)
    {
        const int seeds = 1000;
        int covered = 0;
        double sum = 0, growthSum = 0;
        for (ulong seed = 1; seed <= seeds; seed++)
        {
            var r = Fit(seed, children, requests, leak, transientMaxKb: 4096);
            Assert.True(r.HasLeak);
            if (r.Low95Kb <= leak && leak <= r.High95Kb) covered++;
            sum += r.LeakKb;
            growthSum += r.GrowthKb;
        }
        Assert.InRange(covered / (double)seeds, 0.93, 1.0);
        Assert.InRange(sum / seeds, leak * 0.97, leak * 1.03);
        if (requests <= 5)
            Assert.True(growthSum / seeds > leak * 1.08, $"RSS growth over 5-request lives folds the retention in: {growthSum / seeds:0} KiB for a {leak} KiB leak");
    }

    [Fact]
    public void Each_child_s_own_fresh_baseline_keeps_their_differences_out_of_the_retention()
    {
        // real children start a few hundred KiB apart; short lives, a leak of 4,128 KiB, no retention
        var fit = new LeakFit();
        for (int c = 0; c < 8; c++)
        {
            double baseline = 7900 + 37 * ((c * 5) % 8);
            fit.AddBaseline(c, 0.1, baseline - 4000); // still starting up
            fit.AddBaseline(c, 0.2, baseline);        // ready: the latest fresh reading stands
            if (c % 2 == 0) fit.AddBaseline(c, 0.35, baseline + 4128 + 900); // once its first request was sent: left out
            for (int n = 1; n <= 5; n++) fit.AddRequest(c, n, baseline + 4128 * n, transientKb: 1000 * ((n + c) % 4), sentT: 0.3 + n);
            fit.End(c);
        }
        var r = fit.Result();
        Assert.Equal(4128, r.LeakKb, 3);
        Assert.InRange(r.High95Kb - r.Low95Kb, 0, 1);
    }

    [Fact]
    public void One_request_per_child_cannot_tell_the_leak()
    {
        var r = Fit(3, children: 20, requests: 1, leakKb: 4096, transientMaxKb: 4096);
        Assert.False(r.HasLeak);
        Assert.True(double.IsNaN(r.GrowthKb));
    }

    [Fact]
    public void Samples_are_used_only_without_request_readings_and_repeats_count_once()
    {
        var fit = new LeakFit();
        for (int c = 0; c < 4; c++)
        {
            fit.AddSample(c, 0, Baseline); // fresh: not a point
            for (int n = 1; n <= 6; n++)
            {
                fit.AddSample(c, n, Baseline + 1000 * n);
                fit.AddSample(c, n, Baseline + 1000 * n); // the same count seen twice: one point
            }
            fit.End(c);
        }
        var fromSamples = fit.Result();
        Assert.False(fromSamples.FromRequests);
        Assert.Equal(24, fromSamples.Points);
        Assert.Equal(1000, fromSamples.LeakKb, 6);

        fit.AddRequest(9, 1, Baseline + 500, 0);
        fit.AddRequest(9, 2, Baseline + 1000, 0);
        fit.AddRequest(9, 3, Baseline + 1500, 0);
        fit.AddRequest(9, 4, Baseline + 2000, 0);
        var fromRequests = fit.Result();
        Assert.True(fromRequests.FromRequests);
        Assert.Equal(500, fromRequests.LeakKb, 6);
    }

    [Fact]
    public void A_broken_chain_starts_again()
    {
        var fit = new LeakFit();
        fit.AddRequest(1, 1, 1000, 0);
        fit.AddRequest(1, 2, 1100, 0);
        fit.Break(1); // a request timed out: the count is not sure any more
        fit.AddRequest(1, 4, 1300, 0);
        fit.AddRequest(1, 5, 1400, 0);
        fit.AddRequest(1, 6, 1500, 0);
        var r = fit.Result();
        Assert.Equal(100, r.LeakKb, 6);
    }

    [Theory]
    [InlineData(1, 12.706)]
    [InlineData(2, 4.303)]
    [InlineData(3, 3.182)]
    [InlineData(5, 2.571)]
    [InlineData(10, 2.228)]
    [InlineData(30, 2.042)]
    [InlineData(1000, 1.962)]
    public void Student_t_quantiles(double df, double expected) => Assert.Equal(expected, StudentT.Quantile975(df), 2);
}
