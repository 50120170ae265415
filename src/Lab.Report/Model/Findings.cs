using Lab.Core.Engines;
using Lab.Core.Records;
using Lab.Core.Php;

namespace Lab.Report.Model;

/// <summary>
/// "What this shows": plain sentences computed from a run's figures — the leak per request,
/// whether RSS passed memory_limit (which never stops it), what recycling bounded, what a
/// restart reset, what failed and why, what was dropped. Every number comes from the run.
/// </summary>
internal static class Findings
{
    /// <summary>More marks of one kind than this (a cron job's reloads) are told and drawn as one.</summary>
    public const int RepeatedMarks = 3;

    /// <summary>A fitted growth counts as a leak when it is at least 1 KiB per request and twice its standard error.</summary>
    public static bool LeakIsClear(double? leakKb, double? stderrKb) =>
        leakKb is { } l && l >= 1 && (stderrKb is not { } se || !double.IsFinite(se) || l >= 2 * se);

    public static IReadOnlyList<string> Of(RunModel m)
    {
        var s = m.Summary;
        var said = new List<string>();

        if (m.Status != RunStatus.Complete)
            said.Add($"This run is {StatusWord(m.Status)} ({m.Folder.Manifest.Reason ?? "no reason recorded"}): what follows is what was recorded before it stopped" +
                     (m.SummaryComputed ? ", with the summary computed from the files." : "."));
        if (SummaryText.Stopped(s) is { } stopped) said.Add(char.ToUpperInvariant(stopped[0]) + stopped[1..] + ", before the load's planned length.");

        // Overload first: what was refused, failed and dropped, and what the pool actually served.
        if (Overload(s) is { } overload) said.Add(overload);

        // The leak.
        string unit = s.LeakUnit == Lab.Results.RunHeader.PerObservation ? "ps observation" : "request";
        bool leak = LeakIsClear(s.LeakKbPerRequest, s.LeakKbPerRequestStderr);
        double meanAsked = MeanLeakAsked(m);
        int measuredOnce = m.ChildLives.Count(l => l.Readings < 2);
        bool shortLives = m.ChildLives.Count > 0 && measuredOnce * 2 > m.ChildLives.Count;
        if (s.LeakKbPerRequest is not { } fitted)
        {
            string why = s.RssGrowthKbPerRequest is not null
                ? $"the children's lives were too short to tell the leak from what the allocator keeps (their RSS grew {Fmt.SizeFine(s.RssGrowthKbPerRequest.Value)} per {unit} over these lives, the two together)."
                : shortLives
                    ? $"most children were measured less than twice (each served one {unit}, or lived less than a sample interval, {Fmt.Seconds(m.SampleInterval)}), so no child was seen growing."
                    : "too few measurements of children that served requests.";
            said.Add("No leak per request could be fitted: " + why);
        }
        else if (leak)
        {
            string text = $"Each child leaked about {Fmt.Fitted(fitted, s.LeakKbPerRequestStderr, s.LeakKbPerRequestLow95, s.LeakKbPerRequestHigh95)} per {unit} it served" +
                          $" (fitted over {Fmt.Int(s.FitPoints)} readings, the allocator's bounded retention apart)";
            if (s.RssGrowthKbPerRequest is { } growth && growth - fitted > 0.02 * Math.Abs(fitted))
                text += $"; its RSS grew {Fmt.SizeFine(growth)} per {unit} over these lives, the extra {Fmt.SizeFine(growth - fitted)} being the allocator's retention filling up" +
                        (s.RetentionKb is { } r && r > 0 ? $" (it saturates at about {Fmt.Size(r)})" : "");
            else if (s.RssGrowthKbPerRequest is { } g2)
                text += $"; its RSS grew {Fmt.SizeFine(g2)} per {unit} over these lives";
            text += meanAsked > 0 ? $". The requests asked for {Fmt.SizeFine(meanAsked)} each on average." : ".";
            said.Add(text);
        }
        else
            said.Add($"RSS did not grow steadily with the requests served: the fitted leak, {Fmt.Fitted(fitted, s.LeakKbPerRequestStderr, s.LeakKbPerRequestLow95, s.LeakKbPerRequestHigh95)} per {unit}, is within the noise.");

        // memory_limit: per request, never per process.
        if (m.MemoryLimitBytes is { } limit && m.Known("pool.memory_limit"))
        {
            string limitText = FpmConfig.MemoryLimitText(limit);
            double limitKb = limit / 1024.0;
            if (limit < 0)
                said.Add("memory_limit is -1 (unlimited): nothing bounds a request's allocations, and nothing in PHP ever bounded the process.");
            else if (s.PeakChildRssKb > limitKb)
                said.Add($"The largest child reached {Fmt.Size(s.PeakChildRssKb)}, past memory_limit {limitText}: memory_limit bounds what one request may allocate, not the process, so it never stopped the growth.");
            else if (leak && s.Recycles > 0)
                said.Add($"RSS never came near memory_limit {limitText} because recycling kept the children small; memory_limit itself would not have: it bounds one request, not the process.");
            else if (leak)
                said.Add($"The largest child peaked at {Fmt.Size(s.PeakChildRssKb)}, under memory_limit {limitText}; had the run gone on, memory_limit would not have stopped it: it bounds one request, not the process.");
        }
        if (s.MemoryLimitErrors > 0)
            said.Add($"{Fmt.Count(s.MemoryLimitErrors, "request", "requests")} failed with PHP's \"Allowed memory size … exhausted\" (status 500): that request's own allocations passed memory_limit; the child lived on and served the next one.");

        // Recycling.
        int maxRequests = m.Known("pool.max_requests") ? m.Scenario?.Pool.MaxRequests ?? 0 : 0;
        if (s.Recycles > 0)
        {
            string every = maxRequests > 0 ? $"pm.max_requests = {maxRequests}" : "pm.max_requests";
            string text = $"{every} recycled a child {Fmt.Count(s.Recycles, "time", "times")} ({Fmt.Count(s.ChildPids, "child PID", "child PIDs")} in all); the largest child never passed {Fmt.Size(s.PeakChildRssKb)}";
            double served = m.ServedTotal > 0 ? m.ServedTotal : s.RequestsOk;
            int concurrent = Math.Max(1, m.Ticks.Children.Length > 0 ? m.Ticks.Children.Max() : 1);
            if (leak && s.LeakKbPerRequest is { } l && served > 0)
            {
                double share = served / concurrent;
                double baseline = m.ChildBaselineKb > 0 ? m.ChildBaselineKb : 0;
                double retained = s.RetentionKb is { } r && r > 0 ? r : 0;
                double without = baseline + l * share + retained;
                if (without > 1.2 * s.PeakChildRssKb)
                    text += concurrent == 1
                        ? $". Without recycling, the one child serving all {Fmt.Int((long)served)} requests would have reached about {Fmt.Size(without)} (a fresh child's {Fmt.Size(baseline)}, {Fmt.SizeFine(l)} leaked per request, {Fmt.Size(retained)} the allocator keeps: estimated from the fit)"
                        : $". Without recycling, a child serving its share of the pool's {Fmt.Int((long)served)} requests (about {Fmt.Int((long)Math.Round(share))}) would have reached about {Fmt.Size(without)} (a fresh child's {Fmt.Size(baseline)}, {Fmt.SizeFine(l)} leaked per request, {Fmt.Size(retained)} the allocator keeps: estimated from the fit)";
            }
            said.Add(text + ".");
        }
        else if (maxRequests > 0 && m.Scenario is not null)
            said.Add(m.Engine == "record"
                ? $"No exit was put down to pm.max_requests = {maxRequests}: the status page's counters never showed a child reaching {maxRequests} requests (a child that lived less than the recording's interval is not seen counting)."
                : $"pm.max_requests = {maxRequests} never recycled a child: none served {maxRequests} requests in this run.");
        else if (maxRequests == 0 && m.Scenario is not null && m.Known("pool.max_requests") && leak)
            said.Add("pm.max_requests = 0: children are never recycled, so each keeps everything it leaks until it exits.");

        // Restarts and reloads: what they reset. Many of one kind (a cron job's reloads) make one sentence.
        var repeated = m.Marks.GroupBy(mk => mk.Label).Where(g => g.Count() > RepeatedMarks).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var mark in m.Marks)
        {
            if (mark.Label == "memory guard")
            {
                said.Add($"At {Fmt.Seconds(mark.T)} the memory guard stopped the run (the pool's RSS or the host's free memory passed its limit).");
                continue;
            }
            if (repeated.TryGetValue(mark.Label, out var all))
            {
                if (all[0].T != mark.T) continue; // told once, at the first
                var gaps = all.Zip(all.Skip(1), (a, b) => b.T - a.T).ToList();
                string every = gaps.Count > 0 && gaps.Max() - gaps.Min() < 0.01 * gaps.Max() ? $", every {Fmt.Seconds(gaps[0])}" : "";
                string what = mark.Label == "restart" ? "php-fpm was restarted" : "php-fpm was reloaded (graceful)";
                string sentence = $"{what} {Fmt.Int(all.Count)} times, from {Fmt.Seconds(all[0].T)} to {Fmt.Seconds(all[^1].T)}{every}";
                var (b0, a0, _) = AroundMark(m, all[0].T);
                if (b0 is { } bb && a0 is { } aa) sentence += $": the first time the largest child went from {Fmt.Size(bb)} to {Fmt.Size(aa)}";
                var (_, _, lastLater) = AroundMark(m, all[^1].T);
                if (lastLater is { } ll && leak) sentence += $"; after the last, the leak refilled it to {Fmt.Size(ll)} by the end";
                said.Add(sentence + "."); // php-fpm keeps its lower case
                continue;
            }
            var (before, after, later) = AroundMark(m, mark.T);
            if (before is null || after is null) continue;
            string verb = mark.Label == "restart" ? "php-fpm was restarted" : "php-fpm was reloaded (graceful)";
            string text = $"At {Fmt.Seconds(mark.T)} {verb}: the largest child went from {Fmt.Size(before.Value)} to {Fmt.Size(after.Value)}";
            if (m.ChildBaselineKb > 0 && Math.Abs(after.Value - m.ChildBaselineKb) <= 0.25 * m.ChildBaselineKb) text += " (a fresh child's size)";
            if (later is { } l2 && l2 > after.Value * 1.1 && leak) text += $", then the leak refilled it, to {Fmt.Size(l2)} by the end";
            said.Add(text + ".");
        }

