using System.Globalization;

namespace Lab.Testing;

/// <summary>
/// The processes a lab run started that outlive it: the orphans. Two ways to know a run's
/// processes, one test of "still alive" (the same process — same PID, same start time where it
/// was seen — running and not a zombie):
/// <list type="bullet">
/// <item><see cref="Of"/>: from the run's samples.csv, after the fact — the pool's master and
/// children as the sampler saw them (the dotnet engine's lab-fpm, php-fpm, nginx);</item>
/// <item><see cref="ProcessWatch"/>: by watching the lab process's descendants while it runs —
/// every process it started, the launchers (setpriv, unshare) and nginx's workers included.</item>
/// </list>
/// </summary>
public static class Orphans
{
    /// <summary>What the lab's pools run as (a samples.csv PID reused by some other program since is not an orphan).</summary>
    public static readonly IReadOnlyList<string> PoolCommands = ["lab-fpm", "php-fpm", "nginx"];

    /// <summary>The PIDs of the run's samples.csv still alive as a process of a pool.</summary>
    public static IReadOnlyList<int> Of(string runDir)
    {
        string samples = Path.Combine(runDir, "samples.csv");
        if (!File.Exists(samples)) return [];
        var pids = File.ReadLines(samples).Skip(1).Select(l => l.Split(',')).Where(c => c.Length > 2)
            .Select(c => int.TryParse(c[1], NumberStyles.None, CultureInfo.InvariantCulture, out int p) ? p : 0).Where(p => p > 0).Distinct();
        return pids.Where(p => ProcFs.Stat(p) is { Zombie: false } s && PoolCommands.Any(s.Command.Contains)).ToList();
    }

    /// <summary>Waits up to 20 s for every process of the run's samples.csv to be gone; true if they all are.</summary>
    public static bool WaitUntilGone(string runDir) => Until(() => Of(runDir).Count == 0);

    /// <summary>Waits (up to 60 s) until the run's samples.csv shows its pool: 3 child samples.</summary>
    /// <exception cref="TimeoutException">The pool did not show up.</exception>
    public static void WaitForPool(string runDir)
    {
        string samples = Path.Combine(runDir, "samples.csv");
        if (!Until(() => File.Exists(samples) && File.ReadLines(samples).Count(l => l.Contains(",child,")) >= 3, tries: 600))
            throw new TimeoutException("the pool did not show up in samples.csv");
    }

    /// <summary>Asks until done says yes, every 100 ms, at most tries times (20 s); true if it did.</summary>
    internal static bool Until(Func<bool> done, int tries = 200)
    {
        for (int i = 0; i < tries; i++)
        {
            if (done()) return true;
            Thread.Sleep(100);
        }
        return false;
    }
}

/// <summary>
/// Watches every process a lab run starts: it polls the lab process's descendants (setpriv,
/// unshare, php-fpm's master and children, nginx's master and workers) while the run lasts, and
/// remembers each with its start time (so a PID reused later is not mistaken for it). After the
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
            foreach (int child in ProcFs.Children(pid))
            {
                if (!seen.Add(child)) continue;
                queue.Enqueue(child);
                // a process renames itself after the fork (php-fpm's "pool www"): keep its latest name
                if (ProcFs.Stat(child) is { } s)
                    lock (_gate)
                        if (!_seen.TryGetValue(child, out var known) || known.Start == s.StartTicks) _seen[child] = (s.StartTicks, s.Command);
            }
        }
    }

    /// <summary>Every process seen (name by PID).</summary>
    public IReadOnlyDictionary<int, string> Seen { get { lock (_gate) return _seen.ToDictionary(kv => kv.Key, kv => kv.Value.Name); } }

    /// <summary>The processes seen that still run (same PID, same start time, not a zombie), as "pid name".</summary>
    public IReadOnlyList<string> Alive()
    {
        lock (_gate)
            return _seen.Where(kv => ProcFs.Stat(kv.Key) is { Zombie: false } now && now.StartTicks == kv.Value.Start)
                .Select(kv => $"{kv.Key} {kv.Value.Name}").ToList();
    }

    /// <summary>Waits up to 20 s for every process seen to be gone; true if they all are.</summary>
    public bool WaitUntilAllGone() => Orphans.Until(() => Alive().Count == 0);

    public void Dispose()
    {
        _stop = true;
        _thread.Join(2000);
    }
}

/// <summary>A process as /proc shows it: its state, its start time (clock ticks after boot) and its command line (else its name).</summary>
internal readonly record struct ProcStat(char State, ulong StartTicks, string Command)
{
    public bool Zombie => State == 'Z';
}

/// <summary>What the orphan checks read in /proc.</summary>
internal static class ProcFs
{
    /// <summary>The process's stat and command line; null when it is gone.</summary>
    public static ProcStat? Stat(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            int open = stat.IndexOf('('), close = stat.LastIndexOf(')');
            // after "pid (comm) ": field 3 (state) is rest[0], field 22 (starttime) rest[19]
            var rest = stat[(close + 2)..].Split(' ');
            string cmd = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
            return new ProcStat(rest[0][0], ulong.Parse(rest[19], CultureInfo.InvariantCulture), cmd.Length > 0 ? cmd : stat[(open + 1)..close]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>The PIDs of the process's children (of every thread of it); none when it is gone.</summary>
    public static IEnumerable<int> Children(int pid)
    {
        string[] tasks;
        try { tasks = Directory.GetDirectories($"/proc/{pid}/task"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { yield break; }
        foreach (var t in tasks)
        {
            string text;
            try { text = File.ReadAllText(Path.Combine(t, "children")); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
            foreach (var part in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                yield return int.Parse(part, CultureInfo.InvariantCulture);
        }
    }
}
