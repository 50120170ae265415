namespace Lab.Core.Paths;

/// <summary>
/// Where the lab's files are: the repository root (the folder holding Lab.sln, or $LAB_ROOT),
/// its scenarios/, results/, lab/ folders and the published worker.
/// </summary>
public static class LabPaths
{
    private static string? _root;

    public static string Root => _root ??= FindRoot();

    public static string Scenarios => Path.Combine(Root, "scenarios");
    public static string Results => Path.Combine(Root, "results");
    public static string LabDir => Path.Combine(Root, "lab");
    public static string Artifacts => Path.Combine(Root, "artifacts");

    /// <summary>The NativeAOT binaries published by run.sh (the dotnet engine's master and child).</summary>
    public static string Bin => Path.Combine(Artifacts, "bin");

    /// <summary>The dotnet engine's child executable ($LAB_WORKER overrides).</summary>
    public static string Worker =>
        Environment.GetEnvironmentVariable("LAB_WORKER") is { Length: > 0 } w ? w : Path.Combine(Bin, "Lab.Worker");

    /// <summary>The dotnet engine's master executable ($LAB_POOL overrides).</summary>
    public static string PoolMaster =>
        Environment.GetEnvironmentVariable("LAB_POOL") is { Length: > 0 } w ? w : Path.Combine(Bin, "Lab.Pool");

    private static string FindRoot()
    {
        if (Environment.GetEnvironmentVariable("LAB_ROOT") is { Length: > 0 } r && File.Exists(Path.Combine(r, "Lab.sln")))
            return Path.GetFullPath(r);
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            var d = new DirectoryInfo(start);
            while (d is not null)
            {
                if (File.Exists(Path.Combine(d.FullName, "Lab.sln"))) return d.FullName;
                d = d.Parent;
            }
        }
        return Directory.GetCurrentDirectory();
    }
}
