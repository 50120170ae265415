using Lab.Core.Paths;
using Lab.Engines.Real;
using Lab.Report;
using Lab.Results.Housekeeping;

namespace Lab.Cli.Commands;

/// <summary>
/// ./run.sh clean [--results]: removes what killed runs left behind — the private temporary
/// folders (sockets, configs) of labs that no longer run — and lists the stale results folders
/// (killed mid-run, failed, cut before their manifest); with --results it removes those too.
/// Complete and interrupted runs are never touched. Exit 0.
/// </summary>
public static class CleanCommand
{
    public const string Usage = "./run.sh clean [--results]";

    public sealed record CleanArgs(bool Results);

    public static CleanArgs Bind(IReadOnlyList<string> words, bool results) =>
        words.Count > 0 ? throw new LabUsageException($"clean takes no folder (got '{words[0]}'); it looks in results/. Usage: {Usage}") : new CleanArgs(results);

    public static int Run(CleanArgs a)
    {
        var o = Console.Out;
        var temps = PrivateTemp.RemoveAbandoned();
        foreach (var t in temps) o.WriteLine($"removed {t} (the temporary folder of a lab that was killed)");
        o.WriteLine(temps.Count == 0 ? "no temporary folder of a killed run left" : $"{Fmt.Count(temps.Count, "temporary folder", "temporary folders")} removed");

        var stale = StaleResults.Find(LabPaths.Results);
        if (stale.Count == 0)
        {
            o.WriteLine($"no stale results in {ResultsDirs.Display(LabPaths.Results)}");
            return 0;
        }
        foreach (var s in stale)
        {
            if (a.Results)
            {
                try
                {
                    Directory.Delete(s.Directory, recursive: true);
                    o.WriteLine($"removed {ResultsDirs.Display(s.Directory)} ({Fmt.Size(s.Bytes / 1024)}; {s.Why})");
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    Console.Error.WriteLine($"warning: could not remove {ResultsDirs.Display(s.Directory)}: {e.Message}");
                }
            }
            else o.WriteLine($"stale: {ResultsDirs.Display(s.Directory)} ({Fmt.Size(s.Bytes / 1024)}; {s.Why})");
        }
        long total = stale.Sum(s => s.Bytes) / 1024;
        o.WriteLine(a.Results
            ? $"{Fmt.Count(stale.Count, "stale results folder", "stale results folders")} removed ({Fmt.Size(total)})"
            : $"{Fmt.Count(stale.Count, "stale results folder", "stale results folders")} ({Fmt.Size(total)}): remove them with ./run.sh clean --results");
        return 0;
    }
}
