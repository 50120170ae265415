using System.Globalization;
using Lab.Linux.Proc;
using Lab.Probe;

namespace Lab.Record.Masters;

/// <summary>A php-fpm master running on this host, as its process title shows it.</summary>
/// <param name="Title">"php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)".</param>
/// <param name="ConfigPath">The configuration file in the title's parentheses.</param>
/// <param name="Pools">The pools its children's titles name ("php-fpm: pool www"), in order of appearance.</param>
/// <param name="Children">Its children's PIDs.</param>
public sealed record FpmMaster(int Pid, string Title, string ConfigPath, IReadOnlyList<string> Pools, IReadOnlyList<int> Children);

/// <summary>
/// Finds php-fpm masters by their process title: php-fpm sets its master's to
/// "php-fpm: master process (CONFIG)" and its children's to "php-fpm: pool NAME"
/// (php-src sapi/fpm/fpm/fpm_env.c). Reads /proc only.
/// </summary>
public static class FpmMasters
{
    public const string TitlePrefix = "php-fpm: master process (";
    public const string ChildPrefix = "php-fpm: pool ";

    /// <summary>Every php-fpm master on this host (those whose /proc is readable), by PID.</summary>
    public static IReadOnlyList<FpmMaster> Find()
    {
        var masters = new List<FpmMaster>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) continue;
            if (Describe(pid) is { } m) masters.Add(m);
        }
        return masters.OrderBy(m => m.Pid).ToList();
    }

    /// <summary>The master with this PID; null when the process is not a php-fpm master (or is gone).</summary>
    public static FpmMaster? Describe(int pid)
    {
        string title = Proc.CommandLine(pid).Trim();
        if (ConfigOf(title) is not { } config) return null;
        var children = Proc.Descendants(pid);
        var pools = new List<string>();
        var own = new List<int>();
        foreach (int child in children)
        {
            string t = Proc.CommandLine(child).Trim();
            if (!t.StartsWith(ChildPrefix, StringComparison.Ordinal)) continue;
            own.Add(child);
            string pool = t[ChildPrefix.Length..].Trim();
            if (pool.Length > 0 && !pools.Contains(pool)) pools.Add(pool);
        }
        return new FpmMaster(pid, title, config, pools, own);
    }

    /// <summary>The configuration path of a master's title, or null when the title is not a php-fpm master's.</summary>
    public static string? ConfigOf(string title)
    {
        if (!title.StartsWith(TitlePrefix, StringComparison.Ordinal)) return null;
        int close = title.LastIndexOf(')');
        return close > TitlePrefix.Length ? title[TitlePrefix.Length..close] : null;
    }
}
