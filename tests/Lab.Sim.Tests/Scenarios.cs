using Lab.Core.Records;
using Lab.Core.Scenarios;

namespace Lab.Sim.Tests;

/// <summary>Scenarios built in code (Lab.Core records), the way Lab.Scenarios would resolve them.</summary>
public static class Scenarios
{
    public static PoolSettings StaticPool(int children, int maxRequests = 0) => new()
    {
        Pm = ProcessManagerStyle.Static,
        MaxChildren = children,
        MaxRequests = maxRequests,
    };

    public static LoadPhase Inject(double rate, double seconds) =>
        new() { Kind = LoadPhaseKind.Inject, Rate = rate, During = TimeSpan.FromSeconds(seconds) };

    public static LoadPhase Pause(double seconds) =>
        new() { Kind = LoadPhaseKind.Pause, During = TimeSpan.FromSeconds(seconds) };

    public static LoadPhase KeepConstant(int users, double seconds, double thinkSeconds = 0) =>
        new() { Kind = LoadPhaseKind.KeepConstant, Copies = users, During = TimeSpan.FromSeconds(seconds), Think = TimeSpan.FromSeconds(thinkSeconds) };

    public static Scenario Make(PoolSettings pool, RequestProfile request, params LoadPhase[] phases) => new()
    {
        Name = "test",
        Title = "test",
        Engine = EngineKind.Sim,
        Seed = 42,
        Pool = pool,
        Request = request,
        Load = new LoadPlan { Phases = phases },
        LogLevel = FpmLogLevel.Debug,
    };

    /// <summary>The article's leaking script: a C-level leak per request, some transient memory, a little work.</summary>
    public static RequestProfile Leaking(double leakKb = 256, double transientKb = 2048, double workMs = 20) => new()
    {
        LeakKb = Distribution.Const(leakKb),
        TransientKb = Distribution.Uniform(0, transientKb),
        WorkMs = Distribution.Const(workMs),
    };
}
