using System.Globalization;

namespace Lab.PhpFpm.Processes;

/// <summary>
/// The few /proc facts the launcher needs: a process's children, its pids in nested PID
/// namespaces (NSpid), whether it still lives. Reading another user's /proc/PID/status is allowed.
/// </summary>
public static class ProcInfo
{
    private static readonly bool ChildrenFiles = File.Exists($"/proc/{Environment.ProcessId}/task/{Environment.ProcessId}/children");

    /// <summary>Every descendant of root (children of children too), breadth-first; root itself not included.</summary>
    public static IReadOnlyList<int> Descendants(int root)
    {
        var result = new List<int>();
        if (root <= 0) return result;
        if (!ChildrenFiles) return DescendantsByScan(root);
        var queue = new Queue<int>();
        queue.Enqueue(root);
        var seen = new HashSet<int> { root };
        while (queue.TryDequeue(out int pid))
        {
            foreach (int child in Children(pid))
                if (seen.Add(child)) { result.Add(child); queue.Enqueue(child); }
        }
        return result;
    }

    /// <summary>The children of pid, from /proc/PID/task/*/children (a child hangs under the thread that forked it).</summary>
    public static IEnumerable<int> Children(int pid)
    {
        string[] tasks;
        try { tasks = Directory.GetDirectories($"/proc/{pid}/task"); }
        catch (IOException) { yield break; }
        catch (UnauthorizedAccessException) { yield break; }
        foreach (var task in tasks)
        {
            string text;
            try { text = File.ReadAllText(Path.Combine(task, "children")); }
            catch (IOException) { continue; }
            catch (UnauthorizedAccessException) { continue; }
            foreach (var part in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                if (int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int c)) yield return c;
        }
    }

    private static List<int> DescendantsByScan(int root)
    {
        var parentOf = new Dictionary<int, int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) continue;
            if (ParentOf(pid) is { } ppid) parentOf[pid] = ppid;
        }
        var result = new List<int>();
        var frontier = new HashSet<int> { root };
        bool grew = true;
        while (grew)
        {
            grew = false;
            foreach (var (pid, ppid) in parentOf)
                if (frontier.Contains(ppid) && frontier.Add(pid)) { result.Add(pid); grew = true; }
        }
        return result;
    }

    /// <summary>The parent pid from /proc/PID/stat (null if the process is gone).</summary>
    public static int? ParentOf(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(rest[1], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

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
