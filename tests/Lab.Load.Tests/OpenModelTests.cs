using HdrHistogram;
using System.Net.Sockets;
using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.FastCgi;

namespace Lab.Load.Tests;

public class OpenModelTests
{
    [Fact]
    public async Task EvenSpacing_IntendedTimesAreTheSchedulesAndSendsAreNeverEarly()
    {
        var plan = new LoadPlan { Phases = [Run.Inject(100, 1.0)] };
        var run = await Run.Create(plan, FakeTransport.Instant()).GoAsync();

        var arrivals = run.Schedule.OpenArrivals().ToList();
        Assert.Equal(100, arrivals.Count);
        var records = run.Observer.ById();
        Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)i), records.Select(r => r.Id));
        for (int i = 0; i < records.Count; i++)
        {
            var r = records[i];
            Assert.Equal(run.StartAt + arrivals[i], r.TIntended);            // exactly the schedule's time
            Assert.Equal(run.StartAt + i * 0.01, r.TIntended, 9);             // evenly spaced at 1/rate
            Assert.True(r.TStart >= r.TIntended, $"request {r.Id} was sent before its time");
            Assert.True(r.TEnd >= r.TStart);
            Assert.Equal(200, r.Status);
            var spec = run.Stream.For(r.Id);
            Assert.Equal(spec.LeakKb, r.LeakKb);                             // the scenario's request stream
            Assert.Equal(spec.TransientKb, r.TransientKb);
            Assert.Equal((r.TEnd - r.TIntended) * 1000, r.LatencyMs, 9);
        }
        // the actual send follows the intended time closely for most requests (a ratio, not a limit)
        int punctual = records.Count(r => r.TStart - r.TIntended < 0.010);
        Assert.True(punctual >= 60, $"only {punctual}/100 requests were sent within 10 ms of their intended time");
        Assert.Equal(100, run.Driver.Stats.Sent);
        Assert.Equal(100, run.Driver.Stats.Ok);
        Assert.Equal(0, run.Driver.Stats.Dropped);
        Assert.Equal(0, run.Driver.Stats.InFlight);
    }

    [Fact]
    public async Task PoissonArrivals_CountAndDispersionAreStatisticallyRight()
    {
        var plan = new LoadPlan { Phases = [Run.Inject(200, 2.0)], Arrivals = ArrivalProcess.Poisson };
        var run = await Run.Create(plan, FakeTransport.Instant(), seed: 11).GoAsync();
        var records = run.Observer.ById();
        // N ~ Poisson(400): within 4 sigma (sigma = 20)
        Assert.InRange(records.Count, 400 - 80, 400 + 80);
        Assert.Equal(run.Schedule.OpenArrivals().Count(), records.Count);
        // exponential gaps: coefficient of variation ~1 (even spacing would give ~0)
        var gaps = records.Zip(records.Skip(1), (a, b) => b.TIntended - a.TIntended).ToList();
        Assert.All(gaps, g => Assert.True(g >= 0, "intended times are in id order"));
        double mean = gaps.Average(), sd = Math.Sqrt(gaps.Sum(g => (g - mean) * (g - mean)) / (gaps.Count - 1));
        Assert.InRange(mean, 1 / 200.0 * 0.85, 1 / 200.0 * 1.15);
        Assert.InRange(sd / mean, 0.8, 1.2);
    }

    [Fact]
    public async Task RampingInject_CountsFollowTheRamp()
    {
        // 0 → 200 req/s over 1 s (100 requests: 25 in the first half, 75 in the second), then 200 req/s for 0.5 s (100)
        var plan = new LoadPlan { Phases = [Run.Ramp(200, 1.0), Run.Inject(200, 0.5)] };
        var run = await Run.Create(plan, FakeTransport.Instant()).GoAsync();
        var t = run.Observer.Records.Select(r => r.TIntended - run.StartAt).ToList();
        Assert.InRange(t.Count(x => x < 0.5), 24, 26);
        Assert.InRange(t.Count(x => x >= 0.5 && x < 1.0), 74, 76);
        Assert.InRange(t.Count(x => x >= 1.0), 99, 101);
        Assert.Equal(run.Schedule.OpenArrivals().Count(), t.Count);
    }

    [Fact]
    public async Task RequestsOverTheInFlightCapAreDroppedAndCounted()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var transport = new FakeTransport(async (r, c) => { await gate.Task.WaitAsync(c); return new TransportResult(200, 7, null); });
        var plan = new LoadPlan { Phases = [Run.Inject(100, 0.5)], MaxInFlight = 5 };
        var run = Run.Create(plan, transport);
        var running = run.GoAsync();
        while (run.Driver.Stats.Sent + run.Driver.Stats.Dropped < 50) await Task.Delay(10);
        Assert.Equal(5, run.Driver.Stats.InFlight);
        gate.SetResult();
        await running;

        var records = run.Observer.ById();
        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), records.Select(r => r.Id)); // dropped ones take their ids
        Assert.Equal(5, records.Count(r => r.Status == 200));
        Assert.Equal(Enumerable.Range(1, 5).Select(i => (long)i), records.Where(r => r.Ok).Select(r => r.Id));
        var dropped = records.Where(r => r.Dropped).ToList();
        Assert.Equal(45, dropped.Count);
        Assert.All(dropped, r => { Assert.Equal(0, r.Pid); Assert.Equal(r.TStart, r.TEnd); Assert.True(r.TStart >= r.TIntended); });
        Assert.Equal(45, run.Driver.Stats.Dropped);
        Assert.Equal(5, run.Driver.Stats.Sent);
        Assert.Equal(5, transport.MaxConcurrency);
        Assert.Equal(5, run.Driver.Corrected.TotalCount);                 // dropped requests have no latency
    }

    [Fact]
    public async Task IterationsCapSentPlusDroppedAndEndTheRunEarly()
    {
        var plan = new LoadPlan { Phases = [Run.Inject(100, 5.0)], Iterations = 30 };
        var run = await Run.Create(plan, FakeTransport.Instant()).GoAsync();
        var records = run.Observer.ById();
        Assert.Equal(Enumerable.Range(1, 30).Select(i => (long)i), records.Select(r => r.Id));
        Assert.True(run.EndedAt < run.StartAt + run.Schedule.End, "the run ended when the cap was reached, not at the schedule's end");
    }

    [Fact]
    public async Task TheClientTimeoutEndsARequestWith504()
    {
        var transport = new FakeTransport(async (r, c) => { await Task.Delay(Timeout.Infinite, c); return default; });
        var plan = new LoadPlan { Phases = [Run.Inject(20, 0.25)], Timeout = TimeSpan.FromMilliseconds(100) };
        var run = await Run.Create(plan, transport).GoAsync();
        var records = run.Observer.ById();
        Assert.Equal(5, records.Count);
        Assert.All(records, r =>
        {
            Assert.Equal(RequestStatus.ClientTimeout, r.Status);
            // the runtime's timers tick on a coarse clock (4 ms jiffies): no earlier than the timeout, give or take one
            Assert.True(r.TEnd - r.TStart >= 0.095, "a request times out no earlier than the timeout");
        });
        Assert.Equal(5, run.Driver.Stats.ClientTimeout);
        Assert.Equal(5, run.Driver.Uncorrected.TotalCount);
        Assert.True(run.Driver.Uncorrected.GetValueAtPercentile(0) >= 95_000);
    }

    [Fact]
    public async Task TransportExceptionsMapToStatuses()
    {
        var endpoint = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 9);
        var transport = new FakeTransport((r, c) => (r.Id % 8) switch
        {
            1 => throw new SocketException((int)SocketError.ConnectionRefused),
            2 => throw new SocketException((int)SocketError.ConnectionReset),
            3 => throw new FastCgiConnectException(endpoint, SocketError.TryAgain, new SocketException((int)SocketError.TryAgain)),
            4 => throw new FastCgiConnectionLostException("closed before END_REQUEST"),
            5 => throw new InvalidOperationException("a bug in a transport"),
            6 => Task.FromResult(new TransportResult(500, 42, "Allowed memory size of 134217728 bytes exhausted")),
            7 => Task.FromException<TransportResult>(new IOException("broken pipe")),
            _ => Task.FromResult(new TransportResult(200, 42, null)),
        });
        var plan = new LoadPlan { Phases = [Run.Inject(100, 0.16)] };
        var run = await Run.Create(plan, transport).GoAsync();
        var byId = run.Observer.ById().ToDictionary(r => r.Id);
        Assert.Equal(16, byId.Count);                                   // nothing is lost
        int StatusOf(long id) => byId[id].Status;
        Assert.Equal([503, 502, 503, 502, 502, 500, 502, 200], Enumerable.Range(1, 8).Select(i => StatusOf(i)));
        Assert.Equal([503, 502, 503, 502, 502, 500, 502, 200], Enumerable.Range(9, 8).Select(i => StatusOf(i)));
        var stats = run.Driver.Stats;
        Assert.Equal(2, stats.UnexpectedErrors);
        Assert.Equal(4, stats.Refused);
        Assert.Equal(8, stats.ChildDied);
        Assert.Equal(2, stats.MemoryLimit);
        Assert.Equal(2, stats.Ok);
        Assert.Equal(16, stats.Completed);
        Assert.NotNull(stats.LastError);
        Assert.Equal(42, byId[6].Pid);
    }

    [Fact]
    public async Task CorrectedLatencyIncludesTheSchedulersLatenessAndBothHistogramsFill()
    {
        // request 3 blocks the scheduler thread for 60 ms (a synchronous transport stall): the
        // requests due meanwhile go out late, which only the corrected latency shows
        var transport = new FakeTransport((r, c) =>
        {
            if (r.Id == 3) Thread.Sleep(60);
            return Task.FromResult(new TransportResult(200, 1, null));
        });
        var plan = new LoadPlan { Phases = [Run.Inject(200, 0.5)] };
        var run = await Run.Create(plan, transport).GoAsync();
        var records = run.Observer.ById();
        Assert.Equal(100, records.Count);
        Assert.All(records, r => Assert.True(r.LatencyMs >= r.UncorrectedMs - 1e-9));
        Assert.Equal(100, run.Driver.Corrected.TotalCount);
        Assert.Equal(100, run.Driver.Uncorrected.TotalCount);
        // the requests due during the stall (about 11 at 5 ms spacing) waited ≥ 10 ms past their time
        int late = records.Count(r => r.Id > 3 && r.TStart - r.TIntended > 0.010);
        Assert.True(late >= 8, $"{late} requests were held up by the stall");
        Assert.True(run.Driver.Corrected.GetMaxValue() >= 50_000);
        Assert.True(run.Driver.Corrected.GetValueAtPercentile(99) > run.Driver.Uncorrected.GetValueAtPercentile(99));
        var (c, u) = run.Driver.Snapshot();
        Assert.Equal(run.Driver.Corrected.TotalCount, c.TotalCount);
        Assert.Equal(run.Driver.Uncorrected.GetMaxValue(), u.GetMaxValue());
    }

    [Fact]
    public async Task RequestsThatCouldOnlyTimeOutAreDropped()
    {
        // a 200 ms scheduler stall with a 50 ms client timeout: requests due more than 50 ms before
        // the scheduler got back are never sent
        var transport = new FakeTransport((r, c) =>
        {
            if (r.Id == 2) Thread.Sleep(200);
            return Task.FromResult(new TransportResult(200, 1, null));
        });
        var plan = new LoadPlan { Phases = [Run.Inject(100, 0.5)], Timeout = TimeSpan.FromMilliseconds(50) };
        var run = await Run.Create(plan, transport).GoAsync();
        var records = run.Observer.ById();
        Assert.Equal(50, records.Count);
        var dropped = records.Where(r => r.Dropped).ToList();
        Assert.InRange(dropped.Count, 10, 45);
        Assert.All(dropped, r => Assert.True(r.TStart - r.TIntended >= 0.05));
        Assert.All(records.Where(r => !r.Dropped), r => Assert.True(r.TStart - r.TIntended < 0.1));
    }

    [Fact]
    public async Task StoppingSendsNoMoreRequests()
    {
        using var stop = new CancellationTokenSource();
        var plan = new LoadPlan { Phases = [Run.Inject(100, 10)] };
        var run = Run.Create(plan, FakeTransport.Instant());
        var running = run.GoAsync(stop.Token);
        while (run.Driver.Stats.Sent < 20) await Task.Delay(5);
        stop.Cancel();
        double stoppedAt = run.Clock.Now;
        await running;
        Assert.InRange(run.Driver.Stats.Sent, 20, 200); // of the 1000 the schedule holds
        Assert.All(run.Observer.Records, r => Assert.True(r.TStart <= stoppedAt));
    }
}
