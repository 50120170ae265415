using System.Globalization;
using Lab.Core.Engines;
using Lab.Core.Paths;
using Lab.Core.Scenarios;
using Lab.Results;
using Lab.Results.Reading;
using Lab.Scenarios;

namespace Lab.Analysis.Conformance;

/// <summary>One engine's run of one conformance scenario.</summary>
/// <param name="Dir">Its results folder.</param>
/// <param name="Facts">What it showed; null when the run did not complete.</param>
public sealed record EngineRun(string Engine, string Scenario, string Dir, RunStatus Status, string? Reason, RunFacts? Facts);

/// <summary>How an engine fares on a rule against php-fpm: the same, or how it differs.</summary>
public sealed record Verdict(bool Same, IReadOnlyList<string> Differences)
{
    public static readonly Verdict SameAsPhpFpm = new(true, []);
}

/// <summary>A rule's figures on every engine and each lab engine's verdict.</summary>
public sealed record RuleResult(ConformanceRule Rule, IReadOnlyDictionary<string, IReadOnlyList<double>> Values, IReadOnlyDictionary<string, Verdict> Verdicts);

/// <summary>The whole suite's outcome: the engines compared (php-fpm first, the reference), each rule's result, the runs.</summary>
public sealed record ConformanceOutcome(IReadOnlyList<string> Engines, IReadOnlyList<RuleResult> Results, IReadOnlyList<EngineRun> Runs)
{
    /// <summary>Every rule the same on every lab engine, and every run complete.</summary>
    public bool AllSame => Results.All(r => r.Verdicts.Values.All(v => v.Same)) && Runs.All(r => r.Status == RunStatus.Complete);
}

/// <summary>
/// Runs the conformance suite: every scenario of <see cref="ConformanceSuite"/> on php-fpm 8.2 and
/// on each lab engine (through the caller's <see cref="ScenarioRunner"/>: the CLI's pipeline),
/// into OUT/SCENARIO/ENGINE/, then compares the figures of every rule. php-fpm is the reference
/// and must be among the engines.
/// </summary>
public static class ConformanceRunner
{
    public const string Reference = "php-fpm";

    /// <summary>Where the suite's scenarios are (lab/conformance/).</summary>
    public static string ScenariosDir => Path.Combine(LabPaths.LabDir, "conformance");

    /// <summary>A scenario of the suite on an engine, as `./run.sh lab/conformance/NAME.toml engine=ENGINE` would load it.</summary>
    public static Scenario Load(string scenario, EngineKind engine) =>
        ScenarioLoader.Load(Path.Combine(ScenariosDir, scenario + ".toml"), [$"engine={EngineNames.Of(engine)}"], ScenariosDir);

    public static async Task<ConformanceOutcome> RunAsync(IReadOnlyList<EngineKind> engines, string outDir, ScenarioRunner runner,
        IProgress<string>? progress = null, CancellationToken cancel = default)
    {
        if (!engines.Contains(EngineKind.PhpFpm)) throw new ArgumentException("php-fpm, the reference, must be among the engines", nameof(engines));
        var ordered = engines.Distinct().OrderBy(e => e == EngineKind.PhpFpm ? 0 : 1).ToList();
        var runs = new List<EngineRun>();
        foreach (var name in ConformanceSuite.Scenarios)
        {
            foreach (var engine in ordered)
            {
                cancel.ThrowIfCancellationRequested();
                string engineName = EngineNames.Of(engine);
                progress?.Report($"{name} on {engineName}");
                string dir = Path.Combine(outDir, name, engineName);
                var scenario = Load(name, engine);
                var result = await runner(scenario, dir, cancel);
                RunFacts? facts = null;
                if (result.Status == RunStatus.Complete)
                {
                    try { facts = new RunFacts(RunFolder.Open(dir), scenario.RunLength.TotalSeconds); }
                    catch (Lab.Results.ResultsFormatException e) { result = result with { Status = RunStatus.Failed, Reason = e.Message }; }
                }
                runs.Add(new EngineRun(engineName, name, dir, result.Status, result.Reason, facts));
            }
        }
        var names = ordered.Select(EngineNames.Of).ToList();
        return new ConformanceOutcome(names, ConformanceSuite.Rules.Select(r => Judge(r, names, runs)).ToList(), runs);
    }

