using System.Globalization;
using System.Text.Json;
using Lab.Core.Engines;
using Lab.Core.Scenarios;
using Lab.Report;
using Lab.Report.Output;
using Lab.Report.Plotting;
using Lab.Results;
using Lab.Scenarios;

namespace Lab.Analysis.Advice;

/// <summary>A finished advise: the advice, its verifications on the sim, the report's path, and the lines to print.</summary>
public sealed record AdviseOutcome(Advice Advice, IReadOnlyList<VerificationResult> Verifications, string ReportPath, IReadOnlyList<string> Lines)
{
    /// <summary>The recycling policies compared on the sim under the run's load (null when the run's scenario cannot be read or nothing fits).</summary>
    public PolicyComparison? Policies { get; init; }
}

/// <summary>
/// `advise`, once its input is checked: fit the run, advise, verify each advised setting on the
/// simulator (a run folder per verification, verify-*/ in the output folder), then write
/// tradeoff.png/.svg, advice.json and report.html/.md into the output folder.
/// </summary>
public static class AdviseRun
{
    public const string JsonFile = "advice.json";

    /// <summary>What advise will do, checked before anything is written: the fit and the advice (AdviseException on bad input).</summary>
    public static (PoolFit Fit, Advice Advice, Scenario? Scenario, string? ScenarioProblem) Prepare(RunFolder run, AdviceRequest request)
    {
        var rssFit = PoolFit.Of(run, request.PerBlock);
        // In private and shared memory when the run read smaps_rollup and its children share pages;
        // else in RSS, and said why.
        var privateFit = PoolFit.PrivateOf(run, rssFit);
        var fit = privateFit is { Shared.Value: > 0 } ? privateFit : rssFit with
        {
            Notes = [.. rssFit.Notes, privateFit is null
                ? "RSS only (no smaps_rollup was read, as in a plain ps log): shared memory cannot be separated from each child's own, so every child's baseline counts the pages all children share; the advice is conservative (fewer children, or a smaller max_requests, than the host could hold)"
                : "the children share no pages (their summed PSS is their summed USS): RSS is what the host pays, and the advice is in RSS"],
        };
        Scenario? scenario = null;
        string? problem = null;
        if (run.ScenarioToml.Length == 0) problem = "the folder has no scenario.toml";
        else
        {
            try { scenario = ScenarioLoader.Parse(run.ScenarioToml, run.PathOf("scenario.toml"), run.Manifest.Scenario, []); }
            catch (ScenarioException e) { problem = "its scenario.toml cannot be read: " + e.Message; }
        }
        // The run's own pool, else what the samples show: the most children sampled at one tick.
        // (an import does not know its pool's settings: what its snapshots show)
        bool known = run.UnknownSettings.Count == 0;
        int runChildren = known && scenario is not null ? scenario.Pool.MaxChildren : MostChildrenAtOnce(run);
        int runMaxRequests = known && scenario is not null ? scenario.Pool.MaxRequests : 0;
        var advice = Advisor.Advise(fit, request, runChildren, runMaxRequests);
        if (known && scenario is { Pool.Pools: > 1 } several)
            advice = advice with { Notes = [.. advice.Notes, $"the run had several pools ({several.Pool.PoolsText}): the advice, its checks on the sim and the policies are for one pool of all {several.Pool.MaxChildren} children under the same load"] };
        if (fit.InPss)
        {
            Advice? rss = null;
            try { rss = Advisor.Advise(rssFit, request, runChildren, runMaxRequests); }
            catch (AdviseException) { } // the RSS formula leaves nothing even for the master: said by its absence
            advice = advice with { RssBased = rss };
        }
        return (fit, advice, scenario, problem);
    }

