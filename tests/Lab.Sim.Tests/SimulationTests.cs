using Lab.Sim.Engine;

namespace Lab.Sim.Tests;

/// <summary>The simulation core: ordering, streams merged with the heap, Run(until), Stop, cancellation.</summary>
public class SimulationTests
{
    private sealed class Recorder : ISimHandler
    {
        public List<(long T, int Kind)> Seen { get; } = new();
        public Action<Simulation, SimEvent>? Then { get; init; }
        public void Handle(Simulation sim, in SimEvent e) { Seen.Add((sim.Now, e.Kind)); Then?.Invoke(sim, e); }
    }

    private sealed class ListStream(Recorder recorder, int kind, params long[] times) : EventStream
    {
        private int _i;
        public void Arm() => NextTime = times.Length > 0 ? times[0] : Simulation.Never;
        public override void Fire(Simulation sim)
        {
            recorder.Seen.Add((sim.Now, kind));
            _i++;
            NextTime = _i < times.Length ? times[_i] : Simulation.Never;
        }
    }

    [Fact]
    public void EventsRunInTimeOrderThenInSchedulingOrder()
    {
        var sim = new Simulation();
        var r = new Recorder();
        sim.ScheduleAt(30, r, 1);
        sim.ScheduleAt(10, r, 2);
        sim.ScheduleAt(10, r, 3);
        sim.ScheduleAt(20, r, 4);
        sim.ScheduleAt(10, r, 5);
        sim.Run(Simulation.Never);
        Assert.Equal([(10L, 2), (10L, 3), (10L, 5), (20L, 4), (30L, 1)], r.Seen);
    }

    [Fact]
    public void ManyEventsComeOutSorted()
    {
        var sim = new Simulation();
        var r = new Recorder();
        var rng = new Random(5);
        for (int i = 0; i < 5000; i++) sim.ScheduleAt(rng.Next(0, 1000), r, i);
        sim.Run(Simulation.Never);
        Assert.Equal(5000, r.Seen.Count);
        for (int i = 1; i < r.Seen.Count; i++)
        {
            Assert.True(r.Seen[i - 1].T <= r.Seen[i].T);
            if (r.Seen[i - 1].T == r.Seen[i].T) Assert.True(r.Seen[i - 1].Kind < r.Seen[i].Kind); // scheduling order kept
        }
    }

    [Fact]
    public void StreamsMergeWithTheHeapHeapFirstThenStreamsInOrder()
    {
        var sim = new Simulation();
        var r = new Recorder();
        var a = new ListStream(r, 100, 10, 20);
        var b = new ListStream(r, 200, 20);
        sim.AddStream(a);
        sim.AddStream(b);
        a.Arm();
        b.Arm();
        sim.ScheduleAt(20, r, 1);
        sim.ScheduleAt(5, r, 2);
        sim.Run(Simulation.Never);
        Assert.Equal([(5L, 2), (10L, 100), (20L, 1), (20L, 100), (20L, 200)], r.Seen);
    }

    [Fact]
    public void RunStopsAfterUntilAndLeavesTheClockThere()
    {
        var sim = new Simulation();
        var r = new Recorder();
        sim.ScheduleAt(10, r, 1);
        sim.ScheduleAt(50, r, 2);
        sim.ScheduleAt(51, r, 3);
        sim.Run(50);
        Assert.Equal([(10L, 1), (50L, 2)], r.Seen);
        Assert.Equal(50, sim.Now);
        sim.Run(100);
        Assert.Equal(3, r.Seen.Count);
        Assert.Equal(100, sim.Now);
    }

    [Fact]
    public void ScheduleIsRelativeToNowAndStopEndsTheRun()
    {
        var sim = new Simulation();
        var later = new Recorder();
        var r = new Recorder
        {
            Then = (s, e) =>
            {
                if (e.Kind < 3) s.Schedule(7, later, 9);
                if (e.Kind == 2) s.Stop();
            },
        };
        sim.ScheduleAt(3, r, 1);
        sim.ScheduleAt(4, r, 2);
        sim.ScheduleAt(5, r, 3);
        Assert.True(sim.Run(Simulation.Never));
        Assert.True(sim.Stopped);
        Assert.Equal(4, sim.Now);
        Assert.Equal(3, sim.Pending); // kind 3 at 5, and the two events scheduled for 10 and 11
        sim.Run(Simulation.Never);
        Assert.Equal([(10L, 9), (11L, 9)], later.Seen);
    }

    [Fact]
    public void CancellationStopsALongRun()
    {
        var sim = new Simulation();
        var endless = new Recorder { Then = (s, e) => s.Schedule(1, (ISimHandler)e.Handler, 0) };
        sim.ScheduleAt(0, endless, 0);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.False(sim.Run(Simulation.Never, cts.Token));
        Assert.InRange(endless.Seen.Count, 1, 8192);
    }

    [Fact]
    public void TimeConversionsAreMicroseconds()
    {
        Assert.Equal(1_500_000, Simulation.FromSeconds(1.5));
        Assert.Equal(2_000, Simulation.FromTimeSpan(TimeSpan.FromMilliseconds(2)));
        Assert.Equal(0.25, Simulation.ToSeconds(250_000));
    }
}
