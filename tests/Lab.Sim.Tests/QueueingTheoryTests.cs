using Lab.Core.Records;
using Lab.Core.Scenarios;

namespace Lab.Sim.Tests;

/// <summary>The pool as a queue, against theory: M/M/c (Erlang C) for the open model, N/S for the closed one.</summary>
public class QueueingTheoryTests(Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>Keeps only what the check needs (a million requests).</summary>
    private sealed class WaitMeter : IRunSink, ISimObserver
    {
        public long AcceptedCount, Answered, NotOk;
        public double WaitSum;
        public double SkipBefore;
        public void Accepted(long requestId, double tIntended, double tAccepted, int pid)
        {
            if (tIntended < SkipBefore) return; // warm-up
            AcceptedCount++;
            WaitSum += tAccepted - tIntended;
        }
        public void Request(in RequestRecord r) { Answered++; if (r.Status != RequestStatus.Ok) NotOk++; }
        public void Process(ProcessInfo process) { }
        public void Sample(in Sample sample) { }
        public void EndTick(double t) { }
        public void Event(in PoolEvent e) { }
        public void Log(double t, FpmLogLevel level, string message) { }
        public void RawLog(string line) { }
    }

    /// <summary>Erlang C: the probability that an arrival waits, for c servers and offered load a = λ/μ.</summary>
    private static double ErlangC(int c, double a)
    {
        double term = 1, sum = 0; // a^k / k!
        for (int k = 0; k < c; k++) { sum += term; term *= a / (k + 1); }
        double tail = term * c / (c - a); // a^c / c! · c / (c − a)
        return tail / (sum + tail);
    }

    [Fact]
    public void ErlangCOfKnownValues()
    {
        Assert.Equal(0.5, ErlangC(1, 0.5), 12); // M/M/1: P(wait) = ρ
        Assert.Equal(1.0 / 3, ErlangC(2, 1.0), 12); // c = 2, a = 1: (1/2·2)/(1+1+1) = 1/3
    }

    /// <summary>
    /// Poisson arrivals, exponential service (asleep, mean 1/μ = 100 ms), c static children, no
    /// leak: the mean wait in the listen queue (accept − arrival, from the ISimObserver hook) over
    /// four independent seeds, within 5% of Erlang C's Wq = C(c, a) / (cμ − λ). (At ρ = 0.9 one
    /// run of a million requests still scatters by about ±4%: the queue relaxes slowly; four
    /// runs pooled put the 5% bound near three standard deviations.)
    /// </summary>
    [Theory]
    [InlineData(1, 0.5, 200_000)]
    [InlineData(4, 0.8, 400_000)]
    [InlineData(16, 0.9, 1_500_000)]
    public void MeanWaitInTheListenQueueMatchesErlangC(int c, double rho, int requestsPerSeed)
    {
        const double mu = 10;
        double lambda = rho * c * mu;
        double seconds = requestsPerSeed / lambda;
        var pool = Scenarios.StaticPool(c) with { ListenBacklog = 1_000_000, MemoryLimitBytes = -1 };
        var request = new RequestProfile { WorkMs = Distribution.Const(0), WaitMs = Distribution.Exponential(1000 / mu) };
        var scenario = Scenarios.Make(pool, request, Scenarios.Inject(lambda, seconds)) with
        {
            SampleInterval = TimeSpan.FromHours(1),
            LogLevel = FpmLogLevel.Alert,
        };
        scenario = scenario with { Load = scenario.Load with { Arrivals = ArrivalProcess.Poisson, MaxInFlight = 1_000_000, Timeout = TimeSpan.FromDays(1) } };

        double waitSum = 0;
        long accepted = 0;
        foreach (ulong seed in new ulong[] { 2026, 2027, 2028, 2029 })
        {
            var meter = new WaitMeter { SkipBefore = seconds * 0.01 };
            var outcome = SimEngine.Run(scenario with { Seed = seed }, meter, CancellationToken.None, meter);
            Assert.Equal(Lab.Core.Engines.RunStatus.Complete, outcome.Status);
            Assert.Equal(0, meter.NotOk);
            Assert.InRange(meter.Answered, requestsPerSeed * 0.99, requestsPerSeed * 1.01);
            output.WriteLine($"c={c} ρ={rho} seed {seed}: mean wait {meter.WaitSum / meter.AcceptedCount * 1000:0.000} ms");
            waitSum += meter.WaitSum;
            accepted += meter.AcceptedCount;
        }

        double wq = ErlangC(c, lambda / mu) / (c * mu - lambda);
        double measured = waitSum / accepted;
        output.WriteLine($"c={c} ρ={rho}: {accepted} requests, mean wait {measured * 1000:0.000} ms, Erlang C {wq * 1000:0.000} ms, error {(measured - wq) / wq:P2}");
        Assert.True(Math.Abs(measured - wq) / wq < 0.05, $"c={c} ρ={rho}: mean wait {measured * 1000:0.000} ms, Erlang C {wq * 1000:0.000} ms");
    }

    [Theory]
    [InlineData(8, 10, 8)]  // enough children: every user always finds one
    [InlineData(8, 4, 4)]   // fewer children than users: the pool is the bottleneck
    public void ClosedModelThroughputIsBusyServersOverServiceTime(int users, int children, int busy)
    {
        const double serviceS = 0.05;
        var request = new RequestProfile { WorkMs = Distribution.Const(0), WaitMs = Distribution.Const(serviceS * 1000) };
        var sink = Sim.Run(Scenarios.Make(Scenarios.StaticPool(children), request, Scenarios.KeepConstant(users, 60)) with
        {
            LogLevel = FpmLogLevel.Warning,
        });
        double throughput = sink.Requests.Count(r => r.Status == RequestStatus.Ok) / 60.0;
        Assert.InRange(throughput, busy / serviceS * 0.99, busy / serviceS * 1.01);
        Assert.All(sink.Requests, r => Assert.Equal(RequestStatus.Ok, r.Status));
        // ids in send order, no gaps
        Assert.Equal(Enumerable.Range(1, sink.Requests.Count).Select(i => (long)i), sink.Requests.Select(r => r.Id).Order());
    }
}
