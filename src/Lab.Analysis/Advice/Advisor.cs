using Lab.Report;

namespace Lab.Analysis.Advice;

/// <summary>What the operator asks: the RAM the pool may use, the margin kept free, and max_children if fixed.</summary>
/// <param name="RamKb">The memory the pool may use (KiB).</param>
/// <param name="RamGiven">ram= was given (else the default is used, and said so).</param>
/// <param name="Margin">Share of the RAM kept free (0.2 = 20%).</param>
/// <param name="MaxChildren">max_children= if given.</param>
public sealed record AdviceRequest(double RamKb, bool RamGiven, double Margin, int? MaxChildren)
{
    /// <summary>advise --per-block: on an imported log without a request rate, answer per snapshot.</summary>
    public bool PerBlock { get; init; }

    /// <summary>The default ram= (2 GiB), as the lab's usage line shows it.</summary>
    public const double DefaultRamKb = 2.0 * 1024 * 1024;
    public const double DefaultMargin = 0.2;

    /// <summary>What the whole pool (master + children) may reach: ram × (1 − margin).</summary>
    public double LimitKb => RamKb * (1 - Margin);
}

/// <summary>
/// A pool setting and what it costs: pm.max_children, pm.max_requests (0 = unlimited), the
/// predicted peak pool RSS (master + max_children × (B + L × max_requests + R), with L the upper
/// end of the leak's 95% interval, and with L itself), and the respawns it costs.
/// </summary>
public sealed record PoolChoice(int MaxChildren, int MaxRequests, double PeakPoolKb, double ExpectedPeakPoolKb, string Why)
{
    /// <summary>Children recycled per 1,000 requests: 1000 / max_requests (none when unlimited).</summary>
    public double RespawnsPer1k => MaxRequests > 0 ? 1000.0 / MaxRequests : 0;
}

/// <summary>The advice: the fit, what was asked, the budget, the recommendation(s) and notes.</summary>
/// <param name="ChildrenBudgetKb">ram × (1 − margin) − master: what the children may use together.</param>
/// <param name="Primary">max_requests for max_children (given, else the run's); null when even max_requests = 1 does not fit.</param>
/// <param name="ForRam">The max_children that fits the RAM at a moderate max_requests (when ram= was given without max_children=, or when the primary does not fit).</param>
public sealed record Advice(PoolFit Fit, AdviceRequest Request, int RunMaxChildren, int RunMaxRequests, double ChildrenBudgetKb,
    int MaxChildren, double MaxRequestsBound, PoolChoice? Primary, PoolChoice? ForRam, IReadOnlyList<string> Notes)
{
    /// <summary>
    /// For an advice in private and shared memory: what the RSS-based formula (shared pages in
    /// every child's baseline, as pm.max_children = RAM / RSS does) would have advised, shown beside it.
    /// </summary>
    public Advice? RssBased { get; init; }
}

/// <summary>
/// The recommendation: the largest pm.max_requests with
/// max_children × (baseline + leak × max_requests + retained) ≤ ram × (1 − margin) − master,
/// the leak taken at the upper end of its 95% confidence interval — the largest, because every
/// recycle is a fork and a cold child. Rounded down to two significant figures, and capped at
/// <see cref="Cap"/> (beyond it respawns are negligible). Where ram is given without
/// max_children, also the most children that fit at max_requests = <see cref="Moderate"/>
/// (www.conf's example value), or at a smaller one when the leak is too large for that.
/// </summary>
public static class Advisor
{
    /// <summary>The largest max_requests advised: fewer than 0.1 respawns per 1,000 requests.</summary>
    public const int Cap = 10_000;
    /// <summary>The max_requests at which max_children is sized: php-fpm's www.conf example value.</summary>
    public const int Moderate = 500;

