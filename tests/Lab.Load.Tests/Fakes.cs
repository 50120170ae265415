using System.Collections.Concurrent;
using Lab.Core.Load;
using Lab.Core.Records;
using Lab.Core.Requests;
using Lab.Core.Scenarios;
using Lab.Core.Time;

namespace Lab.Load.Tests;

/// <summary>An in-process transport: the test says what each request does.</summary>
internal sealed class FakeTransport(Func<RequestSpec, CancellationToken, Task<TransportResult>> send) : IRequestTransport
{
    private int _inFlight;
    private int _maxInFlight;

    public int MaxConcurrency => Volatile.Read(ref _maxInFlight);

    public async Task<TransportResult> SendAsync(RequestSpec request, CancellationToken cancel)
    {
        int now = Interlocked.Increment(ref _inFlight);
        int seen;
        while (now > (seen = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, seen) != seen) { }
        try { return await send(request, cancel); }
        finally { Interlocked.Decrement(ref _inFlight); }
    }

    public static FakeTransport Instant() => new((r, c) => Task.FromResult(new TransportResult(200, 1000 + (int)(r.Id % 3), null)));

    public static FakeTransport Delayed(TimeSpan service) =>
        new(async (r, c) => { await Task.Delay(service, c); return new TransportResult(200, 1000, null); });

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

internal sealed class RecordingObserver : ILoadObserver
{
    public ConcurrentQueue<RequestRecord> Records { get; } = new();
    public void OnRequest(in RequestRecord record) => Records.Enqueue(record);
    public List<RequestRecord> ById() => Records.OrderBy(r => r.Id).ToList();
}

/// <summary>Builds a driver for a plan and runs it.</summary>
internal sealed class Run
{
    public required LoadPlan Plan { get; init; }
    public required LoadSchedule Schedule { get; init; }
    public required RequestStream Stream { get; init; }
    public required RunClock Clock { get; init; }
    public required LoadDriver Driver { get; init; }
    public required RecordingObserver Observer { get; init; }
    public required double StartAt { get; init; }
    public double EndedAt { get; private set; }

    public static LoadPhase Inject(double rate, double seconds) =>
        new() { Kind = LoadPhaseKind.Inject, Rate = rate, During = TimeSpan.FromSeconds(seconds) };
    public static LoadPhase Ramp(double rate, double seconds) =>
        new() { Kind = LoadPhaseKind.RampingInject, Rate = rate, During = TimeSpan.FromSeconds(seconds) };
    public static LoadPhase Users(int copies, double seconds, double thinkS = 0) =>
        new() { Kind = LoadPhaseKind.KeepConstant, Copies = copies, During = TimeSpan.FromSeconds(seconds), Think = TimeSpan.FromSeconds(thinkS) };
    public static LoadPhase RampUsers(int copies, double seconds) =>
        new() { Kind = LoadPhaseKind.RampingConstant, Copies = copies, During = TimeSpan.FromSeconds(seconds) };

    public static Run Create(LoadPlan plan, IRequestTransport transport, ulong seed = 7)
    {
        var profile = new RequestProfile { LeakKb = Distribution.Uniform(10, 100), TransientKb = Distribution.Const(64) };
        var clock = new RunClock();
        var observer = new RecordingObserver();
        var schedule = new LoadSchedule(plan, seed);
        var stream = new RequestStream(profile, seed);
        double startAt = clock.Now + 0.05; // the schedule's t = 0 falls a little after now
        return new Run
        {
            Plan = plan, Schedule = schedule, Stream = stream, Clock = clock, Observer = observer, StartAt = startAt,
            Driver = new LoadDriver(plan, schedule, stream, clock, transport, observer, startAt),
        };
    }

    public async Task<Run> GoAsync(CancellationToken stop = default)
    {
        await Driver.RunAsync(stop);
        EndedAt = Clock.Now;
        return this;
    }
}
