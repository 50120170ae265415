using System.Globalization;

namespace Lab.Linux.Processes;

/// <summary>
/// The few /proc facts the launcher needs beyond the process tree (Lab.Probe's
/// <see cref="Lab.Probe.Proc.Descendants"/>): a process's pids in nested PID namespaces (NSpid),
/// whether it still lives. Reading another user's /proc/PID/status is allowed.
/// </summary>
public static class ProcInfo
{
    /// <summary>
    /// The NSpid line of /proc/PID/status: the pid as seen from the reader's namespace first, then
    /// in each nested PID namespace, the innermost last. Empty if the process is gone.
    /// </summary>
    public static int[] NamespacePids(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (!line.StartsWith("NSpid:", StringComparison.Ordinal)) continue;
                return line[6..].Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries)
                    .Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { }
        return [];
    }

    /// <summary>Is pid alive (and not a zombie)?</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2] != 'Z';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or IndexOutOfRangeException) { return false; }
    }
}
