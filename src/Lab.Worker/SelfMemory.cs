using System.Globalization;

namespace Lab.Worker;

/// <summary>The child's own memory as the kernel counts it, for the [recycle] max_rss / max_uss rules (uWSGI's reload-on-rss reads the same).</summary>
internal static class SelfMemory
{
    private static readonly long PageKb = Environment.SystemPageSize / 1024;

    /// <summary>RSS in KiB: /proc/self/statm's resident pages; -1 when unreadable.</summary>
    public static long RssKb()
    {
        try
        {
            var parts = File.ReadAllText("/proc/self/statm").Split(' ', 3);
            return parts.Length >= 2 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long pages) ? pages * PageKb : -1;
        }
        catch (IOException) { return -1; }
    }

    /// <summary>USS in KiB: Private_Clean + Private_Dirty of /proc/self/smaps_rollup; -1 when unreadable.</summary>
    public static long UssKb()
    {
        try
        {
            long kb = 0;
            bool any = false;
            foreach (var line in File.ReadLines("/proc/self/smaps_rollup"))
            {
                if (!line.StartsWith("Private_Clean:", StringComparison.Ordinal) && !line.StartsWith("Private_Dirty:", StringComparison.Ordinal)) continue;
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length >= 2 && long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out long v)) { kb += v; any = true; }
            }
            return any ? kb : -1;
        }
        catch (IOException) { return -1; }
    }
}
