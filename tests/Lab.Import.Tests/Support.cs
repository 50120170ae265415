using Lab.Core.Records;
using Lab.Import;

namespace Lab.Import.Tests;

/// <summary>A fresh temporary folder, deleted afterwards.</summary>
internal sealed class TempDir : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("lab-import-tests-").FullName;
    /// <summary>A path inside that does not exist yet.</summary>
    public string Path(string name) => System.IO.Path.Combine(Root, name);
    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}

internal static class Imports
{
    public static readonly DateTime Epoch = new(2026, 1, 6, 4, 32, 0, DateTimeKind.Utc);
    public static readonly ImportOptions Options = new() { FallbackEpochUtc = Epoch };

    public static string SamplePath => System.IO.Path.Combine(AppContext.BaseDirectory, "Samples", "ps-aux-php-fpm-max-requests-5.txt");

    public static ImportedLog FromText(string text, TimeSpan? interval = null) =>
        PsLogImport.FromText(text, "test.log", interval is { } i ? Options with { Interval = i } : Options);

    /// <summary>Per block: PID → (role, RSS), as imported.</summary>
    public static List<Dictionary<int, (ProcessRole Role, long Rss)>> Blocks(PsLog log) =>
        log.Blocks.Select(b => b.Processes.ToDictionary(p => p.Pid, p => (p.Role, p.Line.RssKb))).ToList();
}
