using Lab.Core.Records;
using Lab.Core.Scenarios;

namespace Lab.Sim.Tests;

/// <summary>
/// memory.shared: the simulator knows every true value, so its PSS/USS must follow the model
/// exactly: each child's RSS holds the shared part, its USS leaves it out, the children's PSS
/// shares it (the pool pays it once), the master's PSS is memory.master_pss — at the ticks that
/// read smaps_rollup (every pss_interval), none in between.
/// </summary>
public class SharedMemoryTests
{
    [Theory]
    [InlineData(1, 4096, 0, 1UL)]
    [InlineData(4, 8192, 5, 7UL)]
    [InlineData(8, 30000, 3, 42UL)]
    public void PssCountsTheSharedPartOnce_UssLeavesItOut(int children, long sharedKb, int maxRequests, ulong seed)
    {
        var s = Scenarios.Make(Scenarios.StaticPool(children, maxRequests), Scenarios.Leaking(), Scenarios.Inject(20, 10)) with
        {
            Seed = seed,
            SampleInterval = TimeSpan.FromMilliseconds(250),
            PssInterval = TimeSpan.FromSeconds(1),
            Memory = new MemoryModel { SharedKb = sharedKb, MasterPssKb = 5000 },
        };
        var sink = Sim.Run(s);
        var ticks = sink.Samples.GroupBy(x => x.T).ToList();
        Assert.NotEmpty(ticks);
        int read = 0;
        foreach (var tick in ticks)
        {
            var kids = tick.Where(x => x.Role == ProcessRole.Child).ToList();
            bool pss = tick.First().HasPss;
            Assert.All(tick, x => Assert.Equal(pss, x.HasPss)); // a tick reads all processes or none
            bool due = Math.Abs(tick.Key - Math.Round(tick.Key)) < 1e-9 && tick.Key <= 10 + 1e-9;
            if (due) Assert.True(pss, $"t = {tick.Key} should have read PSS");
            if (!pss) continue;
            read++;
            var master = tick.Single(x => x.Role == ProcessRole.Master);
            Assert.Equal((5000L, 5000L), (master.PssKb, master.UssKb));
            foreach (var c in kids)
            {
                Assert.Equal(sharedKb, c.RssKb - c.UssKb);
                Assert.True(c.PssKb > c.UssKb && c.PssKb < c.RssKb || kids.Count == 1 && c.PssKb == c.RssKb);
            }
            // the pool pays the shared part once (each child's share rounded to a KiB)
            long shared = kids.Sum(c => c.PssKb - c.UssKb);
            Assert.InRange(shared, sharedKb - kids.Count, sharedKb + kids.Count);
        }
        Assert.InRange(read, 10, 12);
    }

    [Fact]
    public void WithoutSharedMemory_PssEqualsUssEqualsRss()
    {
        var s = Scenarios.Make(Scenarios.StaticPool(3), Scenarios.Leaking(), Scenarios.Inject(10, 5));
        var sink = Sim.Run(s);
        var withPss = sink.Samples.Where(x => x.HasPss && x.Role == ProcessRole.Child).ToList();
        Assert.NotEmpty(withPss);
        Assert.All(withPss, x => Assert.Equal((x.RssKb, x.RssKb), (x.PssKb, x.UssKb)));
    }
}

/// <summary>memory.shared_code: in a child's RSS from its first request on, shared among the children that ran one.</summary>
public class SharedCodeTests
{
    [Fact]
    public void The_code_is_shared_from_the_first_request_on()
    {
        var s = Scenarios.Make(Scenarios.StaticPool(4), Scenarios.Leaking(leakKb: 0), Scenarios.Pause(1), Scenarios.KeepConstant(4, 3)) with
        {
            PssInterval = TimeSpan.FromMilliseconds(250),
            SampleInterval = TimeSpan.FromMilliseconds(250),
            Memory = new MemoryModel { SharedKb = 4000, SharedCodeKb = 6000, SharedOthers = 1 },
        };
        var sink = Sim.Run(s);
        var kids = sink.Samples.Where(x => x.Role == ProcessRole.Child && x.HasPss).ToList();
        Assert.All(kids.Where(x => x.Requests == 0 && x.T < 1), x => Assert.Equal(4000, x.RssKb - x.UssKb));
        Assert.All(kids.Where(x => x.Requests >= 1), x => Assert.Equal(10_000, x.RssKb - x.UssKb));
        // at a tick where every child ran a request: each holds 4000 / (4 + 1) + 6000 / (4 + 1) in PSS
        var all = kids.GroupBy(x => x.T).Last(g => g.All(x => x.Requests >= 1) && g.Count() == 4);
        Assert.All(all, x => Assert.Equal(2000, x.PssKb - x.UssKb));
    }
}
