using System.Buffers.Text;

namespace Lab.Probe;

/// <summary>What /proc/PID/smaps_rollup says of a process, in KiB.</summary>
/// <param name="PssKb">Proportional set size: each shared page divided among the processes sharing it (what the host pays for it).</param>
/// <param name="UssKb">Unique set size: Private_Clean + Private_Dirty (what ending the process would give back).</param>
/// <param name="SwapKb">Swapped out.</param>
public readonly record struct SmapsFigures(long PssKb, long UssKb, long SwapKb);

/// <summary>How a read of smaps_rollup went.</summary>
public enum SmapsRead
{
    Ok,
    /// <summary>The process is gone.</summary>
    Gone,
    /// <summary>The process exists but its smaps may not be read (another user's process, without root: ptrace's read check).</summary>
    Denied,
}

/// <summary>
/// /proc/PID/smaps_rollup (Linux 4.14+; kernel Documentation/filesystems/proc.rst): one process's
/// memory summed over its mappings. Costly for the kernel (it walks every page table), so it is
/// read every pss_interval, never on the sampler's every tick.
/// </summary>
public static class SmapsRollup
{
    private const int BufferSize = 4096; // the file is ~1 KiB

    public static SmapsRead TryRead(int pid, out SmapsFigures figures)
    {
        figures = default;
        if (pid <= 0) return SmapsRead.Gone;
        Span<byte> path = stackalloc byte[64];
        Span<byte> buf = stackalloc byte[BufferSize];
        int n = Native.ReadFile(path[..ProcFiles.PathOf(path, pid, "smaps_rollup"u8)], buf);
        if (n <= 0 || !TryParse(buf[..n], out figures))
            // the open fails for another user's process without root (EACCES) as for a gone one: tell them apart by stat
            return ProcFiles.TryReadStat(pid, out var st) && st.State != 'Z' ? SmapsRead.Denied : SmapsRead.Gone;
        return SmapsRead.Ok;
    }

    /// <summary>Parses the Pss:, Private_Clean:, Private_Dirty: and Swap: lines (kB).</summary>
    public static bool TryParse(ReadOnlySpan<byte> text, out SmapsFigures figures)
    {
        long pss = Field(text, "\nPss:"u8), clean = Field(text, "\nPrivate_Clean:"u8), dirty = Field(text, "\nPrivate_Dirty:"u8), swap = Field(text, "\nSwap:"u8);
        figures = new SmapsFigures(pss, clean + dirty, Math.Max(0, swap));
        return pss >= 0 && clean >= 0 && dirty >= 0;
    }

    private static long Field(ReadOnlySpan<byte> text, ReadOnlySpan<byte> key)
    {
        int at = text.IndexOf(key);
        if (at < 0) return -1;
        var rest = text[(at + key.Length)..].TrimStart(" \t"u8);
        return Utf8Parser.TryParse(rest, out long kb, out _) ? kb : -1;
    }
}
