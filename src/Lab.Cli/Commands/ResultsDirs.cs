using System.Globalization;
using Lab.Core.Paths;

namespace Lab.Cli.Commands;

/// <summary>Where a run's results go: --out DIR, or results/&lt;scenario&gt;-&lt;UTC yyyyMMdd-HHmmss&gt;/.</summary>
public static class ResultsDirs
{
    public static string Choose(string? outDir, string scenarioName, DateTime utcNow)
    {
        if (outDir is not null)
        {
            string full = Path.GetFullPath(outDir);
            if (File.Exists(full)) throw new LabUsageException($"--out {outDir}: a file of that name exists; give a folder that does not exist yet (or is empty).");
            if (Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any())
                throw new LabUsageException($"--out {outDir}: the folder exists and is not empty; choose a new one so no earlier results are overwritten.");
            return full;
        }
        string stamp = utcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        string baseDir = Path.Combine(LabPaths.Results, $"{scenarioName}-{stamp}");
        string dir = baseDir;
        for (int n = 2; Directory.Exists(dir); n++) dir = $"{baseDir}-{n}";
        return dir;
    }

    /// <summary>A path to print: relative to the current folder when inside it.</summary>
    public static string Display(string path)
    {
        string rel = Path.GetRelativePath(Directory.GetCurrentDirectory(), path);
        return rel.StartsWith("..", StringComparison.Ordinal) ? path : rel;
    }
}
