using System.Globalization;

namespace Lab.PhpFpm.Tests;

/// <summary>
/// Watches every process a lab run starts: it polls the lab process's descendants (setpriv,
/// unshare, php-fpm's master and children, nginx's master and workers) while the run lasts, and
/// remembers each with its start time (so a pid reused later is not mistaken for it). After the
/// run, <see cref="Alive"/> lists those still running: the orphans.
/// </summary>
public sealed class ProcessWatch : IDisposable
{
    private readonly int _root;
    private readonly Dictionary<int, (ulong Start, string Name)> _seen = new();
    private readonly object _gate = new();
    private readonly Thread _thread;
    private volatile bool _stop;

    public ProcessWatch(int labPid)
    {
        _root = labPid;
        _thread = new Thread(() =>
        {
            while (!_stop)
            {
                Poll();
                Thread.Sleep(20);
            }
        }) { IsBackground = true, Name = "process watch" };
        _thread.Start();
    }

    /// <summary>Takes one more look now (call it right before killing the lab).</summary>
    public void Poll()
    {
        var queue = new Queue<int>();
        queue.Enqueue(_root);
        var seen = new HashSet<int> { _root };
        while (queue.TryDequeue(out int pid))
        {
            foreach (int child in Children(pid))
            {
                if (!seen.Add(child)) continue;
                queue.Enqueue(child);
                // a process renames itself after the fork (php-fpm's "pool www"): keep its latest name
                if (Stat(child) is { } s)
                    lock (_gate)
                        if (!_seen.TryGetValue(child, out var known) || known.Start == s.Start) _seen[child] = s;
            }
        }
    }

    /// <summary>Every process seen (name by pid).</summary>
    public IReadOnlyDictionary<int, string> Seen { get { lock (_gate) return _seen.ToDictionary(kv => kv.Key, kv => kv.Value.Name); } }

    /// <summary>The processes seen that still run (same pid, same start time, not a zombie), as "pid name".</summary>
    public IReadOnlyList<string> Alive()
    {
        lock (_gate)
            return _seen.Where(kv => Stat(kv.Key) is { } now && now.Start == kv.Value.Start && !IsZombie(kv.Key))
                .Select(kv => $"{kv.Key} {kv.Value.Name}").ToList();
    }

    /// <summary>Waits up to 20 s for every process seen to be gone; true if they all are.</summary>
    public bool WaitUntilAllGone()
    {
        for (int i = 0; i < 200; i++)
        {
            if (Alive().Count == 0) return true;
            Thread.Sleep(100);
        }
        return false;
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join(2000);
    }

    private static IEnumerable<int> Children(int pid)
    {
        string[] tasks;
        try { tasks = Directory.GetDirectories($"/proc/{pid}/task"); }
        catch (IOException) { yield break; }
        foreach (var t in tasks)
        {
            string text;
            try { text = File.ReadAllText(Path.Combine(t, "children")); }
            catch (IOException) { continue; }
            foreach (var part in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                yield return int.Parse(part, CultureInfo.InvariantCulture);
        }
    }

    private static (ulong Start, string Name)? Stat(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            int open = stat.IndexOf('('), close = stat.LastIndexOf(')');
            var rest = stat[(close + 2)..].Split(' ');
            string cmd = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
            return (ulong.Parse(rest[19], CultureInfo.InvariantCulture), cmd.Length > 0 ? cmd : stat[(open + 1)..close]);
        }
        catch (IOException) { return null; }
    }

    private static bool IsZombie(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2] == 'Z';
        }
        catch (IOException) { return false; }
    }
}