    public static async Task<AdviseOutcome> RunAsync(RunFolder run, AdviceRequest request, string outDir, ScenarioRunner runner,
        string commandLine, IProgress<string>? progress, CancellationToken cancel)
    {
        var (fit, advice, scenario, problem) = Prepare(run, request);
        Directory.CreateDirectory(outDir);
        var summary = run.SummaryOrComputed(out _);
        double? rps = summary.ThroughputRps > 0 ? summary.ThroughputRps : null;

        var verified = new List<VerificationResult>();
        foreach (var choice in new[] { advice.Primary, advice.ForRam }.Where(c => c is not null).Select(c => c!))
        {
            string folder = $"verify-max_children={choice.MaxChildren},max_requests={choice.MaxRequests}";
            string dir = Path.Combine(outDir, folder);
            if (verified.Any(v => v.Dir == dir)) continue;
            if (scenario is null)
            {
                verified.Add(Verification.Evaluate(choice, dir, request.LimitKb, null, $"cannot build the verification: {problem}"));
                continue;
            }
            progress?.Report($"verifying max_children = {choice.MaxChildren}, max_requests = {choice.MaxRequests} on the sim");
            var s = Verification.Build(scenario, fit, choice);
            RunResult r;
            try { r = await runner(s, dir, cancel); }
            catch (Exception e) when (e is not OutOfMemoryException) { r = new RunResult(RunStatus.Failed, $"{e.GetType().Name}: {e.Message}", null); }
            verified.Add(Verification.Evaluate(choice, dir, request.LimitKb, r.Summary,
                r.Status == RunStatus.Complete ? null : $"the run is {Manifest.StatusName(r.Status)}: {r.Reason}", fit.InPss));
        }

        PolicyComparison? policies = null;
        if (scenario is not null && (advice.Primary ?? advice.ForRam) is { } chosen)
            policies = await PolicyComparisons.RunAsync(scenario, fit, chosen, request.LimitKb, outDir, runner, progress, cancel);

        progress?.Report("plotting the trade-off");
        string title = scenario?.Title ?? run.Manifest.Scenario;
        var plot = AdvicePlot.Of(advice, title, verified);
        plot.WriteTo(outDir);
        File.WriteAllText(Path.Combine(outDir, JsonFile), Json(advice, verified, run.Directory));
        var lines = Lines(advice, verified, run, rps).ToList();
        if (policies is not null)
        {
            lines.AddRange(PolicyComparisons.Table(policies));
            lines.AddRange(policies.Conclusions.Select(c => "  " + c));
        }
        progress?.Report("writing report.html and report.md");
        var page = BuildPage(advice, verified, run, title, plot, lines, commandLine, outDir, rps, policies);
        string html = page.WriteTo(outDir);
        return new AdviseOutcome(advice, verified, html, lines) { Policies = policies };
    }

    private static int MostChildrenAtOnce(RunFolder run)
    {
        var s = run.Samples;
        return Math.Max(1, Enumerable.Range(0, s.Count).Where(i => s.Role[i] == Lab.Core.Records.ProcessRole.Child)
            .GroupBy(i => s.T[i]).Select(g => g.Count()).DefaultIfEmpty(1).Max());
    }

    /// <summary>What advise prints: the fit, the formula with its numbers, the advice, the verification.</summary>
    public static IReadOnlyList<string> Lines(Advice a, IReadOnlyList<VerificationResult> verified, RunFolder run, double? rps)
    {
        var lines = new List<string>
        {
            $"advise {run.Directory}: engine {run.Manifest.Engine}, {Fmt.Int(a.Fit.ChildSamples)} child samples of {Fmt.Count(a.Fit.Children, "child", "children")}",
            $"fitted (per {a.Fit.Unit}):",
        };
        lines.AddRange(AdviceText.Fitted(a).Select(l => "  " + l));
        lines.Add(a.Fit.InPss ? "formula (private and shared memory: what the host pays):" : "formula:");
        lines.AddRange(AdviceText.Formula(a).Select(l => "  " + l));
        if (a.Fit.InPss)
        {
            lines.Add("the RSS formula beside it (shared pages counted in every child, as pm.max_children = RAM / RSS does):");
            lines.AddRange(AdviceText.RssBeside(a).Select(l => "  " + l));
        }
        lines.Add("advice:");
        if (a.Primary is { } p) lines.Add("  " + AdviceText.Choice(p, a, rps));
        if (a.ForRam is { } fr) lines.Add("  " + AdviceText.Choice(fr, a, rps));
        foreach (var n in a.Notes.Concat(a.Fit.Notes)) lines.Add("  note: " + n);
        foreach (var v in verified) lines.Add(AdviceText.Verdict(v, a));
        return lines;
    }

