using Lab.Core.Scenarios;

namespace Lab.Sim.Tests;

public class DeterminismTests
{
    private static Scenario Busy(ulong seed)
    {
        var s = Scenarios.Make(
            Scenarios.StaticPool(3, maxRequests: 7),
            Scenarios.Leaking(leakKb: 128, transientKb: 4096, workMs: 30) with { WaitMs = Distribution.Exponential(40) },
            Scenarios.Inject(40, 20), Scenarios.Pause(2), Scenarios.KeepConstant(5, 10, thinkSeconds: 0.05));
        return s with
        {
            Seed = seed,
            Load = s.Load with { Arrivals = ArrivalProcess.Poisson },
            Actions = [new ScenarioAction { At = TimeSpan.FromSeconds(12), Kind = ActionKind.KillChild, Target = ChildSelector.Busy }],
        };
    }

    [Fact]
    public void SameSeedGivesTheSameSequenceOfSinkCalls()
    {
        string a = Sim.Run(Busy(7)).Transcript();
        string b = Sim.Run(Busy(7)).Transcript();
        Assert.True(a.Length > 10_000);
        Assert.Equal(a, b);
    }

    [Fact]
    public void ADifferentSeedGivesADifferentRun()
    {
        string a = Sim.Run(Busy(7)).Transcript();
        string b = Sim.Run(Busy(8)).Transcript();
        Assert.NotEqual(a, b);
    }

    [Fact]
    public async Task EngineRunAsyncMatchesRunAndUsesTheFixedEpoch()
    {
        var engine = new SimEngine();
        Assert.Equal(new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc), engine.EpochUtc);
        var viaAsync = new CollectingSink();
        var task = engine.RunAsync(Busy(3), viaAsync, CancellationToken.None);
        Assert.True(task.IsCompleted); // runs synchronously
        var outcome = await task;
        Assert.Equal(Lab.Core.Engines.RunStatus.Complete, outcome.Status);
        Assert.Equal("1", outcome.Versions!["sim"]);
        Assert.Equal(Sim.Run(Busy(3)).Transcript(), viaAsync.Transcript());
    }

    [Fact]
    public void CancellationEndsTheRunIncomplete()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var outcome = SimEngine.Run(Busy(1), new CollectingSink(), cts.Token);
        Assert.Equal(Lab.Core.Engines.RunStatus.Incomplete, outcome.Status);
        Assert.NotNull(outcome.Reason);
    }
}
