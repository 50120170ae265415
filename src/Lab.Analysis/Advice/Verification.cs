using Lab.Core.Requests;
using Lab.Core.Scenarios;
using Lab.Results;

namespace Lab.Analysis.Advice;

/// <summary>A verification's outcome: the sim's peak pool RSS against the limit ram × (1 − margin).</summary>
/// <param name="PeakPoolPssKb">For an advice in private and shared memory: the sim's peak summed PSS (what the host pays), which is what is checked.</param>
public sealed record VerificationResult(PoolChoice Choice, string Dir, bool Ran, string? Problem, long PeakPoolRssKb, long PeakChildRssKb,
    long Recycles, long Requests, double LimitKb, long? PeakPoolPssKb = null)
{
    /// <summary>The peak the limit is checked against: summed PSS for an advice in private and shared memory, else summed RSS.</summary>
    public long PeakPoolKb => PeakPoolPssKb ?? PeakPoolRssKb;
    public bool Held => Ran && PeakPoolKb <= LimitKb;
}

/// <summary>
/// The scenario that checks an advice on the simulator: the run's scenario with the advice
/// applied (pm static with max_children children, max_requests), its memory model calibrated
/// from the fitted numbers (baseline, master, leak per request, and the allocator's retention
/// so that retention + the largest transient ≈ the fitted residue), no actions, and the worst
/// case for the budget as its load: max_children users looping (closed model) until every
/// child has served max_requests requests, so every child reaches its largest at about the
/// same time.
/// </summary>
public static class Verification
{
    /// <summary>Requests of an unlimited (max_requests = 0) verification, per child.</summary>
    public const int UnlimitedRequestsPerChild = 200;

    public static Scenario Build(Scenario run, PoolFit fit, PoolChoice choice)
    {
        int n = choice.MaxChildren;
        int m = choice.MaxRequests;
        var profile = run.Request;

        // The leak: the fitted KiB per request, through leak_scale when requests leak, else as per_request growth.
        double leakMean = profile.LeakKb.Mean;
        double leak = Math.Max(0, fit.Leak.Value);
        // In private and shared memory: the child's private baseline, the shared part every child
        // touches (counted once in PSS), the master's PSS; its RSS as measured.
        double masterRss = fit.InPss ? fit.MasterRssKb : fit.Master.Value;
        var memory = run.Memory with
        {
            ChildBaselineKb = Math.Max(1, (long)Math.Round(fit.Baseline.Value)),
            // S is what the pool pays for its shared pages, counted once: shared by the children alone
            SharedKb = fit.Shared is { } shared ? Math.Max(0, (long)Math.Round(shared.Value)) : 0,
            SharedCodeKb = 0,
            SharedOthers = 0,
            MasterPssKb = fit.InPss ? (long)Math.Round(fit.Master.Value) : null,
            MasterRssKb = masterRss > 0 ? (long)Math.Round(masterRss) : run.Memory.MasterRssKb,
            LeakScale = leakMean > 0 ? Math.Round(leak / leakMean, 6) : 1.0,
            PerRequestKb = leakMean > 0 ? 0 : Math.Round(leak, 3),
            RetainMaxKb = Math.Max(0, (long)Math.Round(fit.Retained.Value - TransientP99Kb(profile, run.Seed))),
        };

        long perChild = m > 0 ? m : UnlimitedRequestsPerChild;
        // Requests do not spread exactly evenly over the children (their service times vary):
        // 10% more than N × max_requests lets every child reach max_requests at least once.
        long iterations = n * (perChild + Math.Max(5, perChild / 10));
        double serviceMs = Math.Max(0.1, profile.WorkMs.Mean + profile.WaitMs.Mean);
        // Long enough for every child's whole life with room to spare: the iterations end the run.
        var during = TimeSpan.FromSeconds(Math.Ceiling(iterations / (double)n * serviceMs / 1000.0 * 3) + 10);
        var interval = TimeSpan.FromMilliseconds(Math.Clamp(serviceMs, 1, run.SampleInterval.TotalMilliseconds));

        return run with
        {
            Engine = EngineKind.Sim,
            Front = FrontKind.FastCgi,
            Title = $"{run.Title} — advice verified on the sim: max_children = {n}, max_requests = {m}",
            Description = $"The advice for {run.Name} checked on the simulator: pm = static with pm.max_children = {n} and pm.max_requests = {m}, " +
                          $"the memory model calibrated from the fitted numbers (baseline, leak per request, retention, master), and {n} users " +
                          $"sending request after request until every child has served {perChild} requests (10% more requests than that in all, as they spread unevenly): every child at its largest at about the same time, the worst case for the budget.",
            Duration = null,
            SampleInterval = interval,
            PssInterval = interval, // PSS at every tick: the peak of what the host pays is checked
            Pool = run.Pool.OnePool() with { Pm = ProcessManagerStyle.Static, MaxChildren = n, MaxRequests = m },
            Load = new LoadPlan
            {
                Phases = [new LoadPhase { Kind = LoadPhaseKind.KeepConstant, Copies = n, During = during }],
                Iterations = iterations,
                MaxInFlight = Math.Max(run.Load.MaxInFlight, n),
                Timeout = run.Load.Timeout,
            },
            Actions = [],
            Memory = memory,
        };
    }

    /// <summary>The 99th percentile of the transient memory (KiB) the scenario's requests draw (its first 2,000 requests).</summary>
    public static double TransientP99Kb(RequestProfile profile, ulong seed)
    {
        var stream = new RequestStream(profile, seed);
        var draws = Enumerable.Range(1, 2000).Select(i => (double)stream.For(i).TransientKb).Order().ToList();
        return Stats.Percentile(draws, 0.99);
    }

    /// <param name="pss">The advice is in private and shared memory: its peak summed PSS is what is checked.</param>
    public static VerificationResult Evaluate(PoolChoice choice, string dir, double limitKb, Summary? summary, string? problem, bool pss = false) =>
        summary is null
            ? new VerificationResult(choice, dir, false, problem ?? "the verification run gave no summary", 0, 0, 0, 0, limitKb)
            : new VerificationResult(choice, dir, problem is null, problem, summary.PeakPoolRssKb, summary.PeakChildRssKb, summary.Recycles, summary.RequestsTotal, limitKb,
                pss ? summary.PeakPoolPssKb ?? long.MaxValue : null);
}
