using Lab.Linux.Proc;
using System.Collections.Concurrent;
using Lab.Core.Time;

namespace Lab.Probe.Tests;

public class SamplerTests
{
    private const double Interval = 0.020;

    private sealed record Tick(double T, double Actual, IReadOnlyList<ProcSample> Samples);

    private static long K(double t) => (long)Math.Round(t / Interval);

    [Fact]
    public void TicksAreExactMultiplesOfTheInterval()
    {
        var clock = new RunClock();
        var ticks = new ConcurrentQueue<Tick>();
        using var sampler = new Sampler(clock, TimeSpan.FromSeconds(Interval), () => [Environment.ProcessId],
            (t, s) => ticks.Enqueue(new Tick(t, clock.Now, s)));
        sampler.Start();
        Assert.True(Spawned.WaitFor(() => ticks.Count >= 50, attempts: 1000, sleepMs: 10));
        sampler.Stop();

        var all = ticks.ToArray();
        var regular = all[..^1]; // the last one is Stop's final tick, at the stop time
        Assert.True(regular.Length >= 50);
        foreach (var tick in regular)
        {
            Assert.Equal(K(tick.T) * Interval, tick.T, 12);       // t = k × interval exactly: no drift
            Assert.True(tick.Actual >= tick.T, "a tick never runs before its time");
        }
        long gaps = 0;
        for (int i = 1; i < regular.Length; i++)
        {
            long dk = K(regular[i].T) - K(regular[i - 1].T);
            Assert.True(dk >= 1, "ticks are in order, never repeated");
            gaps += dk - 1;
        }
        Assert.Equal(sampler.TicksMissed, gaps);                  // every skipped k is counted
        Assert.Equal(all.Length, sampler.TicksTaken);
        Assert.True(all[^1].T >= regular[^1].T);
        Assert.Contains(all[0].Samples, s => s.Pid == Environment.ProcessId);
    }

    [Fact]
    public void MissedTicksAreSkippedNotBunched()
    {
        var clock = new RunClock();
        var ticks = new ConcurrentQueue<Tick>();
        int calls = 0;
        using var sampler = new Sampler(clock, TimeSpan.FromSeconds(Interval), () => [],
            (t, s) =>
            {
                ticks.Enqueue(new Tick(t, clock.Now, s));
                if (Interlocked.Increment(ref calls) == 5) Thread.Sleep(TimeSpan.FromSeconds(3.6 * Interval)); // a stall
            });
        sampler.Start();
        Assert.True(Spawned.WaitFor(() => ticks.Count >= 15, attempts: 1000, sleepMs: 10));
        sampler.Stop();

        var regular = ticks.ToArray()[..^1];
        long stalledK = K(regular[4].T), nextK = K(regular[5].T);
        // the stall ended at least 3.6 intervals after tick k started: ticks k+1 and k+2 were whole
        // intervals in the past, so they are skipped and the next tick is k+3 or later
        Assert.True(nextK - stalledK >= 3, $"after a stall the sampler resumes on the current tick (got k={stalledK} then {nextK})");
        long gaps = 0;
        for (int i = 1; i < regular.Length; i++) gaps += K(regular[i].T) - K(regular[i - 1].T) - 1;
        Assert.Equal(sampler.TicksMissed, gaps);
        Assert.True(sampler.TicksMissed >= 2);
    }

    [Fact]
    public void AProcessStartedAfterTheSamplerIsPickedUpAtTheNextTick()
    {
        using var root = Spawned.Start("sh", "-c", "echo ready; read line; sleep 600 & wait");
        Assert.Equal("ready", root.ReadLine());
        var clock = new RunClock();
        var ticks = new ConcurrentQueue<Tick>();
        using var sampler = new Sampler(clock, TimeSpan.FromSeconds(Interval), () => [root.Pid],
            (t, s) => ticks.Enqueue(new Tick(t, clock.Now, s)));
        sampler.Start();
        Assert.True(Spawned.WaitFor(() => ticks.Count >= 3));
        Assert.All(ticks, tick => Assert.Equal([root.Pid], tick.Samples.Select(s => s.Pid)));

        root.WriteLine("go");
        int sleepPid = 0;
        Assert.True(Spawned.WaitFor(() => Proc.Descendants(root.Pid) is [var p] && (sleepPid = p) > 0 && Proc.TryRead(p, clock, out var s) && s.Comm == "sleep"));
        double seen = clock.Now;
        Assert.True(Spawned.WaitFor(() => ticks.Any(t => t.T > seen)));
        sampler.Stop();

        // every tick scheduled after the process was seen holds it, the first one included
        var after = ticks.Where(t => t.T > seen).ToList();
        Assert.NotEmpty(after);
        Assert.All(after, tick => Assert.Contains(tick.Samples, s => s.Pid == sleepPid && s.Ppid == root.Pid));
        var rootSample = after[0].Samples[0];
        Assert.Equal(root.Pid, rootSample.Pid); // roots come first
    }

    [Fact]
    public void StopTakesAFinalTickAndRethrowsAnOnTickFault()
    {
        var clock = new RunClock();
        int n = 0;
        var sampler = new Sampler(clock, TimeSpan.FromSeconds(10), () => [Environment.ProcessId], (t, s) => Interlocked.Increment(ref n));
        sampler.Start();
        Assert.True(Spawned.WaitFor(() => Volatile.Read(ref n) == 1)); // tick 0 at t = 0
        sampler.Stop();                                                  // long before tick 1
        Assert.Equal(2, n);
        Assert.Equal(2, sampler.TicksTaken);
        sampler.Dispose();

        var failing = new Sampler(clock, TimeSpan.FromMilliseconds(20), () => [], (t, s) => throw new InvalidDataException("boom"));
        failing.Start();
        Thread.Sleep(100);
        Assert.Throws<InvalidDataException>(() => failing.Stop());
        failing.Dispose();
    }
}