    /// <summary>A rule's figures on every engine, each lab engine against php-fpm.</summary>
    public static RuleResult Judge(ConformanceRule rule, IReadOnlyList<string> engines, IReadOnlyList<EngineRun> runs)
    {
        if (rule.Scenario == "*") return JudgeWording(rule, engines, runs);
        var values = new Dictionary<string, IReadOnlyList<double>>();
        var verdicts = new Dictionary<string, Verdict>();
        var reference = runs.Single(r => r.Scenario == rule.Scenario && r.Engine == Reference);
        foreach (var engine in engines)
        {
            var run = runs.Single(r => r.Scenario == rule.Scenario && r.Engine == engine);
            if (run.Facts is { } facts) values[engine] = rule.Measures.Select(m => m.Of(facts)).ToList();
            if (engine == Reference) continue;
            if (run.Facts is null || reference.Facts is null)
            {
                var failed = run.Facts is null ? run : reference;
                verdicts[engine] = new Verdict(false, [$"the {failed.Engine} run did not complete ({RunStatusText(failed)})"]);
                continue;
            }
            var differences = new List<string>();
            for (int i = 0; i < rule.Measures.Count; i++)
            {
                var m = rule.Measures[i];
                double php = values[Reference][i], mine = values[engine][i];
                if (Math.Abs(mine - php) > m.Tolerance + 1e-9)
                    differences.Add($"{m.Name}: {Number(mine)} (php-fpm: {Number(php)}{(m.Tolerance > 0 ? $", tolerance ±{Number(m.Tolerance)}" : "")})");
            }
            verdicts[engine] = differences.Count == 0 ? Verdict.SameAsPhpFpm : new Verdict(false, differences);
        }
        return new RuleResult(rule, values, verdicts);
    }

    /// <summary>The log wording rule, over every scenario: the NOTICE+ wordings php-fpm wrote and the engine's.</summary>
    private static RuleResult JudgeWording(ConformanceRule rule, IReadOnlyList<string> engines, IReadOnlyList<EngineRun> runs)
    {
        var verdicts = new Dictionary<string, Verdict>();
        foreach (var engine in engines.Where(e => e != Reference))
        {
            var differences = new List<string>();
            foreach (var scenario in ConformanceSuite.Scenarios)
            {
                var php = runs.Single(r => r.Scenario == scenario && r.Engine == Reference).Facts;
                var mine = runs.Single(r => r.Scenario == scenario && r.Engine == engine).Facts;
                if (php is null || mine is null) continue; // the scenario's own rule says it did not run
                var phpKinds = php.LogKinds.Where(k => !BuildSpecific(k)).ToHashSet();
                var myKinds = mine.LogKinds.ToHashSet();
                foreach (var missing in phpKinds.Except(myKinds).Order()) differences.Add($"{scenario}: php-fpm writes \"{missing}\", {engine} does not");
                foreach (var extra in myKinds.Except(phpKinds).Order()) differences.Add($"{scenario}: {engine} writes \"{extra}\", php-fpm does not");
            }
            verdicts[engine] = differences.Count == 0 ? Verdict.SameAsPhpFpm : new Verdict(false, differences);
        }
        return new RuleResult(rule, new Dictionary<string, IReadOnlyList<double>>(), verdicts);
    }

    /// <summary>Lines of Debian's php-fpm build that are not php-fpm's process management (its systemd notification).</summary>
    private static bool BuildSpecific(string wording) => wording.StartsWith("other: systemd ", StringComparison.Ordinal);

    public static string RunStatusText(EngineRun run) =>
        run.Status.ToString().ToLowerInvariant() + (run.Reason is { Length: > 0 } r ? ": " + r : "");

    public static string Number(double v) => v == Math.Floor(v) ? v.ToString("0", CultureInfo.InvariantCulture) : v.ToString("0.###", CultureInfo.InvariantCulture);
}
