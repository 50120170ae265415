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
            if (a == "--out")
            {
                if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                    throw new LabUsageException("--out needs a folder: --out DIR.");
                outDir = args[++i];
            }
            else if (a.StartsWith("--out=", StringComparison.Ordinal)) outDir = a["--out=".Length..];
            else if (a == "--plain") plain = true;
            else if (a.StartsWith('-'))
                throw new LabUsageException($"unknown option '{a}'. A run takes key=value overrides, --out DIR and --plain; see ./run.sh --help.");
            else if (scenario is null && !a.Contains('=')) scenario = a;
            else if (a.Contains('=')) overrides.Add(a);
            else throw new LabUsageException($"'{a}' is not an override: overrides are key=value (e.g. max_requests=5); the scenario is '{scenario}'.");
        }
        if (scenario is null) throw new LabUsageException("no scenario given: ./run.sh <scenario> [key=value ...]; ./run.sh list shows them.");
        if (outDir is { Length: 0 }) throw new LabUsageException("--out needs a folder: --out DIR.");
        return new RunArgs(scenario, overrides, outDir, plain, args);
    }
}
