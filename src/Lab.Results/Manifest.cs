using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using Lab.Core.Engines;
using Lab.Results.Formats;

namespace Lab.Results;

/// <summary>The machine a run ran on (manifest.json's "machine").</summary>
public sealed record MachineInfo(string Hostname, int Cores, long MemTotalKb, string Kernel, string Os)
{
    /// <summary>This machine: hostname, cores, MemTotal from /proc/meminfo, kernel release, OS name.</summary>
    public static MachineInfo Current() => new(
        Environment.MachineName,
        Environment.ProcessorCount,
        ReadMemTotalKb(),
        ReadFirstLine("/proc/sys/kernel/osrelease") ?? RuntimeInformation.OSDescription,
        ReadOsPrettyName() ?? RuntimeInformation.OSDescription);

    /// <summary>MemTotal of /proc/meminfo in KiB (what ps's %MEM divides by); 0 if unreadable.</summary>
    public static long ReadMemTotalKb()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (!line.StartsWith("MemTotal:", StringComparison.Ordinal)) continue;
                var digits = line.AsSpan(9).Trim();
                int sp = digits.IndexOf(' ');
                if (sp > 0) digits = digits[..sp];
                return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long kb) ? kb : 0;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return 0;
    }

    private static string? ReadFirstLine(string path)
    {
        try { return File.Exists(path) ? File.ReadLines(path).FirstOrDefault()?.Trim() : null; }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    private static string? ReadOsPrettyName()
    {
        try
        {
            if (!File.Exists("/etc/os-release")) return null;
            foreach (var line in File.ReadLines("/etc/os-release"))
                if (line.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))
                    return line["PRETTY_NAME=".Length..].Trim('"');
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }
}

/// <summary>
/// manifest.json: what ran, where, when, and whether the folder holds a whole run. Written
/// "incomplete" when the run starts, rewritten when it ends: a killed run's folder says so.
/// </summary>
/// <param name="CommandLine">The command as the user typed it (for rerunning).</param>
/// <param name="Versions">Versions of what ran: "lab", "dotnet", and the engine's (e.g. "php-fpm").</param>
/// <param name="EndUtc">Null while the run goes on (or if it was killed).</param>
/// <param name="Reason">Why the run is incomplete or failed; null when complete.</param>
public sealed record Manifest(
    string Engine,
    string Scenario,
    ulong Seed,
    string CommandLine,
    IReadOnlyDictionary<string, string> Versions,
    MachineInfo Machine,
    DateTime StartUtc,
    DateTime? EndUtc,
    RunStatus Status,
    string? Reason)
{
    /// <summary>The reason the manifest gives while the run goes on; if the process is killed, it stays.</summary>
    public const string RunningReason = "running (or killed)";

    /// <summary>"leaklab-results/1".</summary>
    public string Format { get; init; } = ResultsFiles.FormatTag;

    /// <summary>
    /// Where the data came from when no engine ran it (./run.sh record: the php-fpm master's PID,
    /// its configuration file, the pool, its status page and log); null for a run. Written as
    /// "source" only when set, so a run's manifest.json is unchanged.
    /// </summary>
    public IReadOnlyDictionary<string, string>? Source { get; init; }

    /// <summary>
    /// A manifest for a run starting now on this machine: machine facts, the lab's and .NET's
    /// versions (plus any given), status incomplete.
    /// </summary>
    public static Manifest ForThisMachine(string engine, string scenario, ulong seed, string commandLine,
        DateTime startUtc, IReadOnlyDictionary<string, string>? versions = null)
    {
        var v = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["lab"] = LabVersion(),
            ["dotnet"] = Environment.Version.ToString(),
        };
        if (versions is not null) foreach (var (k, val) in versions) v[k] = val;
        return new Manifest(engine, scenario, seed, commandLine, v, MachineInfo.Current(), startUtc.ToUniversalTime(), null,
            RunStatus.Incomplete, RunningReason);
    }

    /// <summary>The lab's version: the informational version of its assemblies (without the commit suffix).</summary>
    public static string LabVersion()
    {
        var info = typeof(Manifest).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (string.IsNullOrEmpty(info)) return typeof(Manifest).Assembly.GetName().Version?.ToString() ?? "0";
        int plus = info.IndexOf('+');
        return plus > 0 ? info[..plus] : info;
    }

    public static string StatusName(RunStatus status) => status switch
    {
        RunStatus.Complete => "complete",
        RunStatus.Incomplete => "incomplete",
        _ => "failed",
    };

    /// <summary>The "status" of a manifest.json or summary.json object (<see cref="StatusName"/> read back).</summary>
    internal static RunStatus ReadStatus(JsonElement obj, string file)
    {
        string text = Json.Str(obj, "status", file);
        return text switch
        {
            "complete" => RunStatus.Complete,
            "incomplete" => RunStatus.Incomplete,
            "failed" => RunStatus.Failed,
            _ => throw new ResultsFormatException(file, null, $"status \"{text}\" should be complete, incomplete or failed"),
        };
    }

    public string ToJson() => Json.Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("format", Format);
        w.WriteString("engine", Engine);
        w.WriteString("scenario", Scenario);
        w.WriteNumber("seed", Seed);
        w.WriteString("command_line", CommandLine);
        Json.WriteStringMap(w, "versions", Versions);
        w.WriteStartObject("machine");
        w.WriteString("hostname", Machine.Hostname);
        w.WriteNumber("cores", Machine.Cores);
        w.WriteNumber("mem_total_kb", Machine.MemTotalKb);
        w.WriteString("kernel", Machine.Kernel);
        w.WriteString("os", Machine.Os);
        w.WriteEndObject();
        w.WriteString("start_utc", Json.FormatUtc(StartUtc));
        if (EndUtc is { } end) w.WriteString("end_utc", Json.FormatUtc(end)); else w.WriteNull("end_utc");
        w.WriteString("status", StatusName(Status));
        if (Reason is null) w.WriteNull("reason"); else w.WriteString("reason", Reason);
        if (Source is not null) Json.WriteStringMap(w, "source", Source);
        w.WriteEndObject();
    });

    /// <param name="file">Named in errors.</param>
    public static Manifest FromJson(string json, string file = ResultsFiles.Manifest)
    {
        using var doc = Json.Parse(json, file);
        var root = doc.RootElement;
        string format = Json.Str(root, "format", file);
        if (!format.StartsWith("leaklab-results/", StringComparison.Ordinal))
            throw new ResultsFormatException(file, null, $"format \"{format}\" is not a Leak Lab results folder (expected {ResultsFiles.FormatTag})");
        if (format != ResultsFiles.FormatTag)
            throw new ResultsFormatException(file, null, $"format \"{format}\" is not supported by this version of the lab (it reads {ResultsFiles.FormatTag})");
        var m = Json.Get(root, "machine", file);
        var machine = new MachineInfo(Json.Str(m, "hostname", file), (int)Json.Long(m, "cores", file),
            Json.Long(m, "mem_total_kb", file), Json.Str(m, "kernel", file), Json.Str(m, "os", file));
        var status = ReadStatus(root, file);
        return new Manifest(
            Json.Str(root, "engine", file),
            Json.Str(root, "scenario", file),
            Json.ULong(root, "seed", file),
            Json.Str(root, "command_line", file),
            Json.StringMap(root, "versions", file),
            machine,
            Json.Utc(root, "start_utc", file),
            Json.UtcOrNull(root, "end_utc", file),
            status,
            Json.StrOrNull(root, "reason", file))
        {
            Format = format,
            Source = root.TryGetProperty("source", out _) ? Json.StringMap(root, "source", file) : null,
        };
    }
}
