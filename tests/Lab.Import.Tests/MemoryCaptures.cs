using System.Globalization;
using System.Text.RegularExpressions;

namespace Lab.Import.Tests;

/// <summary>
/// The real captures in Samples/ (see Samples/capture-pool-memory.sh: php-fpm 8.2, opcache on,
/// 4 static children, pm.max_requests = 20, 8 requests/s leaking 512 KiB each), read here by the
/// tests' own simple reading, independent of the import's parsers: the truth the import is held to.
/// </summary>
internal static partial class MemoryCaptures
{
    public const string Smem = "smem-php-fpm.txt";          // smem -P, KiB, a `date` line before each snapshot
    public const string SmemK = "smem-k-php-fpm.txt";       // smem -k -t -P: units, totals, no timestamps
    public const string Rollup = "smaps-rollup-php-fpm.txt"; // for p in $(pgrep ...); do echo $p; cat /proc/$p/smaps_rollup; done
    public const int MasterPid = 30187;

    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "Samples", name);
    public static string[] Lines(string name) => File.ReadAllLines(PathOf(name));

    /// <summary>One process of one snapshot, as the capture says: RSS, PSS, USS, swap in KiB.</summary>
    public readonly record struct Truth(int Pid, string Command, long Rss, long Pss, long Uss, long Swap);

    [GeneratedRegex(@"^\s*(\d+) (\S+)\s+(.*?)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*$")]
    private static partial Regex SmemRow();

    /// <summary>smem's snapshots: a header starts each; php-fpm rows only (command "php-fpm: ..."); sizes by smem's units.</summary>
    public static List<List<Truth>> SmemSnapshots(string name)
    {
        var snaps = new List<List<Truth>>();
        bool afterDashes = false;
        foreach (var line in Lines(name))
        {
            if (line.TrimStart().StartsWith("PID User", StringComparison.Ordinal)) { snaps.Add([]); continue; }
            if (line.StartsWith("----", StringComparison.Ordinal)) { afterDashes = true; continue; }
            if (afterDashes) { afterDashes = false; continue; }
            var m = SmemRow().Match(line);
            if (!m.Success || snaps.Count == 0 || !m.Groups[3].Value.StartsWith("php-fpm:", StringComparison.Ordinal)) continue;
            snaps[^1].Add(new Truth(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), m.Groups[3].Value,
                Kb(m.Groups[7].Value), Kb(m.Groups[6].Value), Kb(m.Groups[5].Value), Kb(m.Groups[4].Value)));
        }
        return snaps;
    }

    /// <summary>smem's units: KiB, or -k's "524.0K", "1.3M", "2.3G".</summary>
    public static long Kb(string v)
    {
        double unit = v[^1] switch { 'K' => 1, 'M' => 1024, 'G' => 1024 * 1024, _ => 0 };
        return unit == 0 ? long.Parse(v, CultureInfo.InvariantCulture) : (long)Math.Round(double.Parse(v[..^1], CultureInfo.InvariantCulture) * unit, MidpointRounding.AwayFromZero);
    }

    /// <summary>The dumps: a PID line, then "Key: N kB" lines; a PID already in the current snapshot starts the next.</summary>
    public static List<List<Truth>> RollupSnapshots(string name)
    {
        var snaps = new List<List<Truth>>();
        int pid = 0;
        Dictionary<string, long>? f = null;
        void End()
        {
            if (f is null || f.Count == 0) return;
            if (snaps.Count == 0 || snaps[^1].Any(t => t.Pid == pid)) snaps.Add([]);
            snaps[^1].Add(new Truth(pid, "", f["Rss"], f["Pss"], f["Private_Clean"] + f["Private_Dirty"], f["Swap"]));
        }
        foreach (var line in Lines(name))
        {
            if (Regex.IsMatch(line, @"^\d+$")) { End(); pid = int.Parse(line, CultureInfo.InvariantCulture); f = new(); continue; }
            var m = Regex.Match(line, @"^(\w+):\s+(\d+) kB$");
            if (m.Success) f![m.Groups[1].Value] = long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        }
        End();
        return snaps;
    }
}