        // Children that ended other than by recycling, idleness or the end of the run.
        long gone = s.ChildExits.Where(e => e.Key is "gone" or "recycled").Sum(e => e.Value);
        if (gone > 0)
            said.Add($"{Fmt.Count(gone, "child PID", "child PIDs")} vanished between two snapshots of the log: gone, cause unknown — the log does not say whether pm.max_requests, an idle kill, a crash or a kill ended {(gone == 1 ? "it" : "them")}.");
        var unusual = s.ChildExits.Where(e => e.Key is not ("max_requests" or "recycled" or "gone" or "idle" or "shutdown" or "restart" or "reload"))
            .OrderByDescending(e => e.Value).Select(e => $"{Fmt.Int(e.Value)} {ExitWhy(e.Key)}").ToList();
        if (unusual.Count > 0) said.Add($"Children also ended by: {string.Join(", ", unusual)}.");
        if (s.ChildExits.GetValueOrDefault("idle") is > 0 and var idle)
            said.Add($"{Fmt.Count(idle, "idle child was", "idle children were")} ended by the process manager (pm.process_idle_timeout or too many spare children).");

        // Failures and drops (under overload, said first already).
        long sent = s.RequestsTotal - s.Dropped;
        if (Overload(s) is null)
        {
            if (s.RequestsFailed > 0)
                said.Add($"{Fmt.Int(s.RequestsFailed)} of {Fmt.Count(sent, "sent request", "sent requests")} failed: {Causes(s)}.");
            else if (sent > 0)
                said.Add($"All {Fmt.Count(sent, "sent request was", "sent requests were")} answered OK" +
                         (s.LatencyMs is { } lat ? $"; latency p50 {Fmt.Ms(lat.P50)}, p99 {Fmt.Ms(lat.P99)} (from the intended send time)." : "."));
            if (s.Dropped > 0)
                said.Add($"{Fmt.Count(s.Dropped, "request was", "requests were")} dropped: not sent at the intended time because load.max_in_flight requests were already waiting.");
        }
        int maxChildrenHits = m.Folder.Events.Count(e => e.Event == EventNames.MaxChildren);
        if (maxChildrenHits > 0 && m.Scenario is { } sc)
            said.Add($"The pool reached pm.max_children ({sc.Pool.MaxChildren}) {Fmt.Count(maxChildrenHits, "time", "times")}: requests waited in the listen queue.");
        if (m.Ticks.Count > 0 && m.Scenario?.Pool.Pm is not Lab.Core.Scenarios.ProcessManagerStyle.Static && m.Known("pool.pm"))
        {
            int lo = m.Ticks.Children.Min(), hi = m.Ticks.Children.Max();
            if (hi > lo) said.Add($"The process manager ran between {lo} and {Fmt.Count(hi, "child", "children")}.");
        }
        return said;
    }

    /// <summary>The share of requests that failed or were dropped from which a run reads as overloaded.</summary>
    public const double OverloadShare = 0.05;

    /// <summary>
    /// Under overload (5% or more of the requests failed or were dropped): how many were refused,
    /// failed otherwise and dropped, and what the pool actually served (goodput) against what
    /// was offered. Null otherwise.
    /// </summary>
    public static string? Overload(Lab.Results.Summary s)
    {
        long bad = s.RequestsFailed + s.Dropped;
        if (s.RequestsTotal == 0 || bad < OverloadShare * s.RequestsTotal) return null;
        long refused = s.StatusCounts.GetValueOrDefault(RequestStatus.Refused);
        long otherFailed = s.RequestsFailed - refused;
        string served = $"the pool served {Fmt.Count(s.RequestsOk, "request", "requests")} OK: {Fmt.Rate(s.GoodputRps)} (goodput) against {Fmt.Rate(s.OfferedRps)} offered, over {Fmt.Seconds(s.LoadDurationS)} of load";
        string lat = s.LatencyOkMs is { } ok ? $"; the OK requests' latency p50 {Fmt.Ms(ok.P50)}, p99 {Fmt.Ms(ok.P99)} (from the intended send time)" : "";
        return $"Overloaded: of {Fmt.Count(s.RequestsTotal, "request", "requests")}, {Fmt.Int(refused)} {(refused == 1 ? "was" : "were")} refused (503, listen queue full or nothing listening), " +
               $"{Fmt.Int(otherFailed)} failed otherwise{(otherFailed > 0 ? $" ({Causes(s, except: RequestStatus.Refused)})" : "")} and {Fmt.Int(s.Dropped)} {(s.Dropped == 1 ? "was" : "were")} dropped (never sent); " +
               served + lat + ".";
    }

    private static string Causes(Lab.Results.Summary s, int except = -1) =>
        string.Join(", ", s.StatusCounts.Where(c => c.Key is not (RequestStatus.Ok or RequestStatus.Dropped) && c.Key != except)
            .OrderByDescending(c => c.Value).Select(c => $"{Fmt.Int(c.Value)} {RequestStatus.Describe(c.Key)} ({c.Key})"));

    private static string StatusWord(RunStatus s) => s == RunStatus.Incomplete ? "incomplete" : "failed";

    private static string ExitWhy(string why) => why switch
    {
        "kill-child" => "killed by the scenario's kill-child action",
        "timeout" => "killed by request_terminate_timeout",
        "crash" => "crashed",
        "unknown" => "exited for a reason not recorded",
        "error" => "exited with an error code",
        _ => why,
    };

    /// <summary>The mean leak the requests asked for (requests.csv's leak_kb), 0 if none.</summary>
    private static double MeanLeakAsked(RunModel m) => m.Folder.RequestOverview.MeanLeakKb;

    /// <summary>The largest child at the last tick before t, at the first tick after it, and the most after it (KiB).</summary>
    private static (double? Before, double? After, double? Later) AroundMark(RunModel m, double t)
    {
        var k = m.Ticks;
        double? before = null, after = null, later = null;
        for (int i = k.TickAtOrBefore(t - 1e-9); i >= 0; i--)
            if (k.Children[i] > 0) { before = k.LargestChildKb[i]; break; }
        int j = k.TickAtOrBefore(t) + 1;
        for (; j < k.Count; j++)
            if (k.Children[j] > 0 && k.T[j] > t) { after = k.LargestChildKb[j]; break; }
        for (; j < k.Count; j++) if (k.Children[j] > 0) later = Math.Max(later ?? 0, k.LargestChildKb[j]);
        return (before, after, later);
    }
}
