using Lab.Core.Engines;
using Lab.Core.Scenarios;
using Lab.Report;
using Lab.Results;

namespace Lab.Analysis.Advice;

/// <summary>One recycling policy run on the simulator under the run's load, and what it gave.</summary>
public sealed record PolicyResult(string Name, string Settings, bool PhpFpm, string Dir, bool Ran, string? Problem,
    long PeakPoolRssKb, double RespawnsPer1k, int MaxRecyclesPerSecond, int MaxStartingAtOnce, double? PeakToMean, double FailedPercent);

/// <summary>The comparison: every policy's result, the fixed limit's first, and what the savings allow.</summary>
public sealed record PolicyComparison(int MaxChildren, int MaxRequests, IReadOnlyList<PolicyResult> Results, IReadOnlyList<string> Conclusions);

/// <summary>
/// advise's comparison of recycling policies: php-fpm's fixed pm.max_requests (the advised one)
/// against the [recycle] rules of other servers with the same mean limit or the same budget —
/// gunicorn's jitter, uWSGI's delta, a memory limit checked by the child (uWSGI's reload-on-rss,
/// php-src #17661) and puma_worker_killer's pool budget — each run on the simulator with the run's
/// own load (its phases repeated until every child has lived three times), the pool static with
/// the advised max_children. It then says which policy would let the same RAM hold more children
/// or a larger max_requests, and that php-fpm itself offers only the fixed limit.
/// </summary>
public static class PolicyComparisons
{
    /// <summary>The policies compared, as (name, settings in words, the scenario's pool and [recycle]).</summary>
    public static IReadOnlyList<(string Name, string Settings, bool PhpFpm, int MaxRequests, RecycleSettings Recycle)> Policies(PoolFit fit, int n, int m, double limitKb)
    {
        int jitterBase = Math.Max(1, (int)Math.Round(m * 0.75));
        int jitter = Math.Max(1, 2 * (m - jitterBase));
        int delta = Math.Max(1, (int)Math.Round(m / (double)Math.Max(1, n)));
        int deltaBase = Math.Max(1, m - (int)Math.Round((n - 1) * delta / 2.0));
        // the child's own memory limit: the size a child reaches at the fixed limit
        long maxRssBytes = (long)Math.Round((fit.Baseline.Value + Math.Max(0, fit.Leak.Value) * m + fit.Retained.Value) * 1024);
        long budgetBytes = (long)Math.Round(limitKb * 1024);
        return
        [
            ("php-fpm: fixed pm.max_requests", $"max_requests = {m}", true, m, new RecycleSettings()),
            ("gunicorn: jitter", $"max_requests = {jitterBase}, recycle.jitter = {jitter} (mean {jitterBase + jitter / 2.0:0.#})", false, jitterBase, new RecycleSettings { Jitter = jitter }),
            ("uWSGI: max-requests-delta", $"max_requests = {deltaBase}, recycle.delta = {delta} (mean {deltaBase + (n - 1) * delta / 2.0:0.#})", false, deltaBase, new RecycleSettings { Delta = delta }),
            ("uWSGI reload-on-rss (php-src #17661)", $"max_requests = 0, recycle.max_rss = {Fmt.Size(maxRssBytes / 1024.0)} (a child's size at {m} requests)", false, 0, new RecycleSettings { MaxRssBytes = maxRssBytes }),
            ("puma_worker_killer: pool budget", $"max_requests = 0, recycle.pool_budget = {Fmt.Size(limitKb)} (the advice's limit), checked every 1s", false, 0,
                new RecycleSettings { PoolBudgetBytes = budgetBytes, CheckInterval = TimeSpan.FromSeconds(1) }),
        ];
    }

