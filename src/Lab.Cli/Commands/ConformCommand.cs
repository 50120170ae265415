using System.Runtime.InteropServices;
using Lab.Analysis;
using Lab.Analysis.Conformance;
using Lab.Cli.Terminal;
using Lab.Core.Engines;
using Lab.Core.Scenarios;
using Lab.Engines;

namespace Lab.Cli.Commands;

/// <summary>
/// ./run.sh conform [--engines php-fpm,dotnet,sim] [--out DIR]: the conformance suite. Every
/// scenario of lab/conformance/ runs on php-fpm 8.2 (the reference, always included) and on each
/// lab engine into OUT/SCENARIO/ENGINE/; every rule's figures are compared
/// (Lab.Analysis.Conformance) and written to OUT/conformance.md and OUT/conformance.html. OUT
/// defaults to results/conform-&lt;UTC&gt;/. Prints one line per rule; the last line is the HTML's
/// path. Exit code 0 when every rule is the same on every engine, 1 when one differs or a run
/// failed, 2 for bad input (an unknown engine, php-fpm missing), 3 when interrupted.
/// </summary>
public static class ConformCommand
{
    public const string Usage = "./run.sh conform [--engines php-fpm,dotnet,sim] [--out DIR]";

    public sealed record ConformArgs(IReadOnlyList<EngineKind> Engines, string? Out);

    /// <param name="engines">--engines' value, null when not given (then php-fpm, dotnet and sim).</param>
    public static ConformArgs Bind(IReadOnlyList<string> words, string? engines, string? outDir)
    {
        if (words.Count > 0) throw new LabUsageException($"conform takes no folder or setting, got '{words[0]}'. Usage: {Usage}");
        if (engines is not null && string.IsNullOrWhiteSpace(engines))
            throw new LabUsageException($"--engines needs a list, e.g. --engines php-fpm,dotnet,sim. Usage: {Usage}");
        return new ConformArgs(engines is null ? [EngineKind.PhpFpm, EngineKind.Dotnet, EngineKind.Sim] : ParseEngines(engines), outDir);
    }

    public static async Task<int> RunAsync(ConformArgs a)
    {
        var engines = a.Engines;
        // every scenario checked, and every engine able to run here (php-fpm installed first if need be), before anything runs
        foreach (var name in ConformanceSuite.Scenarios) ConformanceRunner.Load(name, EngineKind.Sim);
        foreach (var e in engines) EngineFactory.Create(ConformanceRunner.Load(ConformanceSuite.Scenarios[0], e), line => Console.Error.WriteLine(line));

        string dir = ResultsDirs.Choose(a.Out, "conform", DateTime.UtcNow);
        using var interruption = new Interruption(PosixSignal.SIGTERM, PosixSignal.SIGHUP);
        var progress = new Progress<string>(step => Console.Error.WriteLine("conform: " + step));
        ConformanceOutcome outcome;
        try
        {
            outcome = await ConformanceRunner.RunAsync(engines, dir, Run, progress, interruption.Token);
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"conform: interrupted ({interruption.By}); the runs so far are in {ResultsDirs.Display(dir)}");
            return 3;
        }
        string? php = outcome.Runs.FirstOrDefault(r => r.Engine == ConformanceRunner.Reference && r.Facts is not null) is { } ran
            ? Lab.Results.RunFolder.Open(ran.Dir).Manifest.Versions.GetValueOrDefault("php-fpm") : null;
        string html = ConformanceReport.Write(ConformanceReport.Page(outcome, php, DateTime.UtcNow), dir);
        foreach (var r in outcome.Results)
            Console.Out.WriteLine($"{r.Rule.Id,-26} " + string.Join("  ", r.Verdicts.Select(v => $"{v.Key}: {(v.Value.Same ? "same" : "DIFFERS (" + string.Join("; ", v.Value.Differences) + ")")}")));
        Console.Out.WriteLine(outcome.AllSame ? "every rule is the same as php-fpm's" : "some rules differ from php-fpm's");
        Console.Out.WriteLine(ResultsDirs.Display(html));
        return outcome.AllSame ? 0 : 1;
    }

    /// <summary>"php-fpm,dotnet,sim" → engines; php-fpm, the reference, must be one of them.</summary>
    public static IReadOnlyList<EngineKind> ParseEngines(string list)
    {
        var engines = new List<EngineKind>();
        foreach (var name in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            engines.Add(name switch
            {
                "php-fpm" => EngineKind.PhpFpm,
                "dotnet" => EngineKind.Dotnet,
                "sim" => EngineKind.Sim,
                _ => throw new LabUsageException($"--engines: unknown engine '{name}'; engines: php-fpm, dotnet, sim. Usage: {Usage}"),
            });
        }
        if (!engines.Contains(EngineKind.PhpFpm))
            throw new LabUsageException($"--engines {list}: php-fpm must be one of them: it is the reference every engine is compared with. Usage: {Usage}");
        return engines;
    }

    /// <summary>One run of the suite: the pipeline into its folder, no live view and no report (./run.sh report DIR makes it).</summary>
    private static async Task<RunResult> Run(Scenario scenario, string dir, CancellationToken cancel)
    {
        var engine = EngineFactory.Create(scenario, _ => { });
        string commandLine = $"./run.sh lab/conformance/{scenario.Name}.toml engine={Lab.Core.Scenarios.EngineNames.Of(scenario.Engine)} --out {dir}";
        var (outcome, summary) = await RunPipeline.RunAsync(scenario, engine, dir, commandLine, live: null, cancel);
        cancel.ThrowIfCancellationRequested();
        return new RunResult(outcome.Status, outcome.Reason, summary);
    }
}
