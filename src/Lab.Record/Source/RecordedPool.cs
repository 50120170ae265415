using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Lab.Core.Scenarios;
using Lab.Record.Masters;
using Lab.Scenarios;
using Lab.Scenarios.PoolFiles;

namespace Lab.Record.Source;

/// <summary>
/// The pool a recording attaches to, as its master's configuration says (the file in the
/// master's title, its includes followed): where it listens, its status page, its error log, and
/// its [pool] settings read by the same reader as pool.from. Nothing is guessed: what the
/// configuration does not say is php-fpm's default, and the scenario.toml header says which is which.
/// </summary>
public sealed class RecordedPool
{
    public required FpmMaster Master { get; init; }
    public required string PoolName { get; init; }
    public required IReadOnlyList<string> ConfigFiles { get; init; }
    /// <summary>listen as written ("/run/php/php8.2-fpm.sock", "127.0.0.1:9000").</summary>
    public required string Listen { get; init; }
    /// <summary>pm.status_path (or --status), null when the pool has none.</summary>
    public string? StatusPath { get; init; }
    /// <summary>Where the status page answers: pm.status_listen when set, else listen; null without a status path.</summary>
    public EndPoint? StatusEndPoint { get; init; }
    /// <summary>Where StatusPath came from ("www.conf:120", "--status").</summary>
    public string? StatusFrom { get; init; }
    /// <summary>The master's error_log file when it is a file the lab can read, else null (see ErrorLogNote).</summary>
    public string? ErrorLog { get; init; }
    /// <summary>What the error log is and whether it is followed, in words.</summary>
    public required string ErrorLogNote { get; init; }
    public required Scenario Scenario { get; init; }
    /// <summary>The comment block scenario.toml starts with: where each setting came from.</summary>
    public required string ScenarioHeader { get; init; }
    public required IReadOnlyList<string> Notices { get; init; }

    public int MaxRequests => Scenario.Pool.MaxRequests;

    /// <summary>Reads the master's configuration for one of its pools.</summary>
    /// <param name="poolName">--pool; null: the configuration's only pool.</param>
    /// <param name="statusOverride">--status PATH: the status page's path when the configuration's is missing or unreadable.</param>
    /// <exception cref="RecordException">The configuration cannot be read, names no such pool, or several and none chosen.</exception>
    public static RecordedPool Read(FpmMaster master, string? poolName, string? statusOverride, TimeSpan duration, TimeSpan interval)
    {
        FpmIniFile config;
        try { config = FpmIniFile.Read(master.ConfigPath); }
        catch (FpmIniException e)
        {
            throw new RecordException($"php-fpm master {master.Pid}: its configuration {master.ConfigPath} cannot be read: {e.Message}" +
                                      (Environment.UserName != "root" ? " (run as root, or as the pool's user)" : ""));
        }
        var pools = config.Pools.Select(p => p.Name).ToList();
        string pool;
        if (poolName is not null)
        {
            pool = pools.Contains(poolName) ? poolName
                : throw new RecordException($"php-fpm master {master.Pid} ({master.ConfigPath}) has no pool \"{poolName}\"; its pools: {string.Join(", ", pools)}");
        }
        else if (pools.Count == 1) pool = pools[0];
        else if (pools.Count == 0) throw new RecordException($"php-fpm master {master.Pid}: {master.ConfigPath} defines no pool");
        else throw new RecordException($"php-fpm master {master.Pid} ({master.ConfigPath}) runs {pools.Count} pools, {string.Join(", ", pools)}: choose one with --pool NAME");

        string listen = config.Find(pool, "listen")?.Value
            ?? throw new RecordException($"php-fpm master {master.Pid}: pool [{pool}] of {master.ConfigPath} has no listen address");

        string? statusPath = statusOverride;
        string? statusFrom = statusOverride is null ? null : "--status";
        if (statusPath is null && config.Find(pool, "pm.status_path") is { Value.Length: > 0 } sp)
        {
            statusPath = sp.Value;
            statusFrom = sp.Where;
        }
        if (statusPath is not null && !statusPath.StartsWith('/'))
            throw new RecordException($"the status path \"{statusPath}\" ({statusFrom}) must start with '/'");
        string statusListen = config.Find(pool, "pm.status_listen")?.Value is { Length: > 0 } sl ? sl : listen;

        var (errorLog, errorNote) = ErrorLogOf(config);

        var notices = new List<string>();
        string toml = ScenarioText(master, pool, duration, interval, config);
        // php-fpm 8.2's listen.backlog default on Linux is -1: the kernel's somaxconn
        if (config.Find(pool, "listen.backlog") is null)
            toml += $"listen_backlog = {PoolFile.Somaxconn().ToString(CultureInfo.InvariantCulture)}\n";
        Scenario scenario;
        try { scenario = ScenarioLoader.Parse(toml, "(record)", $"record-{pool}", [], checkFiles: false, notices.Add); }
        catch (ScenarioException e)
        {
            throw new RecordException($"php-fpm master {master.Pid}, pool [{pool}]: the lab cannot take its settings: {e.Message}");
        }

        return new RecordedPool
        {
            Master = master,
            PoolName = pool,
            ConfigFiles = config.Files,
            Listen = listen,
            StatusPath = statusPath,
            StatusEndPoint = statusPath is null ? null : EndPointOf(statusListen),
            StatusFrom = statusFrom,
            ErrorLog = errorLog,
            ErrorLogNote = errorNote,
            Scenario = scenario,
            ScenarioHeader = Header(master, pool, config, scenario),
            Notices = notices,
        };
    }

