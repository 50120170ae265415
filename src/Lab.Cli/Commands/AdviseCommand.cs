using System.Globalization;
using Lab.Analysis;
using Lab.Analysis.Advice;
using Lab.Cli.Terminal;
using Lab.Core.Scenarios;
using Lab.Results;
using Lab.Scenarios;

namespace Lab.Cli.Commands;

/// <summary>
/// ./run.sh advise DIR [ram=2G] [max_children=N] [margin=20%] [--out DIR] [--plain]: from a run
/// (any engine) or an imported ps log, fit the baseline, the leak per request (with its standard
/// error) and what children retain; recommend pm.max_requests (and pm.max_children for the
/// ram) so that max_children × (baseline + leak × max_requests + retained) stays under
/// ram × (1 − margin) − master; verify the advice on the simulator. Writes
/// results/advise-&lt;scenario&gt;-&lt;UTC&gt;/ (tradeoff.png/.svg, advice.json, report.html/.md, the
/// verification runs) and prints the report's path last. Bad input (not a run, too few samples
/// to fit, a bad ram=, max_children= or margin=): exit 2, nothing written. Exit 1 when the
/// verification did not hold (or could not run).
/// </summary>
public static class AdviseCommand
{
    public const string Usage = "./run.sh advise DIR [ram=2G] [max_children=N] [margin=20%] [--per-block] [--out DIR] [--plain]";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly string[] Keys = ["ram", "max_children", "margin"];

    public sealed record AdviseArgs(string Dir, AdviceRequest Request, string? Out, bool Plain, IReadOnlyList<string> Settings);

    public static async Task<int> RunAsync(AdviseArgs a)
    {
        var run = RunFolder.Open(a.Dir); // not a results folder, or a corrupt one: exit 2
        try
        {
            AdviseRun.Prepare(run, a.Request); // too few samples to fit, a budget too small: exit 2, nothing written
        }
        catch (AdviseException e)
        {
            throw new LabUsageException(e.Message);
        }
        string outDir = ResultsDirs.Choose(a.Out, "advise-" + run.Manifest.Scenario, DateTime.UtcNow);
        string commandLine = "./run.sh advise " + string.Join(' ', new[] { a.Dir }.Concat(a.Settings).Concat(a.Out is null ? [] : ["--out", a.Out]));
        var o = Console.Out;
        var progress = new OnReport<string>(step => o.WriteLine($"advise: {step}"));

        AdviseOutcome outcome;
        try
        {
            outcome = await AdviseRun.RunAsync(run, a.Request, outDir, Verify, commandLine, progress, CancellationToken.None);
        }
        catch (AdviseException e)
        {
            throw new LabUsageException(e.Message);
        }
        foreach (var line in outcome.Lines) o.WriteLine(line);
        o.WriteLine(ResultsDirs.Display(outcome.ReportPath));
        return outcome.Verifications.All(v => v.Held) ? 0 : 1;
    }

    /// <summary>A verification: the simulator through RunPipeline into its folder, and its report.</summary>
    private static Task<RunResult> Verify(Scenario scenario, string dir, CancellationToken cancel) =>
        RunPipeline.RunWithReportAsync(scenario, dir, $"./run.sh {Path.Combine(dir, "scenario.toml")}", "the verification's report", cancel);

    public static AdviseArgs Parse(string[] args) => Lab.Cli.CommandLine.LabCommandLine.ArgsOf<AdviseArgs>(["advise", .. args]);

    public static AdviseArgs Bind(IReadOnlyList<string> words, string? outDir, bool plain, bool perBlock = false)
    {
        string? dir = null;
        double ramKb = AdviceRequest.DefaultRamKb;
        bool ramGiven = false;
        double margin = AdviceRequest.DefaultMargin;
        int? maxChildren = null;
        var settings = new List<string>();
        foreach (var arg in words)
        {
            if (arg.IndexOf('=') is int eq and > 0 && IsSettingKey(arg[..eq]) && !Directory.Exists(arg))
            {
                string key = arg[..eq].Trim(), value = arg[(eq + 1)..].Trim();
                settings.Add(arg);
                switch (key)
                {
                    case "ram":
                        ramKb = ScenarioUnits.ParseSizeKb(value, out string? problem) is { } kb && kb > 0
                            ? kb
                            : throw new LabUsageException($"ram={value}: {problem ?? "must be more than 0"}; give the memory the pool may use, e.g. ram=2G or ram=512M.");
                        ramGiven = true;
                        break;
                    case "max_children" or "pm.max_children":
                        maxChildren = int.TryParse(value, NumberStyles.None, Inv, out int n) && n >= 1
                            ? n
                            : throw new LabUsageException($"max_children={value}: give a whole number of children, 1 or more (pm.max_children), e.g. max_children=10.");
                        break;
                    case "margin":
                        margin = ParseMargin(value);
                        break;
                    default:
                        throw new LabUsageException($"unknown setting '{key}' for advise{Suggest.DidYouMean(key, Keys)}; advise takes ram=SIZE (default 2G), max_children=N (default: the run's) and margin=PERCENT (default 20%). Usage: {Usage}");
                }
            }
            else if (dir is null) dir = arg;
            else throw new LabUsageException($"advise takes one results folder, got '{dir}' and '{arg}'. Usage: {Usage}");
        }
        if (dir is null) throw new LabUsageException($"advise needs a results folder (a run, or an import of a ps log). Usage: {Usage}");
        return new AdviseArgs(dir, new AdviceRequest(ramKb, ramGiven, margin, maxChildren) { PerBlock = perBlock }, outDir, plain, settings);
    }

    /// <summary>A setting's key (ram, max_children, ...), not a folder whose name holds '=' (a sweep's cell: results/sweep-x/max_requests=5).</summary>
    private static bool IsSettingKey(string key) => key.Length > 0 && key.All(c => char.IsAsciiLetterLower(c) || c is '_' or '.');

    /// <summary>"20%" or "0.2": the share of the ram kept free, from 0 up to (not including) 100%.</summary>
    private static double ParseMargin(string value)
    {
        bool percent = value.EndsWith('%');
        string number = percent ? value[..^1].Trim() : value;
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, Inv, out double m) || (!percent && m >= 1))
            throw new LabUsageException($"margin={value}: give the share of the ram kept free as a percentage or a fraction, e.g. margin=20% or margin=0.2.");
        double fraction = percent ? m / 100 : m;
        if (fraction is < 0 or >= 1) throw new LabUsageException($"margin={value}: the margin is from 0% up to (not including) 100%.");
        return fraction;
    }
}
