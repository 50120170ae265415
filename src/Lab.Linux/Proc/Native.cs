using System.Runtime.InteropServices;

namespace Lab.Linux.Proc;

/// <summary>
/// The few libc calls the probe needs. /proc files are read with open/read/close into caller
/// buffers (one syscall each, no FileStream, no flock, no allocation); /proc and /proc/PID/task
/// are listed with getdents64 (no string per entry).
/// </summary>
internal static unsafe partial class Native
{
    private const int O_RDONLY = 0;
    private const int O_CLOEXEC = 0x80000; // same value on x86_64 and arm64
    private const int SC_CLK_TCK = 2;
    private const int CLOCK_BOOTTIME = 7;
    private const int CLOCK_THREAD_CPUTIME_ID = 3;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true)]
    private static partial int Open(byte* path, int flags);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)]
    private static partial nint PRead(int fd, byte* buffer, nint count, long offset);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "getdents64", SetLastError = true)]
    private static partial nint GetDents64(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long SysConf(int name);

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, TimeSpec* ts);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec { public long Seconds; public long Nanoseconds; }

    /// <summary>Clock ticks per second of /proc's utime, stime and starttime (USER_HZ, normally 100).</summary>
    public static readonly long ClockTicksPerSecond = SysConf(SC_CLK_TCK) is > 0 and var hz ? hz : 100;

    /// <summary>Seconds since boot, suspend included: the clock /proc's starttime counts on.</summary>
    public static double BootTimeNow()
    {
        TimeSpec ts;
        if (ClockGetTime(CLOCK_BOOTTIME, &ts) != 0) return double.NaN;
        return ts.Seconds + ts.Nanoseconds * 1e-9;
    }

    /// <summary>CPU time of the calling thread, user and kernel (seconds): what its /proc reads cost.</summary>
    public static double ThreadCpuSeconds()
    {
        TimeSpec ts;
        if (ClockGetTime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return 0;
        return ts.Seconds + ts.Nanoseconds * 1e-9;
    }

    /// <summary>
    /// Reads a whole (small) file into buffer; returns the byte count, or -1 if it cannot be
    /// opened (e.g. the process is gone). path must be NUL-terminated ASCII.
    /// </summary>
    public static int ReadFile(ReadOnlySpan<byte> path, Span<byte> buffer)
    {
        int fd;
        fixed (byte* p = path) fd = Open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0) return -1;
        try
        {
            int total = 0;
            fixed (byte* b = buffer)
            {
                while (total < buffer.Length)
                {
                    nint n = Read(fd, b + total, buffer.Length - total);
                    if (n < 0) return total > 0 ? total : -1; // ESRCH: the process exited while we read
                    total += (int)n;
                    // A /proc file hands over all it has in one read when the buffer is big enough,
                    // so a short read is the end: asking again for the EOF would make the kernel
                    // generate the whole file a second time (seq_file restarts at a new offset).
                    if (n < buffer.Length - (total - n)) break;
                }
            }
            return total;
        }
        finally { Close(fd); }
    }

    /// <summary>Opens a file read-only; the descriptor, or -1.</summary>
    public static int OpenFile(ReadOnlySpan<byte> path)
    {
        fixed (byte* p = path) return Open(p, O_RDONLY | O_CLOEXEC);
    }

    /// <summary>
    /// Reads a /proc file again through a descriptor kept open, from offset 0: the kernel
    /// generates the content anew at each read from 0. Several times cheaper than
    /// open/read/close (no path walk). -1 once the process is gone (ESRCH): the descriptor is
    /// bound to the process, not to its pid number, so a reused pid is never mistaken for it.
    /// </summary>
    public static int ReadAgain(int fd, Span<byte> buffer)
    {
        int total = 0;
        fixed (byte* b = buffer)
        {
            while (total < buffer.Length)
            {
                nint n = PRead(fd, b + total, buffer.Length - total, total);
                if (n < 0) return -1;
                total += (int)n;
                if (n < buffer.Length - (total - n)) break; // a short read is the end (see ReadFile)
            }
        }
        return total;
    }

    /// <summary>Opens a directory for <see cref="NextEntries"/>; -1 if it cannot be opened.</summary>
    public static int OpenDirectory(ReadOnlySpan<byte> path)
    {
        fixed (byte* p = path) return Open(p, O_RDONLY | O_CLOEXEC);
    }

    /// <summary>Fills buffer with linux_dirent64 records; 0 at the end, -1 on error.</summary>
    public static int NextEntries(int fd, Span<byte> buffer)
    {
        fixed (byte* b = buffer) return (int)GetDents64(fd, b, buffer.Length);
    }

    public static void CloseFd(int fd) => Close(fd);
}
