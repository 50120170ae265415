using System.Globalization;
using Lab.Scenarios.Document;

namespace Lab.Scenarios.PoolFiles;

/// <summary>
/// pool.from: a php-fpm pool file (www.conf, or a php-fpm.conf with its includes) as [pool]
/// keys. Each directive the lab models becomes its key, its value written as php-fpm means it
/// (a bare number of seconds gets its "s"; listen.backlog = -1 is this host's somaxconn, as
/// php-fpm 8.2 on Linux takes it), located at the pool file's line, so a bad value is reported
/// there. Its [global] process_control_timeout and emergency_restart_* become [pool] keys too.
/// Keys the scenario (or the command line) sets itself are left as they are: explicit keys
/// win. The directives the lab does not model are listed in one notice.
/// </summary>
public static class PoolFile
{
    /// <summary>php-fpm's directive → the [pool] key it becomes.</summary>
    public static readonly IReadOnlyDictionary<string, string> Modelled = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["pm"] = "pm",
        ["pm.max_children"] = "max_children",
        ["pm.start_servers"] = "start_servers",
        ["pm.min_spare_servers"] = "min_spare_servers",
        ["pm.max_spare_servers"] = "max_spare_servers",
        ["pm.max_spawn_rate"] = "max_spawn_rate",
        ["pm.process_idle_timeout"] = "process_idle_timeout",
        ["pm.max_requests"] = "max_requests",
        ["request_terminate_timeout"] = "request_terminate_timeout",
        ["request_slowlog_timeout"] = "request_slowlog_timeout",
        ["listen.backlog"] = "listen_backlog",
        ["php_admin_value[memory_limit]"] = "memory_limit",
        ["php_value[memory_limit]"] = "memory_limit",
    };

    /// <summary>php-fpm's [global] directives the lab models as [pool] keys (the lab runs one pool a master).</summary>
    public static readonly IReadOnlyDictionary<string, string> ModelledGlobal = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["process_control_timeout"] = "process_control_timeout",
        ["emergency_restart_threshold"] = "emergency_restart_threshold",
        ["emergency_restart_interval"] = "emergency_restart_interval",
    };

    private static readonly HashSet<string> TimeKeys = new(StringComparer.Ordinal)
        { "process_idle_timeout", "request_terminate_timeout", "request_slowlog_timeout", "process_control_timeout", "emergency_restart_interval" };

    /// <summary>A [pool] key set from the pool file: where it was read.</summary>
    internal sealed record Applied(string Key, FpmIniEntry Entry);

    /// <summary>
    /// Reads the file that <paramref name="from"/> names and writes its pool's directives into
    /// <paramref name="pool"/> where the key is not set there already.
    /// </summary>
    /// <param name="notice">Receives the one notice of directives left out.</param>
    /// <returns>The keys set from the file.</returns>
    internal static IReadOnlyList<Applied> Apply(DocTable pool, DocValue from, string path, Action<string>? notice)
    {
        FpmIniFile file;
        try { file = FpmIniFile.Read(path); }
        catch (FpmIniException e)
        {
            if (e.File is null) throw Errors.Value(from, "pool.from", e.Message);
            throw new ScenarioException(Errors.Sentence(e.Message), e.File, e.Line);
        }
        var section = ChoosePool(file, pool, from);
        var applied = new List<Applied>();
        var leftOut = new List<FpmIniEntry>();
        void Take(IEnumerable<FpmIniEntry> entries, IReadOnlyDictionary<string, string> modelled)
        {
            foreach (var e in entries.GroupBy(e => e.Key).Select(g => g.Last())) // the last of a key wins, as in php-fpm
            {
                if (!modelled.TryGetValue(e.Key, out var key)) { leftOut.Add(e); continue; }
                if (pool.Contains(key)) continue; // the scenario's own key wins
                pool.Set(key, new DocScalar { Origin = new Origin(e.File, e.Line), Value = Convert(key, e.Value), Raw = true, Directive = e.Key });
                applied.Add(new Applied(key, e));
            }
        }
        Take(file.EntriesOf(section.Name), Modelled);
        if (!pool.Contains("name"))
            pool.Set("name", new DocScalar { Origin = new Origin(section.File, section.Line), Value = section.Name, Raw = true, Directive = $"[{section.Name}]" });
        Take(file.EntriesOf("global"), ModelledGlobal);
        if (notice is not null)
        {
            var others = file.Pools.Where(p => p.Name != section.Name).Select(p => $"[{p.Name}]").ToList();
            if (leftOut.Count > 0)
                notice($"pool.from {path}: the lab does not model {leftOut.Count} of its directives, left out: " +
                       string.Join(", ", leftOut.Select(e => $"{e.Key} ({e.Where})")) +
                       (others.Count > 0 ? $"; its other pools {string.Join(", ", others)} too" : ""));
            else if (others.Count > 0)
                notice($"pool.from {path}: pool [{section.Name}] taken; its other pools {string.Join(", ", others)} are left out");
        }
        return applied;
    }

    /// <summary>The pool named by the scenario's pool.name, else the file's only pool.</summary>
    private static FpmIniSection ChoosePool(FpmIniFile file, DocTable pool, DocValue from)
    {
        var pools = file.Pools.ToList();
        string list = string.Join(", ", pools.Select(p => $"[{p.Name}] ({p.File}:{p.Line})"));
        if (pool["name"] is DocScalar { Value: string wanted })
        {
            return pools.FirstOrDefault(p => p.Name == wanted.Trim())
                   ?? throw Errors.Value(from, "pool.from", pools.Count == 0
                       ? $"{file.Path} defines no pool (no [name] section besides [global])"
                       : $"{file.Path} has no pool [{wanted.Trim()}] (pool.name); its pools: {list}");
        }
        return pools.Count switch
        {
            0 => throw Errors.Value(from, "pool.from", $"{file.Path} defines no pool (no [name] section besides [global]): give a pool file such as /etc/php/8.2/fpm/pool.d/www.conf"),
            1 => pools[0],
            _ => throw Errors.Value(from, "pool.from", $"{file.Path} defines {pools.Count} pools, {list}: choose one with pool.name (e.g. pool.name={pools[0].Name})"),
        };
    }

    /// <summary>A php-fpm value in the lab's syntax.</summary>
    private static string Convert(string key, string value)
    {
        string v = value.Trim();
        if (TimeKeys.Contains(key) && v.Length > 0)
        {
            // php-fpm's times: seconds, or with an s/m/h/d suffix (fpm_conf_set_time)
            char unit = char.ToLowerInvariant(v[^1]);
            string digits = char.IsDigit(unit) ? v : v[..^1];
            if ((char.IsDigit(unit) || unit is 's' or 'm' or 'h' or 'd')
                && long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long n))
            {
                if (n == 0) return "0";
                return unit switch
                {
                    'd' => (n * 24).ToString(CultureInfo.InvariantCulture) + "h",
                    's' or 'm' or 'h' => n.ToString(CultureInfo.InvariantCulture) + unit,
                    _ => n.ToString(CultureInfo.InvariantCulture) + "s",
                };
            }
        }
        if (key == "listen_backlog" && v == "-1") return Somaxconn().ToString(CultureInfo.InvariantCulture);
        return v;
    }

    /// <summary>The kernel's somaxconn: php-fpm 8.2's listen.backlog = -1 on Linux.</summary>
    public static int Somaxconn()
    {
        try
        {
            return int.TryParse(File.ReadAllText("/proc/sys/net/core/somaxconn").Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : 4096;
        }
        catch (IOException) { return 4096; }
        catch (UnauthorizedAccessException) { return 4096; }
    }
}
