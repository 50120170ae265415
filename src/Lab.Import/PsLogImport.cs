using System.Globalization;
using System.Text;
using Lab.Core.Engines;
using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.Import.Following;
using Lab.Import.Parsing;
using Lab.Results;

namespace Lab.Import;

/// <summary>Options of an import.</summary>
public sealed record ImportOptions
{
    /// <summary>Spacing of the blocks when the log has no timestamps (--interval).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>The wall-clock time of t = 0 when the log gives no date (default: the time of the import).</summary>
    public DateTime? FallbackEpochUtc { get; init; }
    /// <summary>--requests-per-block / --rate: how many requests the snapshots stand for, when the user knows it.</summary>
    public RequestRate Rate { get; init; } = RequestRate.Unknown;
}

/// <summary>A ps log read and followed, ready to be written as a results folder.</summary>
/// <param name="Name">The scenario name of the import, "import-&lt;file name&gt;".</param>
/// <param name="SourceLines">The file as read (copied into the folder as import-source.log).</param>
/// <param name="Info">import.json: the settings the log does not give, and the request rate if one was given.</param>
public sealed record ImportedLog(string Name, PsLog Log, FollowedRun Run, Scenario Scenario, string ScenarioToml, IReadOnlyList<string> SourceLines, ImportInfo Info);

/// <summary>A written import: its folder and summary.</summary>
public sealed record ImportResult(string Directory, ImportedLog Imported, Summary Summary);

