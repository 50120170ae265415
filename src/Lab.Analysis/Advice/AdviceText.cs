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
            $"baseline  B = {PlusMinus(f.Baseline)}   {f.Baseline.How}",
            $"leak      L = {PlusMinus(f.Leak)} per {u}   {f.Leak.How}; the upper end of its 95% interval = {Fmt.Size(f.LeakUpperKb)}",
            $"retained  R = {Fmt.Size(f.Retained.Value)}   {f.Retained.How}",
            $"master      = {PlusMinus(f.Master)}   {f.Master.How}",
        ];
    }

    public static IReadOnlyList<string> Formula(Advice a)
    {
        var f = a.Fit;
        var r = a.Request;
        var lines = new List<string>
        {
            $"budget for the children = ram × (1 − margin) − master = {Fmt.Size(r.RamKb)} × {Fmt.Num(1 - r.Margin, "0.##")} − {Fmt.Size(f.Master.Value)} = {Fmt.Size(a.ChildrenBudgetKb)}" +
                (r.RamGiven ? "" : $"   (ram={Fmt.Size(r.RamKb)} is the default: give yours with ram=)"),
            "max_children × (B + L × max_requests + R) ≤ budget, with L at the upper end of its 95% interval:",
            $"  {a.MaxChildren} × ({Fmt.Size(f.Baseline.Value)} + {Fmt.Size(f.LeakUpperKb)} × max_requests + {Fmt.Size(f.Retained.Value)}) ≤ {Fmt.Size(a.ChildrenBudgetKb)}" +
                (double.IsPositiveInfinity(a.MaxRequestsBound) ? "   holds for any max_requests (no growth)"
                    : a.MaxRequestsBound < 1 ? "   holds for no max_requests ≥ 1"
                    : $"   ⇒ max_requests ≤ {Fmt.Num(Math.Floor(a.MaxRequestsBound), "#,0")}"),
        };
        return lines;
    }

    public static string Choice(PoolChoice c, Advice a, double? throughputRps)
    {
        string mr = c.MaxRequests == 0 ? "0 (unlimited)" : c.MaxRequests.ToString(Fmt.Inv); // as typed in the pool's config, no separator
        if (a.Fit.Unit != "request" && c.MaxRequests > 0) mr += $" {a.Fit.Unit}s (--per-block: counted in ps snapshots, not requests)";
        string respawns = c.MaxRequests == 0
            ? "no respawns"
            : $"{Fmt.Num(c.RespawnsPer1k, "0.##")} respawns per 1,000 {a.Fit.Unit}s" + (throughputRps is > 0 and { } rps
                // the pool recycles a child every max_requests / rate seconds; each child lives max_children × as long
                ? $" (at this run's {Fmt.Num(rps, "0.##")} req/s: one every {Seconds(c.MaxRequests / rps)} in the pool, each child living {Seconds(c.MaxRequests * (double)c.MaxChildren / rps)})"
                : "");
        return $"pm.max_children = {c.MaxChildren}, pm.max_requests = {mr}   ({c.Why}): peak pool RSS ≤ {Fmt.Size(c.PeakPoolKb)} predicted " +
               $"({Fmt.Size(c.ExpectedPeakPoolKb)} with L itself) of the {Fmt.Size(a.Request.LimitKb)} allowed; {respawns}";
    }

    public static string Verdict(VerificationResult v, Advice a)
    {
        if (!v.Ran) return $"verification with max_children = {v.Choice.MaxChildren}, max_requests = {v.Choice.MaxRequests}: not run ({v.Problem})";
        double share = v.PeakPoolRssKb / a.Request.RamKb;
        return v.Held
            ? $"verified on the sim (max_children = {v.Choice.MaxChildren}, max_requests = {v.Choice.MaxRequests}, {Fmt.Count(v.Requests, "request", "requests")}, {Fmt.Count(v.Recycles, "recycle", "recycles")}): peak pool RSS {Fmt.Size(v.PeakPoolRssKb)} ≤ {Fmt.Size(v.LimitKb)} (ram × (1 − margin)), {Fmt.Percent(share)} of the ram — the advice held."
            : $"verified on the sim (max_children = {v.Choice.MaxChildren}, max_requests = {v.Choice.MaxRequests}, {Fmt.Int(v.Requests)} requests): peak pool RSS {Fmt.Size(v.PeakPoolRssKb)} > {Fmt.Size(v.LimitKb)} (ram × (1 − margin)) — the advice did NOT hold; lower max_requests or max_children, or refit on a longer run.";
    }

    public static string Seconds(double s) =>
        !double.IsFinite(s) ? "never" : s >= 7200 ? Fmt.Num(s / 3600, "0.#") + " h" : s >= 120 ? Fmt.Num(s / 60, "0.#") + " min" : Fmt.Num(s, s >= 10 ? "0" : "0.##") + " s";
}