    /// <summary>The run's scenario on the sim with a policy: pm static with n children, the run's load repeated to cover three lives of a child.</summary>
    public static Scenario Build(Scenario run, int n, int m, int maxRequests, RecycleSettings recycle, string name)
    {
        var load = run.Load;
        double length = load.TotalDuration.TotalSeconds;
        double rate = load.Phases.Count > 0 && length > 0 ? EstimateRate(run) : 0;
        double life = rate > 0 && m > 0 ? n * (double)m / rate : 0;
        int repeats = length > 0 ? (int)Math.Clamp(Math.Ceiling(3 * life / length), 1, Math.Max(1, Math.Floor(3600 / length))) : 1;
        var phases = Enumerable.Range(0, repeats).SelectMany(_ => load.Phases).ToList();
        return run with
        {
            Engine = EngineKind.Sim,
            Front = FrontKind.FastCgi,
            Title = $"{run.Title} — {name}",
            Description = $"The run's load on the simulator, repeated {repeats}×, with pm = static, max_children = {n} and {name}.",
            Duration = null,
            Pool = run.Pool.OnePool() with { Pm = ProcessManagerStyle.Static, MaxChildren = n, MaxRequests = maxRequests },
            Recycle = recycle,
            Load = load with { Phases = phases, Iterations = load.Iterations is { } it ? it * repeats : null },
            Actions = [],
            RequestRecords = RecordsMode.Summary,
        };
    }

    /// <summary>The run's mean offered rate (requests a second) over its load phases: open phases' rates, closed phases' users over (work + wait + think).</summary>
    private static double EstimateRate(Scenario s)
    {
        double service = Math.Max(0.001, (s.Request.WorkMs.Mean + s.Request.WaitMs.Mean) / 1000.0);
        double requests = 0, seconds = 0;
        foreach (var p in s.Load.Phases)
        {
            double d = p.During.TotalSeconds;
            seconds += d;
            requests += p.Kind switch
            {
                LoadPhaseKind.Inject or LoadPhaseKind.RampingInject => p.Rate * d,
                LoadPhaseKind.InjectRandom => (p.MinRate + p.MaxRate) / 2 * d,
                LoadPhaseKind.KeepConstant or LoadPhaseKind.RampingConstant => p.Copies / (service + p.Think.TotalSeconds) * d,
                _ => 0,
            };
        }
        return seconds > 0 ? requests / seconds : 0;
    }

    public static async Task<PolicyComparison> RunAsync(Scenario run, PoolFit fit, PoolChoice choice, double limitKb, string outDir,
        ScenarioRunner runner, IProgress<string>? progress, CancellationToken cancel)
    {
        int n = choice.MaxChildren, m = Math.Max(1, choice.MaxRequests == 0 ? Advisor.Moderate : choice.MaxRequests);
        var results = new List<PolicyResult>();
        int i = 0;
        foreach (var (name, settings, phpFpm, maxRequests, recycle) in Policies(fit, n, m, limitKb))
        {
            i++;
            string dir = Path.Combine(outDir, $"policy-{i}");
            progress?.Report($"comparing policies on the sim: {name}");
            var s = Build(run, n, m, maxRequests, recycle, name);
            RunResult r;
            try { r = await runner(s, dir, cancel); }
            catch (Exception e) when (e is not OutOfMemoryException) { r = new RunResult(RunStatus.Failed, $"{e.GetType().Name}: {e.Message}", null); }
            if (r.Summary is not { } sum || r.Status != RunStatus.Complete)
            {
                results.Add(new PolicyResult(name, settings, phpFpm, dir, false, $"the run is {Manifest.StatusName(r.Status)}: {r.Reason}", 0, 0, 0, 0, null, 0));
                continue;
            }
            results.Add(new PolicyResult(name, settings, phpFpm, dir, true, null, sum.PeakPoolRssKb,
                Sweeps.SweepMetrics.RespawnsPer1k(sum) ?? 0, sum.Storm?.MaxRecyclesPerSecond ?? 0, sum.Storm?.MaxStartingAtOnce ?? 0,
                sum.Storm?.PoolRssPeakToMean, Sweeps.SweepMetrics.FailedPercent(sum) ?? 0));
        }
        return new PolicyComparison(n, m, results, Conclude(results, fit, n, m));
    }

