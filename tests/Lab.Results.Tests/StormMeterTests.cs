using Lab.Core.Records;
using Lab.Results.Storm;

namespace Lab.Results.Tests;

/// <summary>The storm figures against records whose answer is known.</summary>
public class StormMeterTests
{
    private static RequestRecord Req(long id, double t, int pid, double latencyMs, int status = RequestStatus.Ok) =>
        new(id, t, t, t + latencyMs / 1000, pid, status, latencyMs, 0, 0);

    [Fact]
    public void Recycles_in_a_sliding_second_cold_children_at_once_peak_to_mean_and_latency_near_recycles()
    {
        var m = new StormMeter();
        // ticks: pool totals 100, 300, 200 → peak 300, mean 200
        foreach (var (t, kb) in new[] { (0.0, 100L), (1.0, 300L), (2.0, 200L) })
        {
            m.Sample(new Sample(t, 1, ProcessRole.Master, kb / 2, 0, 0, 'S', 0));
            m.Sample(new Sample(t, 2, ProcessRole.Child, kb / 2, 0, 0, 'S', 0));
            m.EndTick();
        }
        // 3 recycles within 0.9 s (10.05 .. 10.95), one more at 11.5: the sliding window holds 3 (10.05–10.95) or 3 (10.6, 10.95, 11.5)
        double[] exits = [10.05, 10.6, 10.95, 11.5, 30.0];
        int pid = 100;
        foreach (double t in exits)
        {
            m.Event(PoolEvent.Exit(t, pid, ExitStatus.Code(0), ExitCause.MaxRequests));
            m.Event(PoolEvent.Spawn(t, pid + 1000, SpawnCause.Respawn));
            pid++;
        }
        m.Event(PoolEvent.Exit(12, 555, ExitStatus.Code(0), ExitCause.Idle));          // not a recycle
        m.Event(PoolEvent.Spawn(0, 900, SpawnCause.Initial));                           // an initial child is not counted as starting
        // the respawned children's first requests end at 12.0: four of them were cold together from 11.5 to 12.0
        for (int i = 0; i < 4; i++) m.Request(Req(i, 11.9, 1100 + i, 100));
        // latency: requests sent in seconds 9..12 (around the recycles at 10 and 11, and 29..31) are "near"
        long id = 100;
        for (int s = 0; s < 40; s++)
            for (int k = 0; k < 100; k++)
                m.Request(Req(id++, s + k / 100.0, 1, s is >= 9 and <= 12 or >= 29 and <= 31 ? 500 : 10));

        var r = m.Build(runEnd: 40);
        Assert.Equal(3, r.MaxRecyclesPerSecond);
        Assert.Equal(10.05, r.MaxRecyclesAtS);
        Assert.Equal(4, r.MaxStartingAtOnce); // the fifth (30.0) never served: cold from 30 to the end, alone
        Assert.Equal(1.5, r.PoolRssPeakToMean);
        Assert.Null(r.PoolPssPeakToMean);
        Assert.InRange(r.P99NearRecyclesMs!.Value, 500 / 1.04, 500 * 1.04);
        Assert.InRange(r.P99ElsewhereMs!.Value, 10 / 1.04, 10 * 1.04);
        Assert.Equal(700 + 4, r.RequestsNearRecycles); // seconds 9..12 and 29..31, and the 4 first requests at 11.9
    }

    [Fact]
    public void A_reload_renews_every_child_at_once_and_its_new_children_start_cold()
    {
        var m = new StormMeter();
        for (int i = 0; i < 3; i++) m.Event(PoolEvent.Spawn(0, 10 + i, SpawnCause.Initial)); // the first master's children: not cold
        m.Event(PoolEvent.Of(5, PoolEventKind.Reload, 1));                                     // kill -USR2 from cron
        for (int i = 0; i < 3; i++) m.Event(PoolEvent.Exit(5.1 + i * 0.1, 10 + i, ExitStatus.Code(0), ExitCause.Reload));
        for (int i = 0; i < 3; i++) m.Event(PoolEvent.Spawn(5.5, 20 + i, SpawnCause.Initial)); // the new master's children
        for (int i = 0; i < 3; i++) m.Request(Req(i, 5.6 + i * 0.1, 20 + i, 10));
        var r = m.Build(runEnd: 10);
        Assert.Equal(3, r.MaxRecyclesPerSecond);
        Assert.Equal(3, r.MaxStartingAtOnce);

        // without the reload, the same initial spawns are a master's first children: none cold
        var first = new StormMeter();
        for (int i = 0; i < 3; i++) first.Event(PoolEvent.Spawn(0, 10 + i, SpawnCause.Initial));
        Assert.Equal(0, first.Build(runEnd: 10).MaxStartingAtOnce);
    }

    [Fact]
    public void Overlap_counts_an_end_before_a_start_at_the_same_instant()
    {
        Assert.Equal(1, StormMeter.MaxOverlap([(0, 1), (1, 2)]));
        Assert.Equal(2, StormMeter.MaxOverlap([(0, 2), (1, 3), (2, 4)]));
        Assert.Equal(0, StormMeter.MaxOverlap([]));
    }
}