/// <summary>
/// `./run.sh import FILE`: a pasted ps log → a results folder, the same files as a run where
/// the log has the data (requests.csv and fpm.log empty, latency.hgrm without values), plus
/// import-source.log, the log as given.
/// </summary>
public static class PsLogImport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>The file the log was copied to inside the results folder.</summary>
    public const string SourceCopy = "import-source.log";

    /// <summary>manifest.json's and summary.json's engine for an import.</summary>
    public const string EngineName = "import";

    /// <summary>Reads and follows a ps log file. Nothing is written.</summary>
    /// <exception cref="ImportException">Missing, unreadable or empty file; no ps block; no php-fpm process.</exception>
    public static ImportedLog Read(string path, ImportOptions options)
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new ImportException($"{path} is a folder; import reads a text file holding a pasted ps log. {Expected}");
        if (!File.Exists(full)) throw new ImportException($"{path}: no such file. {Expected}");
        string text;
        try { text = File.ReadAllText(full); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImportException($"{path}: cannot read it: {e.Message}");
        }
        return FromText(text, Path.GetFileName(full), options);
    }

    /// <summary>Reads and follows a ps log given as text; sourceName names it in messages and in the folder's name.</summary>
    public static ImportedLog FromText(string text, string sourceName, ImportOptions options)
    {
        if (text.Trim().Length == 0) throw new ImportException($"{sourceName} is empty. {Expected}");
        var lines = text.Split('\n');
        if (lines.Length > 0 && lines[^1].Length == 0) lines = lines[..^1];
        var log = FormatDetection.Parse(lines, sourceName, options.Interval);
        var run = PidFollower.Follow(log, options.Rate);
        string name = ScenarioName(sourceName);
        var scenario = ImportScenario.Build(log, run, name, options.Rate);
        var info = new ImportInfo(log.SourceName, ImportScenario.Unknown(options.Rate), options.Rate.RequestsPerBlock, options.Rate.RateRps);
        return new ImportedLog(name, log, run, scenario, ImportScenario.ToToml(scenario, log, run, options.Rate), lines, info);
    }

    private const string Expected =
        "Expected a log of repeated `ps aux | grep php` (or `ps -o pid,rss,vsz,cmd`) outputs as pasted from a terminal, e.g. "
        + "\"nobody   13672  0.0  0.0  62364 11188 ?        S    04:32   0:00 php-fpm: pool www\"; "
        + "or repeated `smem -P php-fpm` outputs; or repeated `for p in $(pgrep php-fpm); do echo $p; cat /proc/$p/smaps_rollup; done`.";

    /// <summary>"import-" and the file's name without its extension, cut to letters, digits, '-', '_' and '.'.</summary>
    public static string ScenarioName(string sourceName)
    {
        string stem = Path.GetFileNameWithoutExtension(sourceName);
        var sb = new StringBuilder();
        foreach (char c in stem) sb.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-');
        string s = sb.ToString().Trim('-', '.');
        if (s.Length > 60) s = s[..60];
        return "import-" + (s.Length > 0 ? s : "log");
    }

    /// <summary>
    /// Writes the results folder (it must not exist, or be empty): scenario.toml (the settings
    /// the log does not give left unknown), samples.csv, events.csv (vanished PIDs "gone, cause
    /// unknown"), ps.log (the blocks re-rendered as `ps aux`), empty requests.csv and fpm.log,
    /// summary.json, manifest.json (engine "import", status complete), import.json and
    /// import-source.log.
    /// </summary>
    public static ImportResult Write(ImportedLog imported, string dir, string commandLine, ImportOptions options)
    {
        var startUtc = DateTime.UtcNow;
        var epoch = imported.Log.EpochUtc ?? options.FallbackEpochUtc ?? startUtc;
        var s = imported.Scenario;
        // HostMemKb 0: the log's host is unknown; ps.log's %MEM prints 0.0.
        var header = new RunHeader(s.Name, EngineName, s.Seed, epoch, HostMemKb: 0, FpmLogLevel.Notice, RunLengthS: null, FlushEveryTick: false,
            LeakUnit: imported.Info.Unit);
        var manifest = Manifest.ForThisMachine(EngineName, s.Name, s.Seed, commandLine, startUtc);
        Summary summary;
        using (var writer = ResultsWriter.Create(dir, header, imported.ScenarioToml, manifest))
        {
            imported.Run.Replay(writer);
            // A vanished PID is an exit "unknown;gone": no recycle is claimed the log does not show.
            summary = writer.Complete(RunOutcome.Complete, manifest with { EndUtc = DateTime.UtcNow });
            dir = writer.Directory;
        }
        File.WriteAllText(Path.Combine(dir, SourceCopy), string.Join('\n', imported.SourceLines) + "\n", Utf8);
        File.WriteAllText(Path.Combine(dir, ImportInfo.File), imported.Info.ToJson(), Utf8);
        return new ImportResult(dir, imported, summary);
    }

    /// <summary>The short summary the import prints (before the report's path).</summary>
    public static IReadOnlyList<string> SummaryLines(ImportResult result)
    {
        var log = result.Imported.Log;
        var st = result.Imported.Run.Stats;
        var c = log.Counts;
        var lines = new List<string>();
        string timing = log.TimeSource switch
        {
            TimeSource.LabPsLog => "times from the lab's \"# t=\" lines",
            TimeSource.Timestamps => "times from the log's timestamps",
            _ => "t = block index × " + Seconds(result.Imported.Scenario.SampleInterval.TotalSeconds),
        };
        lines.Add($"imported {log.SourceName}: {log.Blocks.Count} {log.SnapshotWord}s over {Seconds(log.Blocks[^1].T)} ({timing})");
        var skipped = new List<string>();
        if (c.Prompts > 0) skipped.Add($"{c.Prompts} prompt(s)");
        if (c.Headers > 0) skipped.Add($"{c.Headers} header(s)");
        if (c.TimestampLines > 0) skipped.Add($"{c.TimestampLines} timestamp line(s)");
        if (c.TotalsLines > 0) skipped.Add($"{c.TotalsLines} smem -t totals line(s)");
        if (log.Format == LogFormat.Ps) skipped.Add($"{c.GrepLines} grep line(s) dropped");
        skipped.Add($"{c.OtherProcessLines} other process line(s) ignored" + (log.IgnoredCommands.Count > 0 ? $" ({string.Join("; ", log.IgnoredCommands.Take(3))})" : ""));
        if (c.UnknownRoleLines > 0) skipped.Add($"{c.UnknownRoleLines} php-fpm line(s) of unknown role ignored");
        skipped.Add($"{c.TextLines} text line(s) skipped");
        string kept = log.Format == LogFormat.SmapsRollup ? "smaps_rollup dumps of php-fpm processes" : "php-fpm process lines";
        lines.Add($"  read      {c.Lines} lines, {c.FpmLines} {kept}; {string.Join(", ", skipped)}");
        lines.Add($"  PIDs      {st.MasterPids.Count + st.ChildPids.Count}: master {List(st.MasterPids)}; {st.ChildPids.Count} children {List(st.ChildPids)}");
        string perBlock = st.MinChildren == st.MaxChildren ? $"{st.MaxChildren} at a time" : $"{st.MinChildren} to {st.MaxChildren} at a time";
        string restarts = st.Restarts > 0 ? $", {st.Restarts} master restart(s)" : "";
        lines.Add($"  children  {perBlock}; {st.Spawns} appeared, {st.Gone} gone (cause unknown: {log.ToolName} cannot tell pm.max_requests from an idle kill or a crash"
                  + (st.Replaced > 0 ? $"; {st.Replaced} of them as a new PID appeared" : "") + $"){restarts}");
        lines.Add($"  memory    peak child RSS {Mib(st.PeakChildRssKb)} ({st.PeakChildRssKb.ToString(Inv)} KiB, PID {st.PeakChildPid}), pool peak {Mib(st.PeakPoolRssKb)} ({st.PeakPoolRssKb.ToString(Inv)} KiB)");
        if (st.PeakPoolPssKb >= 0)
            lines.Add($"  host pays summed PSS peak {Mib(st.PeakPoolPssKb)} ({st.PeakPoolPssKb.ToString(Inv)} KiB) against summed RSS (what ps adds up to) peak {Mib(st.PeakPoolRssKb)}: "
                      + $"RSS counts the pages the processes share once per process; peak child USS {Mib(st.PeakChildUssKb)}");
        var rate = result.Imported.Info;
        string per = rate.HasRequests ? "request" : $"observation ({(log.Format == LogFormat.Ps ? "ps snapshot" : log.SnapshotWord)})";
        var sum = result.Summary;
        lines.Add(sum.LeakKbPerRequest is { } leak
            ? $"  leak      {leak.ToString("N0", Inv)} KiB per {per}"
              + (sum.LeakKbPerRequestLow95 is { } lo && sum.LeakKbPerRequestHigh95 is { } hi ? $" (95% interval {lo.ToString("N0", Inv)} … {hi.ToString("N0", Inv)})" : "")

            : sum.RssGrowthKbPerRequest is { } growth
                ? $"  leak      not told apart from the allocator's retention: the children's lives in the log are too short; their RSS grew {growth.ToString("N0", Inv)} KiB per {per}: leak and retention together"
                : "  leak      none fitted: no child was seen in enough blocks");
        lines.Add(rate.HasRequests
            ? $"  requests  estimated from {(rate.RateRps is { } r ? $"--rate {r.ToString("0.###", Inv)}" : $"--requests-per-block {rate.RequestsPerBlock!.Value.ToString("0.###", Inv)}")}, shared by the children present in both snapshots"
            : $"  requests  {log.ToolName} shows none: samples.csv counts observations ({(log.Format == LogFormat.Ps ? "ps snapshots" : log.SnapshotWord + "s")}); give --requests-per-block N or --rate R to turn snapshots into requests");
        lines.Add("  unknown   " + string.Join(", ", rate.Unknown) + ": the log does not give them (left unknown, not guessed)");
        foreach (var note in log.Notes) lines.Add("  note      " + note);
        return lines;
    }

    private static string List(IReadOnlyList<int> pids) =>
        pids.Count == 0 ? "none" : pids.Count <= 8 ? string.Join(", ", pids) : string.Join(", ", pids.Take(8)) + $", ... ({pids.Count})";

    private static string Seconds(double s) => s.ToString("0.###", Inv) + " s";

    private static string Mib(long kb) => (kb / 1024.0).ToString("0.0", Inv) + " MiB";
}
