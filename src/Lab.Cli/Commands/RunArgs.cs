namespace Lab.Cli.Commands;

/// <summary>The arguments of a run: scenario, key=value overrides, --out DIR, --plain, --yes.</summary>
public sealed record RunArgs(string Scenario, IReadOnlyList<string> Overrides, string? Out, bool Plain, IReadOnlyList<string> Raw, bool Yes = false)
{
    public const string Usage = "./run.sh <scenario> [key=value ...] [--out DIR] [--plain] [--yes]";

    /// <summary>The positional words (scenario, then key=value overrides) and the options, as the command line parsed them.</summary>
    public static RunArgs Bind(IReadOnlyList<string> words, string? outDir, bool plain, bool yes, IReadOnlyList<string> raw)
    {
        string? scenario = null;
        var overrides = new List<string>();
        foreach (var a in words)
        {
            if (scenario is null && !a.Contains('=')) scenario = a;
            else if (a.Contains('=')) overrides.Add(a);
            else throw new LabUsageException($"'{a}' is not an override: overrides are key=value (e.g. max_requests=5); the scenario is '{scenario}'.");
        }
        if (scenario is null) throw new LabUsageException("no scenario given: ./run.sh <scenario> [key=value ...]; ./run.sh list shows them.");
        return new RunArgs(scenario, overrides, outDir, plain, raw, yes);
    }

    /// <summary>A run's command line (the words after ./run.sh), parsed by the lab's one parser.</summary>
    public static RunArgs Parse(string[] args) => CommandLine.LabCommandLine.ArgsOf<RunArgs>(args);
}
