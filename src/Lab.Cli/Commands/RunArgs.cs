namespace Lab.Cli.Commands;

/// <summary>The arguments of a run: scenario, key=value overrides, --out DIR, --plain.</summary>
public sealed record RunArgs(string Scenario, IReadOnlyList<string> Overrides, string? Out, bool Plain, IReadOnlyList<string> Raw)
{
    public static RunArgs Parse(string[] args)
    {
        string? scenario = null, outDir = null;
        bool plain = false;
        var overrides = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            if (OutOption.Match(args, ref i, usage: null, out var o)) outDir = o;
            else if (a == "--plain") plain = true;
            else if (a.StartsWith('-'))
                throw new LabUsageException($"unknown option '{a}'. A run takes key=value overrides, --out DIR and --plain; see ./run.sh --help.");
            else if (scenario is null && !a.Contains('=')) scenario = a;
            else if (a.Contains('=')) overrides.Add(a);
            else throw new LabUsageException($"'{a}' is not an override: overrides are key=value (e.g. max_requests=5); the scenario is '{scenario}'.");
        }
        if (scenario is null) throw new LabUsageException("no scenario given: ./run.sh <scenario> [key=value ...]; ./run.sh list shows them.");
        return new RunArgs(scenario, overrides, outDir, plain, args);
    }
}