    /// <summary>
    /// The scenario as it is written at the end: the recording's length, and what was measured,
    /// said so in the header: the requests the status page counted as one inject phase at their
    /// mean rate, the leak per request fitted from them. So the scenario reruns the recorded
    /// traffic on the sim or the dotnet engine, and calibrate has a load to compare.
    /// </summary>
    /// <param name="served">Requests the children finished during the recording (the status page's counters), null without a status page.</param>
    /// <param name="leakKb">The leak per request fitted from the samples, null when none was.</param>
    public (Scenario Scenario, string Header) AsRecorded(double durationS, long? served, double? leakKb)
    {
        var lasted = TimeSpan.FromMilliseconds(Math.Max(1, Math.Round(durationS * 1000)));
        var scenario = Scenario with { Duration = lasted };
        var w = new StringBuilder(ScenarioHeader.TrimEnd('\n')).Append('\n');
        if (served is long n && n > 0 && durationS > 0)
        {
            double rate = Math.Round(n / durationS, 3);
            scenario = scenario with
            {
                Load = scenario.Load with { Phases = [new LoadPhase { Kind = LoadPhaseKind.Inject, Rate = rate, During = lasted }] },
            };
            w.Append("# Measured during the recording (not found in a file): [[load.phases]] inject ")
                .Append(ScenarioUnits.FormatNumber(rate)).Append(" req/s, the ").Append(n.ToString(CultureInfo.InvariantCulture))
                .Append(" requests the status page counted over ").Append(ScenarioUnits.FormatDuration(lasted)).Append('\n');
            if (leakKb is double leak && double.IsFinite(leak) && leak > 0)
            {
                scenario = scenario with { Request = scenario.Request with { LeakKb = Distribution.Const(Math.Round(leak)) } };
                w.Append("#   and request.leak = ").Append(ScenarioUnits.FormatSizeKb(Math.Round(leak)))
                    .Append(", the RSS growth per request fitted from the samples (the requests column).\n");
            }
        }
        else w.Append("# No request was counted (no status page): [load] has no phase, request.leak is the lab's default.\n");
        return (scenario, w.Append('\n').ToString());
    }

