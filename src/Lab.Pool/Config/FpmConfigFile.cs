using System.Globalization;
using Lab.Core.Logging;
using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.Core.Sockets;

namespace Lab.Pool.Config;

/// <summary>A configuration the master cannot run with: php-fpm exits with FPM_EXIT_CONFIG (78).</summary>
public sealed class FpmConfigException(string message) : Exception(message)
{
    public const int ExitCode = 78;
}

/// <summary>The [global] section of php-fpm.conf, the part the lab's master uses.</summary>
public sealed record FpmGlobalSettings
{
    public string? PidFile { get; init; }
    /// <summary>A path, or /proc/self/fd/2 (stderr); php-fpm's default is a log file under its prefix.</summary>
    public string ErrorLog { get; init; } = "/proc/self/fd/2";
    public FpmLogLevel LogLevel { get; init; } = FpmLogLevel.Notice;
    public bool Daemonize { get; init; } = true;
    /// <summary>process_control_timeout (default 0: the next signal on the master's next loop pass); copied into the pool's settings.</summary>
    public TimeSpan ProcessControlTimeout { get; init; } = TimeSpan.Zero;
    /// <summary>emergency_restart_threshold (default 0: off); copied into the pool's settings.</summary>
    public int EmergencyRestartThreshold { get; init; }
    /// <summary>emergency_restart_interval (default 0: off); copied into the pool's settings.</summary>
    public TimeSpan EmergencyRestartInterval { get; init; } = TimeSpan.Zero;
}

/// <summary>A pool section: the scenario's PoolSettings plus the directives that are not about process management.</summary>
public sealed record FpmPoolConfig
{
    public required PoolSettings Settings { get; init; }
    /// <summary>listen: a Unix socket path, or [addr:]port.</summary>
    public required string Listen { get; init; }
    public int ListenMode { get; init; } = Convert.ToInt32("660", 8);
    public string? ListenOwner { get; init; }
    public string? ListenGroup { get; init; }
    public string? User { get; init; }
    public string? Group { get; init; }
    public string StatusPath { get; init; } = "";
    public bool CatchWorkersOutput { get; init; }
    public bool DecorateWorkersOutput { get; init; } = true;
    /// <summary>slowlog: where slow requests are written (php-fpm refuses request_slowlog_timeout without it).</summary>
    public string? SlowLog { get; init; }

    /// <summary>php-fpm's rule: a '/' makes a path; else "addr:port" or a bare port is TCP; anything else is a path.</summary>
    public bool IsUnixSocket => Listen.Contains('/') || !(Listen.Contains(':') || Listen.All(char.IsDigit));
}

/// <summary>A parsed php-fpm configuration (one pool), and the NOTICE lines about what was ignored.</summary>
public sealed record FpmConfiguration(string Path, FpmGlobalSettings Global, FpmPoolConfig Pool, IReadOnlyList<string> Notices);

