using Lab.Report;

namespace Lab.Analysis.Advice;

/// <summary>The advice in words: the fitted numbers with their uncertainty, the formula with the numbers in it, the recommendation, the verification.</summary>
public static class AdviceText
{
    public static string PlusMinus(Fitted f) => double.IsFinite(f.Uncertainty) ? $"{Fmt.Size(f.Value)} ± {Fmt.Size(f.Uncertainty)}" : Fmt.Size(f.Value);

    public static IReadOnlyList<string> Fitted(Advice a)
    {
        var f = a.Fit;
        string u = f.Unit;
        return
        [
            .. (f.Shared is { } s ? new[] { $"shared    S = {PlusMinus(s)}   {s.How}" } : []),
            $"{(f.InPss ? "private   B_private" : "baseline  B")} = {PlusMinus(f.Baseline)}   {f.Baseline.How}",
            $"leak      L = {PlusMinus(f.Leak)} per {u}   {f.Leak.How}; the upper end of its 95% interval = {Fmt.Size(f.LeakUpperKb)}",
            $"retained  R = {Fmt.Size(f.Retained.Value)}   {f.Retained.How}",
            $"master      = {PlusMinus(f.Master)}   {f.Master.How}",
            .. (f.InPss ? new[] { $"(in RSS: a fresh child {Fmt.Size(f.Baseline.Value + (f.Shared?.Value ?? 0) / Math.Max(1, f.Children))}+ with its share, the master {Fmt.Size(f.MasterRssKb)}; the RSS formula below counts the shared pages in every child)" } : []),
        ];
    }

    public static IReadOnlyList<string> Formula(Advice a)
    {
        var f = a.Fit;
        var r = a.Request;
        var lines = new List<string>
        {
            f.Shared is { } s
                ? $"budget for the children = ram × (1 − margin) − master − S = {Fmt.Size(r.RamKb)} × {Fmt.Num(1 - r.Margin, "0.##")} − {Fmt.Size(f.Master.Value)} − {Fmt.Size(s.Value)} = {Fmt.Size(a.ChildrenBudgetKb)}" +
                  (r.RamGiven ? "" : $"   (ram={Fmt.Size(r.RamKb)} is the default: give yours with ram=)")
                : $"budget for the children = ram × (1 − margin) − master = {Fmt.Size(r.RamKb)} × {Fmt.Num(1 - r.Margin, "0.##")} − {Fmt.Size(f.Master.Value)} = {Fmt.Size(a.ChildrenBudgetKb)}" +
                  (r.RamGiven ? "" : $"   (ram={Fmt.Size(r.RamKb)} is the default: give yours with ram=)"),
            f.InPss
                ? "master + S + max_children × (B_private + L × max_requests + R) ≤ ram × (1 − margin), with L at the upper end of its 95% interval:"
                : "max_children × (B + L × max_requests + R) ≤ budget, with L at the upper end of its 95% interval:",
            $"  {a.MaxChildren} × ({Fmt.Size(f.Baseline.Value)} + {Fmt.Size(f.LeakUpperKb)} × max_requests + {Fmt.Size(f.Retained.Value)}) ≤ {Fmt.Size(a.ChildrenBudgetKb)}" +
                (double.IsPositiveInfinity(a.MaxRequestsBound) ? "   holds for any max_requests (no growth)"
                    : a.MaxRequestsBound < 1 ? "   holds for no max_requests ≥ 1"
                    : $"   ⇒ max_requests ≤ {Fmt.Num(Math.Floor(a.MaxRequestsBound), "#,0")}"),
        };
        return lines;
    }

    /// <summary>The RSS formula on the same run, and what it would have advised (an advice in private and shared memory only).</summary>
    public static IReadOnlyList<string> RssBeside(Advice a)
    {
        if (a.RssBased is not { } rss) return ["in RSS not even the master fits the budget: the RSS formula advises nothing"];
        var lines = Formula(rss).Select(l => l).ToList();
        string what(PoolChoice? c) => c is null ? "nothing fits" : $"pm.max_children = {c.MaxChildren}, pm.max_requests = {(c.MaxRequests == 0 ? "0 (unlimited)" : c.MaxRequests.ToString(Fmt.Inv))}";
        lines.Add($"it would advise: {what(rss.Primary)}" + (rss.ForRam is { } fr ? $"; the most children that fit: {what(fr)}" : ""));
        var mine = a.ForRam ?? a.Primary;
        var theirs = rss.ForRam ?? rss.Primary;
        if (mine is not null && theirs is not null && (a.ForRam is not null) == (rss.ForRam is not null))
            lines.Add(mine.MaxChildren != theirs.MaxChildren
                ? $"in what the host pays, {Fmt.Count(mine.MaxChildren, "child", "children")} fit where the RSS formula allows {theirs.MaxChildren}" +
                  (mine.MaxChildren > theirs.MaxChildren ? $": {Fmt.Percent((double)mine.MaxChildren / Math.Max(1, theirs.MaxChildren) - 1)} more for the same ram" : "")
                : $"max_requests {mine.MaxRequests} against {theirs.MaxRequests} with the RSS formula, for the same {Fmt.Count(mine.MaxChildren, "child", "children")}");
        return lines;
    }

    public static string Choice(PoolChoice c, Advice a, double? throughputRps)
    {
        string mr = c.MaxRequests == 0 ? "0 (unlimited)" : c.MaxRequests.ToString(Fmt.Inv); // as typed in the pool's config, no separator
        if (a.Fit.Unit != "request" && c.MaxRequests > 0) mr += $" {a.Fit.Unit}s (--per-block: counted in snapshots of the log, not requests)";
        string respawns = c.MaxRequests == 0
            ? "no respawns"
            : $"{Fmt.Num(c.RespawnsPer1k, "0.##")} respawns per 1,000 {a.Fit.Unit}s" + (throughputRps is > 0 and { } rps
                // the pool recycles a child every max_requests / rate seconds; each child lives max_children × as long
                ? $" (at this run's {Fmt.Num(rps, "0.##")} req/s: one every {Seconds(c.MaxRequests / rps)} in the pool, each child living {Seconds(c.MaxRequests * (double)c.MaxChildren / rps)})"
                : "");
        return $"pm.max_children = {c.MaxChildren}, pm.max_requests = {mr}   ({c.Why}): peak pool {(a.Fit.InPss ? "PSS (what the host pays)" : "RSS")} ≤ {Fmt.Size(c.PeakPoolKb)} predicted " +
               $"({Fmt.Size(c.ExpectedPeakPoolKb)} with L itself) of the {Fmt.Size(a.Request.LimitKb)} allowed; {respawns}";
    }

