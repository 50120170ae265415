using Lab.Linux.Proc;
using Lab.Core.Scenarios;
using Lab.Core.Time;

namespace Lab.Probe.Tests;

public class MemoryGuardTests
{
    private const long GiB = 1024L * 1024 * 1024;
    private const long GiBKb = 1024L * 1024;

    [Fact]
    public void DefaultsResolvePerTheIssue()
    {
        var big = MemoryGuard.Resolve(new GuardSettings(), new MemInfo(MemTotalKb: 16 * GiBKb, MemAvailableKb: 10 * GiBKb));
        Assert.Equal(5 * GiBKb, big.MaxRssKb);       // half of MemAvailable now
        Assert.Equal(1 * GiBKb, big.MinAvailableKb); // min(1 GiB, 1.6 GiB)
        Assert.True(big.MaxRssIsDefault && big.MinAvailableIsDefault);

        var small = MemoryGuard.Resolve(new GuardSettings(), new MemInfo(MemTotalKb: 4 * GiBKb, MemAvailableKb: 3 * GiBKb));
        Assert.Equal(3 * GiBKb / 2, small.MaxRssKb);
        Assert.Equal(4 * GiBKb / 10, small.MinAvailableKb); // 10% of MemTotal is under 1 GiB

        var set = MemoryGuard.Resolve(new GuardSettings { MaxRssBytes = 2 * GiB, MinAvailableBytes = 512L * 1024 * 1024 },
            new MemInfo(16 * GiBKb, 10 * GiBKb));
        Assert.Equal(new GuardLimits(2 * GiBKb, 512 * 1024), set);
        Assert.False(set.MaxRssIsDefault || set.MinAvailableIsDefault);
    }

    [Fact]
    public void TripsOnASmallMaxRssWithAClearReason()
    {
        var now = Proc.ReadMemInfo();
        var guard = new MemoryGuard(MemoryGuard.Resolve(new GuardSettings { MaxRssBytes = 1024 * 1024 }, now));
        Assert.True(Proc.TryRead(Environment.ProcessId, new RunClock(), out var self));
        long total = MemoryGuard.TotalRssKb([self]);
        string? reason = guard.Check(total, now);
        Assert.NotNull(reason);
        Assert.StartsWith("the pool's RSS reached ", reason);
        Assert.EndsWith("over guard.max_rss = 1 MiB", reason);
        Assert.Null(guard.Check(512, now)); // under both limits
    }

    [Fact]
    public void TripsOnAFloorAboveMemAvailable()
    {
        var now = Proc.ReadMemInfo();
        var guard = new MemoryGuard(MemoryGuard.Resolve(new GuardSettings { MinAvailableBytes = (now.MemAvailableKb + GiBKb) * 1024 }, now));
        string? reason = guard.Check(1024, Proc.ReadMemInfo());
        Assert.NotNull(reason);
        Assert.StartsWith("the host's MemAvailable fell to ", reason);
        Assert.Contains("under guard.min_available = ", reason);

        var byDefault = new MemoryGuard(MemoryGuard.Resolve(new GuardSettings(), now));
        Assert.Null(byDefault.Check(1024, now));
    }

    [Fact]
    public void ReasonsMatchTheIssueWording()
    {
        var guard = new MemoryGuard(new GuardLimits(2 * GiBKb, GiBKb));
        Assert.Equal("the pool's RSS reached 2.1 GiB, over guard.max_rss = 2 GiB",
            guard.Check(2 * GiBKb + GiBKb / 10, new MemInfo(16 * GiBKb, 8 * GiBKb)));
        Assert.Equal("the host's MemAvailable fell to 900 MiB, under guard.min_available = 1 GiB",
            guard.Check(1, new MemInfo(16 * GiBKb, 900 * 1024)));
        Assert.Equal("512 KiB", MemoryGuard.FormatKb(512));
    }
}

public class GuardSamplerTests
{
    /// <summary>
    /// The guard's own sampler watches the whole tree (a grandchild that grows, under a shell) at
    /// its own cadence, with no sampler tick involved, and trips once, with the total it saw.
    /// </summary>
    [Fact]
    public void Trips_on_a_grandchild_that_grows_past_max_rss()
    {
        using var tree = Spawned.Start("sh", "-c",
            "perl -e '$| = 1; my @keep; print qq(ready\\n); while (<STDIN>) { push @keep, q(a) x (16 * 1024 * 1024); print qq(grown\\n); }'; wait");
        Assert.Equal("ready", tree.ReadLine());
        var clock = new RunClock();
        long start = 0;
        Assert.True(Spawned.WaitFor(() => (start = TreeRss(tree.Pid)) > 0));
        var limits = new GuardLimits(start + 40 * 1024, 0);
        var trips = new List<(long TotalKb, string Why)>();
        using var guard = new GuardSampler(clock, () => [tree.Pid], new MemoryGuard(limits), (t, total, why) => { lock (trips) trips.Add((total, why)); });
        guard.Start();
        Assert.True(Spawned.WaitFor(() => guard.Checks >= 2));
        lock (trips) Assert.Empty(trips); // under the limit: nothing
        for (int i = 0; i < 4; i++)
        {
            tree.WriteLine("grow");
            Assert.Equal("grown", tree.ReadLine());
        }
        Assert.True(Spawned.WaitFor(() => { lock (trips) return trips.Count > 0; }), "the guard never tripped");
        long checks = guard.Checks;
        Thread.Sleep(300);
        Assert.Equal(checks, guard.Checks); // it stops at its first trip
        var (totalKb, reason) = Assert.Single(trips);
        Assert.True(totalKb >= limits.MaxRssKb);
        Assert.StartsWith("the pool's RSS reached ", reason);
        Assert.True(guard.PeakKb >= totalKb);
    }

    private static long TreeRss(int root)
    {
        long sum = Proc.TryRead(root, new RunClock(), out var r) ? r.RssKb : 0;
        foreach (int pid in Proc.Descendants(root)) if (Proc.TryRead(pid, new RunClock(), out var s)) sum += s.RssKb;
        return sum;
    }
}
