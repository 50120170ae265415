using Lab.Core.Engines;
using Lab.Results.Formats;

namespace Lab.Results.Housekeeping;

/// <summary>A results folder nobody will finish: why it is stale and how big it is.</summary>
public sealed record StaleRun(string Directory, string Why, long Bytes);

/// <summary>
/// The results folders under results/ that no run will finish: a run killed mid-way (manifest
/// still "running (or killed)" and no process has its files open), a failed run, or a folder
/// cut before its manifest was written. Complete and interrupted runs are results, not stale.
/// </summary>
public static class StaleResults
{
    public static IReadOnlyList<StaleRun> Find(string resultsDir)
    {
        if (!System.IO.Directory.Exists(resultsDir)) return [];
        var inUse = OpenFolders.Of(resultsDir);
        var stale = new List<StaleRun>();
        foreach (var dir in System.IO.Directory.EnumerateDirectories(resultsDir).Order(StringComparer.Ordinal))
        {
            if (inUse.Any(open => open == dir || open.StartsWith(dir + "/", StringComparison.Ordinal))) continue;
            if (Why(dir) is { } why) stale.Add(new StaleRun(dir, why, SizeOf(dir)));
        }
        return stale;
    }

    private static string? Why(string dir)
    {
        string manifest = Path.Combine(dir, ResultsFiles.Manifest);
        bool looksLikeRun = File.Exists(Path.Combine(dir, ResultsFiles.Scenario)) || File.Exists(Path.Combine(dir, ResultsFiles.Samples))
                            || File.Exists(Path.Combine(dir, ResultsFiles.Samples + ".gz"));
        if (!File.Exists(manifest)) return looksLikeRun ? "no manifest.json: cut before the run began" : null;
        Manifest m;
        try { m = Manifest.FromJson(File.ReadAllText(manifest), manifest); }
        catch (Exception e) when (e is ResultsFormatException or IOException) { return "manifest.json is unreadable"; }
        if (m.Status == RunStatus.Failed) return "failed: " + (m.Reason ?? "no reason recorded");
        if (m.Status == RunStatus.Incomplete && m.Reason == Manifest.RunningReason) return "killed mid-run (manifest still says running, no process writes it)";
        if (m.Status == RunStatus.Incomplete && m.Reason == ResultsWriter.AbandonedReason) return "abandoned: " + m.Reason;
        return null;
    }

    private static long SizeOf(string dir)
    {
        long total = 0;
        try
        {
            foreach (var f in System.IO.Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
                try { total += new FileInfo(f).Length; } catch (IOException) { }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return total;
    }
}

/// <summary>The folders (under a root) in which some process holds a file open, read from /proc/*/fd.</summary>
internal static class OpenFolders
{
    public static HashSet<string> Of(string root)
    {
        var folders = new HashSet<string>(StringComparer.Ordinal);
        string prefix = Path.GetFullPath(root).TrimEnd('/') + "/";
        IEnumerable<string> procs;
        try { procs = System.IO.Directory.EnumerateDirectories("/proc").ToList(); }
        catch (IOException) { return folders; }
        foreach (var proc in procs)
        {
            if (!int.TryParse(Path.GetFileName(proc), out _)) continue;
            try
            {
                foreach (var fd in System.IO.Directory.EnumerateFileSystemEntries(Path.Combine(proc, "fd")))
                {
                    string? target = new FileInfo(fd).LinkTarget;
                    if (target is not null && target.StartsWith(prefix, StringComparison.Ordinal))
                        folders.Add(Path.GetDirectoryName(target)!);
                }
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return folders;
    }
}