    private static ReportPage BuildPage(Advice a, IReadOnlyList<VerificationResult> verified, RunFolder run, string title, RenderedPlot plot,
        IReadOnlyList<string> lines, string commandLine, string outDir, double? rps, PolicyComparison? policies)
    {
        var r = a.Request;
        var main = a.Primary ?? a.ForRam;
        string subtitle = $"{run.Manifest.Scenario} · engine {run.Manifest.Engine} · ram {Fmt.Size(r.RamKb)}{(r.RamGiven ? "" : " (default)")} · margin {Fmt.Percent(r.Margin)}" +
                          (main is null ? " · nothing fits" : $" · advice: max_children = {main.MaxChildren}, max_requests = {main.MaxRequests}");
        var page = new ReportPage($"Advice: {title}", subtitle);
        page.Heading("The advice");
        var said = new List<string>();
        if (a.Primary is { } p) said.Add(AdviceText.Choice(p, a, rps));
        if (a.ForRam is { } fr) said.Add(AdviceText.Choice(fr, a, rps));
        said.AddRange(a.Notes);
        page.Para(said.Count > 0 ? said[0] : "No setting fits the budget.", lead: true);
        if (said.Count > 1) page.Bullets(said.Skip(1));
        foreach (var v in verified) page.Para(AdviceText.Verdict(v, a), lead: v.Ran && !v.Held);

        page.Heading("The trade-off");
        page.Figure(plot, "Peak pool RSS and respawns against pm.max_requests",
            "A larger max_requests lets each child accumulate more leak before it is recycled (the pool's peak RSS rises in a straight line), a smaller one recycles more often (respawns fall as 1000 / max_requests). The advice is the largest max_requests whose peak stays under the budget with the leak at the upper end of its 95% interval.");

        page.Heading("The numbers");
        page.Table(["figure", "value", "uncertainty", "how"],
        [
            [a.Fit.InPss ? "baseline B_private" : "baseline B", Fmt.Size(a.Fit.Baseline.Value), Unc(a.Fit.Baseline), a.Fit.Baseline.How],
            .. (a.Fit.Shared is { } sh ? new[] { new[] { "shared S (once for the pool)", Fmt.Size(sh.Value), Unc(sh), sh.How } } : []),
            [$"leak L per {a.Fit.Unit}", Fmt.Size(a.Fit.Leak.Value), Unc(a.Fit.Leak), a.Fit.Leak.How],
            ["leak, 95% upper bound", Fmt.Size(a.Fit.LeakUpperKb), "", "the upper end of the leak's 95% confidence interval (Student's t): what the advice plans with"],
            ["retained R", Fmt.Size(a.Fit.Retained.Value), "", a.Fit.Retained.How],
            ["master", Fmt.Size(a.Fit.Master.Value), Unc(a.Fit.Master), a.Fit.Master.How],
            ["budget for the children", Fmt.Size(a.ChildrenBudgetKb), "", a.Fit.InPss ? "ram × (1 − margin) − master − S" : "ram × (1 − margin) − master"],
        ], numericColumns: [1, 2]);
        page.Pre(string.Join('\n', AdviceText.Formula(a)));
        if (a.Fit.InPss)
        {
            page.Para("The same run budgeted in RSS, as pm.max_children = RAM / RSS does (every child's RSS holds the pages all children share, so they are counted once per child):");
            page.Pre(string.Join('\n', AdviceText.RssBeside(a)));
        }
        if (a.Fit.Notes.Count > 0) page.Bullets(a.Fit.Notes);

        page.Heading("Verification on the simulator");
        page.Para("Each advised setting was run on the simulator: the run's scenario with pm = static and the advised max_children and max_requests, its memory model calibrated from the numbers above, and as many users as children sending request after request until every child had served max_requests requests — every child at its largest at about the same time, the worst case for the budget.");
        foreach (var v in verified)
        {
            string rel = Path.GetRelativePath(outDir, v.Dir).Replace('\\', '/');
            if (v.Ran) page.Link($"{rel}/report.html", $"{rel}/report.html", $"— the verification run: " +
                (v.PeakPoolPssKb is { } vp ? $"peak pool PSS (what the host pays) {Fmt.Size(vp)}, summed RSS {Fmt.Size(v.PeakPoolRssKb)}" : $"peak pool RSS {Fmt.Size(v.PeakPoolRssKb)}") +
                $", peak child RSS {Fmt.Size(v.PeakChildRssKb)}, {Fmt.Count(v.Recycles, "recycle", "recycles")}.");
            else page.Para(AdviceText.Verdict(v, a), muted: true);
        }

        if (policies is not null)
        {
            page.Heading("Recycling policies side by side");
            page.Para($"php-fpm's fixed pm.max_requests against the recycling rules of other servers (not php-fpm directives), each run on the simulator with the run's own load, pm = static and max_children = {policies.MaxChildren}: " +
                      "the same mean request limit for jitter and delta, a child's size at the fixed limit for the memory limit, the advice's limit as the pool budget.");
            page.Table(["policy", "settings", "peak pool RSS", "respawns / 1,000", "most recycles in a second", "most children starting at once", "pool peak / mean", "failed"],
                policies.Results.Select(pr => (IReadOnlyList<string>)(pr.Ran
                    ? [pr.Name, pr.Settings, Fmt.Size(pr.PeakPoolRssKb), Fmt.Num(pr.RespawnsPer1k, "0.##"), Fmt.Int(pr.MaxRecyclesPerSecond), Fmt.Int(pr.MaxStartingAtOnce),
                        pr.PeakToMean is { } ratio ? Fmt.Num(ratio, "0.00") : "n/a", Fmt.Num(pr.FailedPercent, "0.##") + "%"]
                    : [pr.Name, pr.Settings, "not run: " + pr.Problem, "", "", "", "", ""])).ToList(),
                numericColumns: [2, 3, 4, 5, 6, 7]);
            page.Bullets(policies.Conclusions);
            foreach (var pr in policies.Results.Where(x => x.Ran))
            {
                string rel = Path.GetRelativePath(outDir, pr.Dir).Replace('\\', '/');
                page.Link($"{rel}/report.html", $"{rel}/report.html", $"— {pr.Name}");
            }
        }

        page.Heading("What ran");
        page.Pre(commandLine + "\n\n" + string.Join('\n', lines));
        page.Para($"Fitted from {run.Directory}. The numbers are in {JsonFile}.", muted: true);
        return page;
    }