    /// <summary>What the comparison says: against the fixed limit, the RAM each policy saves and what it could hold instead.</summary>
    public static IReadOnlyList<string> Conclude(IReadOnlyList<PolicyResult> results, PoolFit fit, int n, int m)
    {
        var lines = new List<string>();
        var fixedLimit = results.FirstOrDefault(r => r.PhpFpm && r.Ran);
        if (fixedLimit is null) { lines.Add("the fixed limit's run failed: nothing to compare against"); return lines; }
        double leak = Math.Max(0, fit.Leak.Value);
        double meanChild = fit.Baseline.Value + leak * m / 2 + fit.Retained.Value;
        PolicyResult? best = null;
        foreach (var r in results.Where(r => !r.PhpFpm && r.Ran))
        {
            double saved = fixedLimit.PeakPoolRssKb - r.PeakPoolRssKb;
            string failed = r.FailedPercent > 0 ? $"; {Fmt.Num(r.FailedPercent, "0.##")}% of requests failed" : "";
            if (saved <= 0)
            {
                lines.Add($"{r.Name}: no lower peak than the fixed limit ({Fmt.Size(r.PeakPoolRssKb)} against {Fmt.Size(fixedLimit.PeakPoolRssKb)}){failed}");
                continue;
            }
            int moreChildren = meanChild > 0 ? (int)Math.Floor(saved / meanChild) : 0;
            // in lockstep the peak grows by n × L per unit of max_requests
            int moreRequests = leak > 0 ? (int)Math.Floor(saved / (n * leak)) : 0;
            lines.Add($"{r.Name}: peak {Fmt.Size(r.PeakPoolRssKb)}, {Fmt.Size(saved)} ({Fmt.Percent(saved / fixedLimit.PeakPoolRssKb)}) under the fixed limit's {Fmt.Size(fixedLimit.PeakPoolRssKb)}: " +
                      $"room for about {moreChildren} more children (at {Fmt.Size(meanChild)} a child on average), or a max_requests about {moreRequests} larger{failed}");
            if (r.FailedPercent == 0 && (best is null || r.PeakPoolRssKb < best.PeakPoolRssKb)) best = r;
        }
        if (best is not null)
            lines.Add($"the same RAM holds the most with {best.Name} ({best.Settings}): its peak is {Fmt.Percent(best.PeakPoolRssKb / (double)fixedLimit.PeakPoolRssKb)} of the fixed limit's, " +
                      $"most recycles in a second {best.MaxRecyclesPerSecond} against {fixedLimit.MaxRecyclesPerSecond}");
        lines.Add("php-fpm itself offers only the fixed limit (pm.max_requests); the other policies are other servers' rules (or php-src #17661's proposal), run here on the simulator — not php-fpm directives");
        return lines;
    }

    public static IEnumerable<string> Table(PolicyComparison c)
    {
        yield return $"recycling policies on the sim under the run's load (pm = static, max_children = {c.MaxChildren}; the fixed limit {c.MaxRequests}):";
        yield return $"  {"policy",-40} {"peak pool RSS",14} {"respawns/1k",11} {"most/s",6} {"cold at once",12} {"peak/mean",9}";
        foreach (var r in c.Results)
            yield return r.Ran
                ? $"  {r.Name,-40} {Fmt.Size(r.PeakPoolRssKb),14} {Fmt.Num(r.RespawnsPer1k, "0.##"),11} {r.MaxRecyclesPerSecond,6} {r.MaxStartingAtOnce,12} {(r.PeakToMean is { } p ? Fmt.Num(p, "0.00") : "n/a"),9}"
                : $"  {r.Name,-40} not run: {r.Problem}";
        foreach (var r in c.Results) yield return $"    {r.Name}: {r.Settings}";
    }
}
