using Lab.Core.Paths;
using Lab.Scenarios;

namespace Lab.Cli.Commands;

/// <summary>./run.sh list — the scenarios with their titles.</summary>
public static class ListCommand
{
    public const string Usage = "./run.sh list";

    public sealed record ListArgs;

    public static ListArgs Bind(IReadOnlyList<string> words) =>
        words.Count > 0 ? throw new LabUsageException($"list takes no arguments (got '{words[0]}').") : new ListArgs();

    public static int Run(ListArgs _)
    {
        var all = ScenarioLoader.List(LabPaths.Scenarios);
        if (all.Count == 0)
        {
            Console.WriteLine($"no scenarios in {LabPaths.Scenarios}");
            return 0;
        }
        int width = all.Max(s => s.Name.Length);
        foreach (var s in all)
            Console.WriteLine(s.Error is null ? $"{s.Name.PadRight(width)}  {s.Title}" : $"{s.Name.PadRight(width)}  (broken: {s.Error})");
        return 0;
    }
}
