using System.Collections.Concurrent;
using Lab.Core.Records;
using Lab.Core.Scenarios;

namespace Lab.Load.Tests;

public class ClosedModelTests
{
    [Fact]
    public async Task ThroughputIsUsersOverServiceTime()
    {
        const int users = 4;
        var service = TimeSpan.FromMilliseconds(25);
        var transport = FakeTransport.Delayed(service);
        var plan = new LoadPlan { Phases = [Run.Users(users, 1.5)] };
        var run = await Run.Create(plan, transport).GoAsync();
        var records = run.Observer.ById();

        Assert.Equal(Enumerable.Range(1, records.Count).Select(i => (long)i), records.Select(r => r.Id));
        Assert.All(records, r => Assert.Equal(200, r.Status));
        Assert.Equal(users, transport.MaxConcurrency);           // never more requests than users
        double meanService = records.Average(r => r.TEnd - r.TStart);
        Assert.True(meanService >= service.TotalSeconds * 0.99);
        // Little's law: X = N / S, with S the service time as measured
        double x = records.Count / 1.5;
        // (a lower margin for a shared machine, where a starved client idles between requests)
        Assert.InRange(x * meanService / users, 0.5, 1.05);
        // and against the nominal 25 ms: at most N/S (a request takes at least S), not far under it
        Assert.InRange(records.Count, 0.4 * users * 1.5 / service.TotalSeconds, users * 1.5 / service.TotalSeconds + users);
        // a user's next request is intended when its previous one ended (no think time)
        Assert.All(records, r => Assert.True(r.TStart >= r.TIntended));
        Assert.All(records, r => Assert.True(r.TIntended < run.StartAt + 1.5 + 1e-3, "no request starts after the phase"));
    }

    [Fact]
    public async Task AUsersNextRequestIsIntendedAtItsPreviousEndPlusThinkTime()
    {
        // one user: its requests form one chain, request i+1 intended at request i's end + 40 ms
        var transport = FakeTransport.Delayed(TimeSpan.FromMilliseconds(10));
        var plan = new LoadPlan { Phases = [Run.Users(1, 1.0, thinkS: 0.040)] };
        var run = await Run.Create(plan, transport).GoAsync();
        var records = run.Observer.ById();
        Assert.True(records.Count >= 5, $"{records.Count} requests");
        Assert.True(records.Count <= 1.0 / 0.050 + 1, "each cycle takes at least service + think");
        Assert.Equal(run.StartAt, records[0].TIntended);
        for (int i = 1; i < records.Count; i++)
        {
            Assert.Equal(records[i - 1].TEnd + 0.040, records[i].TIntended);
            Assert.True(records[i].TStart >= records[i].TIntended, "never sent before the think time is over");
        }
        Assert.Equal(1, transport.MaxConcurrency);
    }

    [Fact]
    public async Task RampingConstantStartsUsersAtTheirTimes()
    {
        // 0 → 4 users over 1 s: user 1 from 0.25 s, 2 from 0.5 s, 3 from 0.75 s, 4 from 1.0 s
        var starts = new ConcurrentQueue<(double T, int Concurrency)>();
        int inFlight = 0;
        Run? run = null;
        var transport = new FakeTransport(async (r, c) =>
        {
            int now = Interlocked.Increment(ref inFlight);
            starts.Enqueue((run!.Clock.Now - run.StartAt, now));
            await Task.Delay(60, c);
            Interlocked.Decrement(ref inFlight);
            return new TransportResult(200, 1, null);
        });
        var plan = new LoadPlan { Phases = [Run.RampUsers(4, 1.0), Run.Users(4, 1.0)] };
        run = Run.Create(plan, transport);
        await run.GoAsync();

        Assert.All(starts, s => Assert.True(s.T >= 0.25, "no user before the first step of the ramp"));
        Assert.All(starts, s => Assert.True(s.Concurrency <= run.Schedule.UsersAt(s.T + 1e-6),
            $"{s.Concurrency} requests in flight at t={s.T:0.000} with {run.Schedule.UsersAt(s.T)} users wanted"));
        Assert.Contains(starts, s => s.Concurrency == 4);
        Assert.All(run.Observer.Records, r => Assert.True(r.TIntended - run.StartAt < 2.0 + 1e-3));
        var records = run.Observer.ById();
        Assert.Equal(Enumerable.Range(1, records.Count).Select(i => (long)i), records.Select(r => r.Id));
    }

    [Fact]
    public async Task UsersStopWhenTheCountDrops()
    {
        // 3 users for 0.6 s, then 1 user for 0.6 s
        var spans = new ConcurrentQueue<(double Start, double End)>();
        Run? run = null;
        var transport = new FakeTransport(async (r, c) =>
        {
            double start = run!.Clock.Now - run.StartAt;
            await Task.Delay(40, c); // long enough that the three users surely overlap on a busy machine
            spans.Enqueue((start, run.Clock.Now - run.StartAt));
            return new TransportResult(200, 1, null);
        });
        var plan = new LoadPlan { Phases = [Run.Users(3, 0.6), Run.Users(1, 0.6)] };
        run = Run.Create(plan, transport);
        await run.GoAsync();
        Assert.Equal(3, transport.MaxConcurrency);
        // the requests started after the drop come from one user: one after the other, never overlapping
        // (users 2 and 3 only finish the request they had started before it). Measured inside the
        // transport, a request a user sent just before 0.6 s can begin there a little after it on a
        // loaded machine: the requests compared are those begun 50 ms after the drop
        var after = spans.Where(s => s.Start > 0.65).OrderBy(s => s.Start).ToList();
        Assert.True(after.Count >= 2, $"{after.Count} requests after the drop");
        for (int i = 1; i < after.Count; i++)
            Assert.True(after[i].Start >= after[i - 1].End, $"requests at {after[i - 1].Start:0.000} and {after[i].Start:0.000} overlap");
        Assert.All(spans, s => Assert.True(s.Start < 1.2));
    }

    [Fact]
    public async Task IterationsCapTheClosedModel()
    {
        var plan = new LoadPlan { Phases = [Run.Users(4, 10)], Iterations = 50 };
        var run = await Run.Create(plan, FakeTransport.Delayed(TimeSpan.FromMilliseconds(2))).GoAsync();
        var records = run.Observer.ById();
        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), records.Select(r => r.Id));
        Assert.True(run.EndedAt < run.StartAt + 10, "the run ended at the cap");
        Assert.Equal(50, run.Driver.Stats.Sent);
        Assert.Equal(0, run.Driver.Stats.InFlight);
    }

    [Fact]
    public async Task OpenThenClosedPhasesShareOneIdSequence()
    {
        var plan = new LoadPlan { Phases = [Run.Inject(50, 0.4), Run.Users(2, 0.3)] };
        var run = await Run.Create(plan, FakeTransport.Delayed(TimeSpan.FromMilliseconds(5))).GoAsync();
        var records = run.Observer.ById();
        Assert.Equal(Enumerable.Range(1, records.Count).Select(i => (long)i), records.Select(r => r.Id));
        Assert.Equal(20, records.Count(r => r.TIntended - run.StartAt < 0.4));
        Assert.True(records.Count(r => r.TIntended - run.StartAt >= 0.4) > 10);
        Assert.Equal(RequestStatus.Ok, records.Select(r => r.Status).Distinct().Single());
    }
}
