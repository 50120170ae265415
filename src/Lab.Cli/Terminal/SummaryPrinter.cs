using System.Globalization;
using Lab.Core.Engines;
using Lab.Core.Scenarios;
using Lab.Report;
using Lab.Results;

namespace Lab.Cli.Terminal;

/// <summary>The short summary a run prints before its path.</summary>
public static class SummaryPrinter
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static void Print(Scenario scenario, Summary s, RunOutcome outcome)
    {
        var o = Console.Out;
        o.WriteLine();
        o.WriteLine($"{scenario.Title}  (engine {EngineNames.Of(scenario.Engine)}, seed {scenario.Seed}, pm {scenario.Pool.Pm.ToString().ToLowerInvariant()}, max_children {scenario.Pool.MaxChildren}, max_requests {scenario.Pool.MaxRequests})");
        o.WriteLine(string.Create(Inv, $"  requests  {s.RequestsTotal} total: {s.RequestsOk} ok, {s.RequestsFailed} failed, {s.Dropped} dropped; {s.ThroughputRps:0.##} req/s"));
        o.WriteLine(s.LatencyMs is { } l
            ? $"  latency   p50 {Fmt.Ms(l.P50)}, p99 {Fmt.Ms(l.P99)}, max {Fmt.Ms(l.Max)} (from the intended send time)"
            : "  latency   no request was answered");
        o.WriteLine($"  children  {s.ChildrenSpawned} spawned, {s.Recycles} recycled by pm.max_requests");
        string leakText = s.LeakKbPerRequest is { } leak ? $"leak fitted {Fmt.Size(leak)}/request" : "no leak could be fitted";
        o.WriteLine($"  memory    largest child {Fmt.Size(s.PeakChildRssKb)}, pool peak {Fmt.Size(s.PeakPoolRssKb)}, final {Fmt.Size(s.FinalPoolRssKb)}; {leakText}");
        if (s.MemoryLimitErrors > 0)
            o.WriteLine($"  memory_limit exhausted in {s.MemoryLimitErrors} request(s); the children lived on");
        if (outcome.Status != RunStatus.Complete)
            Console.Error.WriteLine($"the run is {outcome.Status.ToString().ToLowerInvariant()}: {outcome.Reason}");
    }
}
