using Lab.Core.Engines;
using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.Report;
using Lab.Results;

namespace Lab.Cli.Terminal;

/// <summary>
/// The short summary a run prints before its path: every figure from summary.json (the same
/// the report and the plots show).
/// </summary>
public static class SummaryPrinter
{
    public static IReadOnlyList<string> Lines(Scenario scenario, Summary s)
    {
        var lines = new List<string>
        {
            $"{scenario.Title}  (engine {EngineNames.Of(scenario.Engine)}, seed {scenario.Seed}, {scenario.Pool.KeyText()})",
        };
        long refused = s.StatusCounts.GetValueOrDefault(RequestStatus.Refused);
        lines.Add($"  requests  {Fmt.Int(s.RequestsTotal)} total: {Fmt.Int(s.RequestsOk)} ok, {Fmt.Int(s.RequestsFailed)} failed" +
                  (refused > 0 ? $" ({Fmt.Int(refused)} refused)" : "") + $", {Fmt.Int(s.Dropped)} dropped");
        lines.Add($"  served    {Fmt.Rate(s.GoodputRps)} OK (goodput) of {Fmt.Rate(s.OfferedRps)} offered, {Fmt.Rate(s.ThroughputRps)} answered; over {Fmt.Seconds(s.LoadDurationS)} of load");
        string ok = s.LatencyOkMs is { } l
            ? $"  latency   OK p50 {Fmt.Ms(l.P50)}, p99 {Fmt.Ms(l.P99)}, max {Fmt.Ms(l.Max)}"
            : "  latency   no request was answered OK";
        if (s.LatencyFailedMs is { } f) ok += $"; failed p50 {Fmt.Ms(f.P50)}, p99 {Fmt.Ms(f.P99)}";
        lines.Add(ok + " (from the intended send time)");
        string exits = s.ChildExits.Count == 0 ? "" : "; exits: " + string.Join(", ", s.ChildExits.OrderByDescending(e => e.Value).Select(e => $"{e.Key} {Fmt.Int(e.Value)}"));
        lines.Add($"  children  {Fmt.Count(s.ChildPids, "child PID", "child PIDs")}: {Fmt.Int(s.ChildrenSpawned)} spawned, {Fmt.Int(s.Recycles)} recycled by pm.max_requests{exits}");
        string per = s.LeakUnit == RunHeader.PerObservation ? "ps observation" : "request";
        string leak = s.LeakKbPerRequest is { } lk
            ? $"{Fmt.SizeFine(lk)} per {per}" + (s.LeakKbPerRequestLow95 is { } lo && s.LeakKbPerRequestHigh95 is { } hi ? $" (95% interval {Fmt.SizeFine(lo)} … {Fmt.SizeFine(hi)})" : "")
            : "none could be fitted";
        if (s.RssGrowthKbPerRequest is { } g) leak += $"; RSS grew {Fmt.SizeFine(g)} per {per} over these lives (leak + allocator retention filling up)";
        lines.Add($"  memory    largest child {Fmt.Size(s.PeakChildRssKb)}, pool peak {Fmt.Size(s.PeakPoolRssKb)}, final {Fmt.Size(s.FinalPoolRssKb)}");
        lines.Add($"  leak      {leak}");
        if (s.MemoryLimitErrors > 0)
            lines.Add($"  memory_limit exhausted in {Fmt.Count(s.MemoryLimitErrors, "request", "requests")}; the children lived on");
        if (SummaryText.Stopped(s) is { } stopped) lines.Add("  " + stopped);
        return lines;
    }

    public static void Print(Scenario scenario, Summary s, RunOutcome outcome)
    {
        var o = Console.Out;
        o.WriteLine();
        foreach (var line in Lines(scenario, s)) o.WriteLine(line);
        foreach (var note in s.Notes) Console.Error.WriteLine($"note: {note}");
        if (outcome.Status != RunStatus.Complete)
            Console.Error.WriteLine($"the run is {outcome.Status.ToString().ToLowerInvariant()}: {outcome.Reason}");
    }
}