/// <summary>
/// Reads the php-fpm INI text that Lab.Core.Php.FpmConfig.Render writes (and any php-fpm.conf
/// of the same shape): [global] and one pool section, "key = value" lines, ';' and '#'
/// comments, php-fpm's time ("10s", "5m") and size ("128M") suffixes, with php-fpm's checks
/// and wording (fpm_conf.c). A broken file raises <see cref="FpmConfigException"/> naming the
/// file and line.
/// </summary>
public static class FpmConfigFile
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Pool directives php-fpm knows that the lab's master accepts without using (no NOTICE).</summary>
    private static readonly HashSet<string> KnownUnused = new(StringComparer.Ordinal)
    {
        "listen.allowed_clients", "listen.acl_users", "listen.acl_groups", "listen.setfib", "pm.status_listen",
        "ping.path", "ping.response", "access.log", "access.format", "access.suppress_path",
        "request_slowlog_trace_depth", "rlimit_files", "rlimit_core", "chroot", "chdir", "clear_env",
        "security.limit_extensions", "process.priority", "process.dumpable", "prefix", "apparmor_hat",
    };

    public static FpmConfiguration Load(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FpmConfigException($"failed to open configuration file '{path}': {e.Message}");
        }
        return Parse(text, path);
    }

    public static FpmConfiguration Parse(string text, string path)
    {
        var global = new FpmGlobalSettings();
        var notices = new List<string>();
        string? poolName = null;
        var pool = new Dictionary<string, (string Value, int Line)>(StringComparer.Ordinal);
        string? section = null;
        int lineNo = 0;
        foreach (var rawLine in text.Split('\n'))
        {
            lineNo++;
            string line = rawLine.Trim().TrimEnd('\r');
            if (line.Length == 0 || line[0] is ';' or '#') continue;
            string where = $"[{path}:{lineNo}]";
            if (line[0] == '[')
            {
                int close = line.IndexOf(']');
                if (close < 0) throw new FpmConfigException($"{where} syntax error, unexpected end of line, expecting ']'");
                section = line[1..close].Trim();
                if (section.Length == 0) throw new FpmConfigException($"{where} a section name can not be empty");
                if (section != "global")
                {
                    if (poolName is not null && poolName != section)
                        throw new FpmConfigException($"{where} [pool {section}] the lab's master runs one pool; [{poolName}] is already defined");
                    poolName = section;
                }
                continue;
            }
            int eq = line.IndexOf('=');
            if (eq <= 0) throw new FpmConfigException($"{where} syntax error, unexpected '{line}', expecting key = value");
            string key = line[..eq].Trim();
            string value = Unquote(StripComment(line[(eq + 1)..]).Trim());
            if (key == "include")
            {
                notices.Add($"{where} include = {value}: ignored (the lab's master reads one file)");
                continue;
            }
            if (section is null) throw new FpmConfigException($"{where} '{key}' is outside any section ([global] or a pool)");
            if (section == "global")
                global = ApplyGlobal(global, key, value, where, notices);
            else
                pool[key] = (value, lineNo);
        }
        if (poolName is null)
            throw new FpmConfigException("No pool defined. at least one pool section must be specified in config file");
        var poolConfig = BuildPool(poolName, pool, path, notices);
        // the [global] process control, carried by the pool's settings (the lab's master runs one pool)
        poolConfig = poolConfig with
        {
            Settings = poolConfig.Settings with
            {
                ProcessControlTimeout = global.ProcessControlTimeout,
                EmergencyRestartThreshold = global.EmergencyRestartThreshold,
                EmergencyRestartInterval = global.EmergencyRestartInterval,
            },
        };
        return new FpmConfiguration(path, global, poolConfig, notices);
    }

    private static FpmGlobalSettings ApplyGlobal(FpmGlobalSettings g, string key, string value, string where, List<string> notices) => key switch
    {
        "pid" => g with { PidFile = value },
        "error_log" => g with { ErrorLog = value },
        "log_level" => g with { LogLevel = ParseLogLevel(value, where) },
        "daemonize" => g with { Daemonize = ParseBool(value, key, where) },
        "process_control_timeout" => g with { ProcessControlTimeout = ParseTime(value, key, where) },
        "emergency_restart_threshold" => g with { EmergencyRestartThreshold = ParseInt(value, key, where) },
        "emergency_restart_interval" => g with { EmergencyRestartInterval = ParseTime(value, key, where) },
        _ => Notice(g, notices, $"{where} [global] '{key}' is not used by the lab's master, ignored"),
    };

    private static T Notice<T>(T value, List<string> notices, string text)
    {
        notices.Add(text);
        return value;
    }

    private static FpmPoolConfig BuildPool(string name, Dictionary<string, (string Value, int Line)> d, string path, List<string> notices)
    {
        var s = new PoolSettings { Name = name };
        string? listen = null, listenOwner = null, listenGroup = null, user = null, group = null, statusPath = "", slowlog = null;
        int listenMode = Convert.ToInt32("660", 8);
        bool catchOutput = false, decorate = true;
        string P(string msg) => $"[pool {name}] {msg}";

        foreach (var (key, (value, line)) in d)
        {
            string where = $"[{path}:{line}]";
            switch (key)
            {
                case "listen": listen = value; break;
                case "listen.backlog": s = s with { ListenBacklog = ParseInt(value, key, where) }; break;
                case "listen.mode": listenMode = ParseOctal(value, key, where); break;
                case "listen.owner": listenOwner = value; break;
                case "listen.group": listenGroup = value; break;
                case "user": user = value; break;
                case "group": group = value; break;
                case "pm":
                    s = s with
                    {
                        Pm = value switch
                        {
                            "static" => ProcessManagerStyle.Static,
                            "dynamic" => ProcessManagerStyle.Dynamic,
                            "ondemand" => ProcessManagerStyle.Ondemand,
                            _ => throw new FpmConfigException($"{where} {P($"invalid process manager (pm): {value}; it can be 'static', 'dynamic' or 'ondemand'")}"),
                        },
                    };
                    break;
                case "pm.max_children": s = s with { MaxChildren = ParseInt(value, key, where) }; break;
                case "pm.start_servers": s = s with { StartServersSetting = ParseInt(value, key, where) }; break;
                case "pm.min_spare_servers": s = s with { MinSpareServers = ParseInt(value, key, where) }; break;
                case "pm.max_spare_servers": s = s with { MaxSpareServers = ParseInt(value, key, where) }; break;
                case "pm.max_spawn_rate": s = s with { MaxSpawnRate = ParseInt(value, key, where) }; break;
                case "pm.process_idle_timeout": s = s with { ProcessIdleTimeout = ParseTime(value, key, where) }; break;
                case "pm.max_requests": s = s with { MaxRequests = ParseInt(value, key, where) }; break;
                case "pm.status_path": statusPath = value; break;
                case "request_terminate_timeout": s = s with { RequestTerminateTimeout = ParseTime(value, key, where) }; break;
                case "request_slowlog_timeout": s = s with { RequestSlowlogTimeout = ParseTime(value, key, where) }; break;
                case "slowlog": slowlog = value; break;
                case "catch_workers_output": catchOutput = ParseBool(value, key, where); break;
                case "decorate_workers_output": decorate = ParseBool(value, key, where); break;
                case "php_admin_value[memory_limit]":
                case "php_value[memory_limit]":
                    s = s with { MemoryLimitBytes = ParseSize(value, key, where) };
                    break;
                default:
                    if (key.StartsWith("php_", StringComparison.Ordinal) || key.StartsWith("env[", StringComparison.Ordinal))
                        notices.Add($"{where} [pool {name}] '{key}' is a PHP setting the lab's worker does not use, ignored");
                    else if (!KnownUnused.Contains(key))
                        notices.Add($"{where} [pool {name}] unknown entry '{key}', ignored");
                    break;
            }
        }

        // php-fpm's checks (fpm_conf_process_all_pools), in its words
        if (string.IsNullOrEmpty(listen)) throw new FpmConfigException(P("no listen address have been defined!"));
        if (s.MaxChildren < 1) throw new FpmConfigException(P("pm.max_children must be a positive value"));
        if (s.Pm == ProcessManagerStyle.Dynamic)
        {
            if (s.MinSpareServers <= 0) throw new FpmConfigException(P($"pm.min_spare_servers({s.MinSpareServers}) must be a positive value"));
            if (s.MaxSpareServers <= 0) throw new FpmConfigException(P($"pm.max_spare_servers({s.MaxSpareServers}) must be a positive value"));
            if (s.MinSpareServers > s.MaxChildren || s.MaxSpareServers > s.MaxChildren)
                throw new FpmConfigException(P($"pm.min_spare_servers({s.MinSpareServers}) and pm.max_spare_servers({s.MaxSpareServers}) cannot be greater than pm.max_children({s.MaxChildren})"));
            if (s.MaxSpareServers < s.MinSpareServers)
                throw new FpmConfigException(P($"pm.max_spare_servers({s.MaxSpareServers}) must not be less than pm.min_spare_servers({s.MinSpareServers})"));
            if (s.StartServersSetting is not > 0)
            {
                s = s with { StartServersSetting = null };
                notices.Add(FpmLogFact.StartServersNotSet(name, s.StartServers).Message);
            }
            else if (s.StartServers < s.MinSpareServers || s.StartServers > s.MaxSpareServers)
                throw new FpmConfigException(P($"pm.start_servers({s.StartServers}) must not be less than pm.min_spare_servers({s.MinSpareServers}) and not greater than pm.max_spare_servers({s.MaxSpareServers})"));
            if (s.MaxSpawnRate < 1) throw new FpmConfigException(P($"pm.max_spawn_rate({s.MaxSpawnRate}) must be a positive value"));
        }
        else if (s.Pm == ProcessManagerStyle.Ondemand && s.ProcessIdleTimeout <= TimeSpan.Zero)
            throw new FpmConfigException(P($"pm.process_idle_timeout({(long)s.ProcessIdleTimeout.TotalSeconds}) must be greater than 0s"));
        if (s.MaxRequests < 0) throw new FpmConfigException(P($"pm.max_requests({s.MaxRequests}) must be a positive value"));
        if (s.RequestTerminateTimeout < TimeSpan.Zero) throw new FpmConfigException(P("request_terminate_timeout must be a positive value"));
        if (s.RequestSlowlogTimeout < TimeSpan.Zero) throw new FpmConfigException(P("request_slowlog_timeout must be a positive value"));
        if (s.RequestSlowlogTimeout > TimeSpan.Zero)
        {
            if (string.IsNullOrEmpty(slowlog)) throw new FpmConfigException(FpmLogFact.SlowlogRequired(name).Message);
            if (Lab.Core.ProcessManager.RequestTimeouts.Refusal(s) is { } refusal) throw new FpmConfigException(refusal.Message);
        }
        if (statusPath.Length > 0 && statusPath[0] != '/')
            throw new FpmConfigException(P($"the status path '{statusPath}' must start with a '/'"));

        return new FpmPoolConfig
        {
            Settings = s, Listen = listen, ListenMode = listenMode, ListenOwner = listenOwner, ListenGroup = listenGroup,
            User = user, Group = group, StatusPath = statusPath, CatchWorkersOutput = catchOutput, DecorateWorkersOutput = decorate,
            SlowLog = slowlog,
        };
    }

    private static string StripComment(string value)
    {
        // a ';' starts a comment unless inside quotes
        bool quoted = false;
        for (int i = 0; i < value.Length; i++)
        {
            if (value[i] == '"') quoted = !quoted;
            else if (value[i] == ';' && !quoted) return value[..i];
        }
        return value;
    }

    private static string Unquote(string v) =>
        v.Length >= 2 && ((v[0] == '"' && v[^1] == '"') || (v[0] == '\'' && v[^1] == '\'')) ? v[1..^1] : v;

    private static int ParseInt(string value, string key, string where) =>
        int.TryParse(value, NumberStyles.AllowLeadingSign, Inv, out int v) ? v
            : throw new FpmConfigException($"{where} unable to parse value for entry '{key}': '{value}' is not a number");

    private static int ParseOctal(string value, string key, string where)
    {
        try { return Convert.ToInt32(value, 8); }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            throw new FpmConfigException($"{where} unable to parse value for entry '{key}': '{value}' is not an octal mode");
        }
    }

    /// <summary>php-fpm's booleans: yes/no, on/off, true/false, 1/0.</summary>
    private static bool ParseBool(string value, string key, string where) => value.ToLowerInvariant() switch
    {
        "1" or "yes" or "on" or "true" => true,
        "0" or "no" or "off" or "false" or "" => false,
        _ => throw new FpmConfigException($"{where} unable to parse value for entry '{key}': invalid boolean value '{value}'"),
    };

    /// <summary>php-fpm's time values: a number of seconds, or with an s/m/h/d suffix.</summary>
    public static TimeSpan ParseTime(string value, string key, string where)
    {
        if (value.Length == 0) throw new FpmConfigException($"{where} unable to parse value for entry '{key}': empty time");
        char unit = value[^1];
        string digits = char.IsDigit(unit) ? value : value[..^1];
        if (!long.TryParse(digits, NumberStyles.AllowLeadingSign, Inv, out long n))
            throw new FpmConfigException($"{where} unable to parse value for entry '{key}': '{value}' is not a time (e.g. 10s, 5m)");
        return unit switch
        {
            's' or 'S' => TimeSpan.FromSeconds(n),
            'm' or 'M' => TimeSpan.FromMinutes(n),
            'h' or 'H' => TimeSpan.FromHours(n),
            'd' or 'D' => TimeSpan.FromDays(n),
            _ when char.IsDigit(unit) => TimeSpan.FromSeconds(n),
            _ => throw new FpmConfigException($"{where} unable to parse value for entry '{key}': unknown time unit '{unit}'"),
        };
    }

    /// <summary>php.ini sizes: -1, a number of bytes, or with a K/M/G suffix.</summary>
    public static long ParseSize(string value, string key, string where)
    {
        if (value.Length == 0) throw new FpmConfigException($"{where} unable to parse value for entry '{key}': empty size");
        char unit = char.ToUpperInvariant(value[^1]);
        string digits = char.IsDigit(unit) || unit == '-' ? value : value[..^1];
        if (!long.TryParse(digits, NumberStyles.AllowLeadingSign, Inv, out long n))
            throw new FpmConfigException($"{where} unable to parse value for entry '{key}': '{value}' is not a size (e.g. 128M, -1)");
        if (n < 0) return -1;
        return unit switch
        {
            'K' => n << 10,
            'M' => n << 20,
            'G' => n << 30,
            _ when char.IsDigit(unit) => n,
            _ => throw new FpmConfigException($"{where} unable to parse value for entry '{key}': unknown size unit '{unit}'"),
        };
    }

    private static FpmLogLevel ParseLogLevel(string value, string where) => value.ToLowerInvariant() switch
    {
        "debug" => FpmLogLevel.Debug,
        "notice" => FpmLogLevel.Notice,
        "warning" => FpmLogLevel.Warning,
        "error" => FpmLogLevel.Error,
        "alert" => FpmLogLevel.Alert,
        _ => throw new FpmConfigException($"{where} unable to parse value for entry 'log_level': invalid value '{value}' (alert, error, warning, notice, debug)"),
    };
}
