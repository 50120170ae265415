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
            if (CannotWrite(full) is { } why) throw new LabUsageException($"--out {outDir}: cannot write there: {why}.");
            return full;
        }
        string stamp = utcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        string baseDir = Path.Combine(LabPaths.Results, $"{scenarioName}-{stamp}");
        string dir = baseDir;
        for (int n = 2; Directory.Exists(dir); n++) dir = $"{baseDir}-{n}";
        // results/ itself unwritable (read-only, full of inodes, not ours): the lab's problem, not the input's (exit 1)
        if (CannotWrite(dir) is { } problem) throw new Lab.Results.ResultsWriteException($"cannot write {Display(dir)}: {problem}");
        return dir;
    }

    /// <summary>
    /// Why a results folder could not be made and written there (null: it can): the folder and a
    /// file in it are made and removed again, so what is checked is what the run will do.
    /// </summary>
    public static string? CannotWrite(string dir)
    {
        string? top = null; // the first folder of the path that does not exist yet: what is removed after
        for (var d = new DirectoryInfo(dir); d is not null && !d.Exists; d = d.Parent)
        {
            if (File.Exists(d.FullName)) return $"{d.FullName} is a file";
            top = d.FullName;
        }
        try
        {
            Directory.CreateDirectory(dir);
            string probe = Path.Combine(dir, ".leaklab-probe");
            File.WriteAllText(probe, "");
            File.Delete(probe);
            return null;
        }
        catch (Exception e) when (Lab.Results.IoProblem.IsIo(e))
        {
            return Lab.Results.IoProblem.Cause(e);
        }
        finally
        {
            try { if (top is not null && Directory.Exists(top)) Directory.Delete(top, recursive: true); }
            catch (Exception e) when (Lab.Results.IoProblem.IsIo(e)) { }
        }
    }

    /// <summary>A path to print: relative to the current folder when inside it.</summary>
    public static string Display(string path)
    {
        string rel = Path.GetRelativePath(Directory.GetCurrentDirectory(), path);
        return rel.StartsWith("..", StringComparison.Ordinal) ? path : rel;
    }
}
