using Lab.Linux.Proc;
using System.Runtime.InteropServices;
using Lab.Core.Scenarios;
using Lab.Probe;

namespace Lab.Engines.Real;

/// <summary>
/// Picks the child a kill-child action hits, from the last sample tick. A child is idle when it
/// is blocked in accept() on the pool's socket (its current system call, /proc/PID/syscall),
/// which holds for php-fpm's children and the lab's alike.
/// </summary>
public static partial class ChildSelection
{
    public static int Pick(ChildSelector target, IReadOnlyList<ProcSample> tick, int masterPid)
    {
        var children = tick.Where(p => p.Pid != masterPid && p.State != 'Z').ToList();
        if (children.Count == 0) return 0;
        return target switch
        {
            ChildSelector.Oldest => children.MinBy(c => c.StartS).Pid,
            ChildSelector.Newest => children.MaxBy(c => c.StartS).Pid,
            ChildSelector.Largest => children.MaxBy(c => c.RssKb).Pid,
            ChildSelector.Idle => children.Where(c => IsInAccept(c.Pid)).OrderBy(c => c.StartS).Select(c => c.Pid).FirstOrDefault(),
            _ => children.Where(c => !IsInAccept(c.Pid)).OrderBy(c => c.StartS).Select(c => c.Pid).FirstOrDefault(),
        };
    }

    /// <summary>Blocked in accept(): idle (Lab.Linux's Proc).</summary>
    public static bool IsInAccept(int pid) => Proc.IsInAccept(pid);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);

    public static void Signal(int pid, int signal) => _ = kill(pid, signal);
}