    public static string Verdict(VerificationResult v, Advice a)
    {
        if (!v.Ran) return $"verification with max_children = {v.Choice.MaxChildren}, max_requests = {v.Choice.MaxRequests}: not run ({v.Problem})";
        double share = v.PeakPoolKb / a.Request.RamKb;
        string peak = v.PeakPoolPssKb is not null ? $"peak pool PSS (what the host pays) {Fmt.Size(v.PeakPoolKb)} (summed RSS {Fmt.Size(v.PeakPoolRssKb)})" : $"peak pool RSS {Fmt.Size(v.PeakPoolRssKb)}";
        return v.Held
            ? $"verified on the sim (max_children = {v.Choice.MaxChildren}, max_requests = {v.Choice.MaxRequests}, {Fmt.Count(v.Requests, "request", "requests")}, {Fmt.Count(v.Recycles, "recycle", "recycles")}): {peak} ≤ {Fmt.Size(v.LimitKb)} (ram × (1 − margin)), {Fmt.Percent(share)} of the ram — the advice held."
            : $"verified on the sim (max_children = {v.Choice.MaxChildren}, max_requests = {v.Choice.MaxRequests}, {Fmt.Int(v.Requests)} requests): {peak} > {Fmt.Size(v.LimitKb)} (ram × (1 − margin)) — the advice did NOT hold; lower max_requests or max_children, or refit on a longer run.";
    }

    public static string Seconds(double s) =>
        !double.IsFinite(s) ? "never" : s >= 7200 ? Fmt.Num(s / 3600, "0.#") + " h" : s >= 120 ? Fmt.Num(s / 60, "0.#") + " min" : Fmt.Num(s, s >= 10 ? "0" : "0.##") + " s";
}
