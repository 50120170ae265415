using BenchmarkDotNet.Attributes;
using Lab.Core.Engines;
using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.Sim;

namespace Lab.Benchmarks;

/// <summary>
/// The simulator alone: one hour of a 64-child static pool at 1,000 requests/s (3.6 M
/// requests) with 1 s sampling (3,601 ticks × 65 processes), the article's leaking request
/// (leak, transient memory, 10 ms of work) and pm.max_requests = 500 (7,200 recycles), into a
/// sink that discards everything: this measures the model, not the writing. Target: under 1 s.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 5)]
public class SimBenchmarks
{
    private Scenario _hour = null!;

    [GlobalSetup]
    public void Setup()
    {
        _hour = new Scenario
        {
            Name = "bench-hour",
            Title = "one hour, 64 children, 1000 req/s",
            Engine = EngineKind.Sim,
            Seed = 1,
            SampleInterval = TimeSpan.FromSeconds(1),
            Pool = new PoolSettings { Pm = ProcessManagerStyle.Static, MaxChildren = 64, MaxRequests = 500 },
            Request = new RequestProfile
            {
                LeakKb = Distribution.Const(16),
                TransientKb = Distribution.Uniform(0, 2048),
                WorkMs = Distribution.Const(10),
            },
            Load = new LoadPlan { Phases = [new LoadPhase { Kind = LoadPhaseKind.Inject, Rate = 1000, During = TimeSpan.FromHours(1) }] },
        };
    }

    [Benchmark(Description = "sim: 1 h, 64 children, 1000 req/s, 1 s samples")]
    public long OneHourOf64ChildrenAt1000Rps()
    {
        var sink = new DiscardingSink();
        var outcome = SimEngine.Run(_hour, sink, CancellationToken.None);
        if (outcome.Status != RunStatus.Complete || sink.Requests != 3_600_000)
            throw new InvalidOperationException($"unexpected run: {outcome.Status}, {sink.Requests} requests");
        return sink.Requests + sink.Samples;
    }

    /// <summary>Counts the calls and keeps nothing.</summary>
    private sealed class DiscardingSink : IRunSink
    {
        public long Requests, Samples;
        public void Process(ProcessInfo process) { }
        public void Sample(in Sample sample) => Samples++;
        public void EndTick(double t) { }
        public void Event(in PoolEvent e) { }
        public void Request(in RequestRecord r) => Requests++;
        public void Log(double t, FpmLogLevel level, string message) { }
        public void RawLog(string line) { }
    }
}