    public static Advice Advise(PoolFit fit, AdviceRequest request, int runMaxChildren, int runMaxRequests)
    {
        var notes = new List<string>();
        double budget = request.LimitKb - fit.FixedKb;
        if (budget <= 0)
            throw new AdviseException($"ram={Fmt.Size(request.RamKb)} with a {Fmt.Percent(request.Margin)} margin leaves {Fmt.Size(request.LimitKb)}, not even the master's {Fmt.Size(fit.FixedKb)}{(fit.InPss ? " (with the shared memory)" : "")}: give more ram (ram=2G) or a smaller margin.");
        int n = request.MaxChildren ?? Math.Max(1, runMaxChildren);
        double bound = MaxRequestsBound(fit, budget, n);

        PoolChoice? primary = null;
        if (bound >= 1)
        {
            int m = Recommend(bound, fit, notes);
            primary = Choice(fit, n, m, request.MaxChildren is null
                ? fit.FromImport ? $"the most children the log shows at once, {n}" : $"the run's pm.max_children = {n}"
                : $"pm.max_children = {n} as given");
        }
        else
        {
            notes.Add($"max_children = {n} does not fit: even with max_requests = 1 the children would need {Fmt.Size(n * fit.ChildKb(1, fit.LeakUpperKb))}, more than the {Fmt.Size(budget)} left for them.");
        }

        PoolChoice? forRam = null;
        if ((request.RamGiven && request.MaxChildren is null) || primary is null)
        {
            foreach (int m in new[] { Moderate, 200, 100, 50, 20, 10, 5, 2, 1 })
            {
                int children = (int)Math.Floor(budget / fit.ChildKb(m, fit.LeakUpperKb));
                if (children < 1) continue;
                string at = $"at max_requests = {m}{(m < Moderate ? $"; at {Moderate} not even one child fits" : "")}";
                int rec = Recommend(MaxRequestsBound(fit, budget, children), fit, notes);
                if (primary is not null && children == primary.MaxChildren && rec == primary.MaxRequests)
                    notes.Add($"max_children = {children} is also the most children that fit {Fmt.Size(request.RamKb)} {at}.");
                else
                    forRam = Choice(fit, children, rec, $"the most children that fit {Fmt.Size(request.RamKb)} {at}");
                break;
            }
            if (forRam is null && primary is null)
                notes.Add($"not even one child fits: a fresh child ({Fmt.Size(fit.Baseline.Value)}) plus what it retains ({Fmt.Size(fit.Retained.Value)}) is more than the {Fmt.Size(budget)} left for children.");
        }
        if (fit.LeakUpperKb <= 0)
            notes.Add($"no growth per {fit.Unit} was measured: max_requests = 0 (unlimited) keeps the pool within the budget; a cap of a few hundred still guards against a leak that comes with the next release.");
        return new Advice(fit, request, runMaxChildren, runMaxRequests, budget, n, bound, primary, forRam, notes.Distinct().ToList());
    }

    /// <summary>The largest max_requests (not rounded) with n × (B + Lup × m + R) ≤ budget; +∞ when nothing grows.</summary>
    public static double MaxRequestsBound(PoolFit fit, double budgetKb, int children)
    {
        double room = budgetKb / children - fit.Baseline.Value - fit.Retained.Value;
        if (room < 0) return 0;
        return fit.LeakUpperKb <= 0 ? double.PositiveInfinity : room / fit.LeakUpperKb;
    }

    private static int Recommend(double bound, PoolFit fit, List<string> notes)
    {
        if (double.IsPositiveInfinity(bound)) return 0;
        if (bound >= Cap)
        {
            notes.Add($"max_requests up to {Fmt.Num(Math.Floor(bound), "#,0")} would fit; {Fmt.Int(Cap)} is advised, beyond it respawns are fewer than 0.1 per 1,000 requests.");
            return Cap;
        }
        return NiceFloor(bound);
    }

    /// <summary>Rounded down to two significant figures (397 → 390, 1234 → 1200); below 100, to a whole number.</summary>
    public static int NiceFloor(double x)
    {
        if (x < 1) return 0;
        if (x < 100) return (int)Math.Floor(x);
        double step = Math.Pow(10, Math.Floor(Math.Log10(x)) - 1);
        return (int)(Math.Floor(x / step) * step);
    }

    public static PoolChoice Choice(PoolFit fit, int children, int maxRequests, string why)
    {
        // Unlimited (0): predicted with the bound the advice allows (no growth), i.e. the fresh child plus its residue.
        double m = maxRequests;
        return new PoolChoice(children, maxRequests,
            fit.FixedKb + children * fit.ChildKb(m, fit.LeakUpperKb),
            fit.FixedKb + children * fit.ChildKb(m, Math.Max(0, fit.Leak.Value)), why);
    }
}