    /// <summary>The scenario a recording is described as: the pool as its configuration says (pool.from), engine php-fpm, no load.</summary>
    private static string ScenarioText(FpmMaster master, string pool, TimeSpan duration, TimeSpan interval, FpmIniFile config)
    {
        static string Q(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
        var w = new StringBuilder();
        w.Append("title = ").Append(Q($"Recorded: php-fpm pool {pool} (master {master.Pid})")).Append('\n');
        w.Append("description = ").Append(Q($"A php-fpm pool that ran without the lab, recorded by ./run.sh record: master PID {master.Pid}, {master.ConfigPath}, pool {pool}. " +
                                            "Nothing was started or changed; the samples are its processes as /proc showed them, the requests column its status page's counters.")).Append('\n');
        w.Append("engine = \"php-fpm\"\n");
        w.Append("duration = ").Append(Q(ScenarioUnits.FormatDuration(duration))).Append('\n');
        w.Append("sample_interval = ").Append(Q(ScenarioUnits.FormatDuration(interval))).Append('\n');
        if (config.Find("global", "log_level")?.Value.Trim().ToLowerInvariant() is { } level && ScenarioSchema.LogLevels.Contains(level))
            w.Append("log_level = ").Append(Q(level)).Append('\n');
        w.Append("[pool]\nfrom = ").Append(Q(Path.GetFullPath(master.ConfigPath))).Append('\n');
        w.Append("name = ").Append(Q(pool)).Append('\n');
        return w.ToString();
    }

    /// <summary>scenario.toml's header: where each [pool] setting was found, and what is only a default.</summary>
    private static string Header(FpmMaster master, string pool, FpmIniFile config, Scenario scenario)
    {
        var w = new StringBuilder();
        w.Append("# Recorded by ./run.sh record from php-fpm master PID ").Append(master.Pid.ToString(CultureInfo.InvariantCulture))
            .Append(", pool [").Append(pool).Append("]: nothing was started or changed.\n");
        w.Append("# This is no run of the lab (manifest.json and summary.json say engine \"record\"); below, the pool as a scenario.\n");
        w.Append("# Configuration read: ").Append(string.Join(", ", config.Files)).Append('\n');
        var found = config.EntriesOf(pool).Where(e => PoolFile.Modelled.ContainsKey(e.Key)).GroupBy(e => e.Key).Select(g => g.Last()).ToList();
        w.Append("# [pool] as found there:\n");
        foreach (var e in found) w.Append("#   ").Append(e.Key).Append(" = ").Append(e.Value).Append("   (").Append(e.Where).Append(")\n");
        var set = found.Select(e => PoolFile.Modelled[e.Key]).ToHashSet();
        var defaults = ScenarioSchema.KeysOf("pool").Select(k => k.Leaf).Where(k => k is not "from" and not "name" and not "memory_limit" && !set.Contains(k)).ToList();
        if (defaults.Count > 0)
            w.Append("# Not set there, so php-fpm's defaults (written below as such): ").Append(string.Join(", ", defaults)).Append('\n');
        if (!set.Contains("listen_backlog"))
            w.Append("#   (listen_backlog: php-fpm 8.2's -1 on Linux, this host's somaxconn)\n");
        if (!set.Contains("memory_limit"))
            w.Append("# memory_limit is not in the pool's configuration: php.ini decides it, which the lab does not read; the ")
                .Append(ScenarioUnits.FormatMemoryLimit(scenario.Pool.MemoryLimitBytes)).Append(" below is php's default, not a value found.\n");
        w.Append("# [request], [load], [php] and [memory] are the lab's defaults: a recording does not see what the requests do.\n\n");
        return w.ToString();
    }

    /// <summary>The global error_log: a file to follow, or why there is none.</summary>
    private static (string? File, string Note) ErrorLogOf(FpmIniFile config)
    {
        var entry = config.Find("global", "error_log");
        string value = entry?.Value.Trim() ?? "";
        string where = entry is null ? "not set: php-fpm's default" : entry.Where;
        if (value.Length == 0) value = "log/php-fpm.log";
        if (value.StartsWith("syslog", StringComparison.Ordinal))
            return (null, $"error_log = {value} ({where}): php-fpm logs to syslog, not followed");
        if (value.StartsWith("/proc/self/", StringComparison.Ordinal) || value.StartsWith("/dev/std", StringComparison.Ordinal))
            return (null, $"error_log = {value} ({where}): the master's own output, not a file the lab can follow");
        // a relative error_log is relative to php-fpm's prefix, /var by default (php-fpm.conf's own comment)
        string path = Path.IsPathRooted(value) ? value : Path.Combine("/var", value);
        try
        {
            using (File.Open(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete)) { }
            return (path, $"error_log {path} ({where}), followed into fpm.log and events.csv");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, $"error_log {path} ({where}) cannot be read ({e.Message}): no fpm.log, exits seen only as PIDs vanishing");
        }
    }

    /// <summary>php-fpm's listen syntax: a path (anything with a '/'), [addr:]port, or [ipv6]:port.</summary>
    public static EndPoint EndPointOf(string listen)
    {
        string v = listen.Trim();
        if (v.Contains('/')) return new UnixDomainSocketEndPoint(v);
        int colon = v.LastIndexOf(':');
        string host = colon < 0 ? "" : v[..colon].Trim('[', ']');
        string portText = colon < 0 ? v : v[(colon + 1)..];
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
            return new UnixDomainSocketEndPoint(v); // php-fpm takes anything else as a path, relative to its prefix
        IPAddress address = host switch
        {
            "" or "0.0.0.0" or "*" => IPAddress.Loopback,
            "::" => IPAddress.IPv6Loopback,
            _ when IPAddress.TryParse(host, out var ip) => ip,
            _ => Dns.GetHostAddresses(host).FirstOrDefault() ?? IPAddress.Loopback,
        };
        return new IPEndPoint(address, port);
    }
}