    private static string Unc(Fitted f) => double.IsFinite(f.Uncertainty) ? "± " + Fmt.Size(f.Uncertainty) : "";

    private static string Json(Advice a, IReadOnlyList<VerificationResult> verified, string runDir)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("run", runDir);
            w.WriteString("unit", a.Fit.Unit);
            w.WriteStartObject("fit");
            Fit(w, "baseline_kb", a.Fit.Baseline);
            Fit(w, "leak_kb_per_" + a.Fit.Unit, a.Fit.Leak);
            w.WriteNumber("leak_upper95_kb", R(a.Fit.LeakUpperKb));
            Fit(w, "retained_kb", a.Fit.Retained);
            Fit(w, "master_kb", a.Fit.Master);
            w.WriteString("basis", a.Fit.InPss ? "pss" : "rss");
            if (a.Fit.Shared is { } shared) Fit(w, "shared_kb", shared);
            w.WriteNumber("child_samples", a.Fit.ChildSamples);
            w.WriteNumber("children", a.Fit.Children);
            w.WriteEndObject();
            w.WriteStartObject("request");
            w.WriteNumber("ram_kb", R(a.Request.RamKb));
            w.WriteBoolean("ram_given", a.Request.RamGiven);
            w.WriteNumber("margin", a.Request.Margin);
            if (a.Request.MaxChildren is { } n) w.WriteNumber("max_children", n); else w.WriteNull("max_children");
            w.WriteEndObject();
            w.WriteNumber("children_budget_kb", R(a.ChildrenBudgetKb));
            if (double.IsFinite(a.MaxRequestsBound)) w.WriteNumber("max_requests_bound", R(a.MaxRequestsBound)); else w.WriteNull("max_requests_bound");
            Choice(w, "advice", a.Primary);
            Choice(w, "max_children_for_ram", a.ForRam);
            if (a.Fit.InPss)
            {
                Choice(w, "rss_formula_advice", a.RssBased?.Primary);
                Choice(w, "rss_formula_max_children_for_ram", a.RssBased?.ForRam);
            }
            w.WriteStartArray("verifications");
            foreach (var v in verified)
            {
                w.WriteStartObject();
                w.WriteNumber("max_children", v.Choice.MaxChildren);
                w.WriteNumber("max_requests", v.Choice.MaxRequests);
                w.WriteString("folder", v.Dir);
                w.WriteBoolean("ran", v.Ran);
                w.WriteNumber("peak_pool_rss_kb", v.PeakPoolRssKb);
                if (v.PeakPoolPssKb is { } vp) w.WriteNumber("peak_pool_pss_kb", vp);
                w.WriteNumber("limit_kb", R(v.LimitKb));
                w.WriteBoolean("held", v.Held);
                if (v.Problem is not null) w.WriteString("problem", v.Problem);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("notes");
            foreach (var note in a.Notes.Concat(a.Fit.Notes)) w.WriteStringValue(note);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(ms.ToArray()) + "\n";
    }

    private static double R(double v) => Math.Round(v, 3);

    private static void Fit(Utf8JsonWriter w, string name, Fitted f)
    {
        w.WriteStartObject(name);
        w.WriteNumber("value", R(f.Value));
        if (double.IsFinite(f.Uncertainty)) w.WriteNumber("stderr", R(f.Uncertainty)); else w.WriteNull("stderr");
        w.WriteString("how", f.How);
        w.WriteEndObject();
    }

    private static void Choice(Utf8JsonWriter w, string name, PoolChoice? c)
    {
        if (c is null) { w.WriteNull(name); return; }
        w.WriteStartObject(name);
        w.WriteNumber("max_children", c.MaxChildren);
        w.WriteNumber("max_requests", c.MaxRequests);
        w.WriteNumber("peak_pool_rss_kb_predicted", R(c.PeakPoolKb));
        w.WriteNumber("peak_pool_rss_kb_expected", R(c.ExpectedPeakPoolKb));
        w.WriteNumber("respawns_per_1k", R(c.RespawnsPer1k));
        w.WriteString("why", c.Why);
        w.WriteEndObject();
    }
}
