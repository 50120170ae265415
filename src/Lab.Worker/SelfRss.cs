using Lab.Scoreboard.Interop;

namespace Lab.Worker;

/// <summary>
/// The child's own RSS, read from /proc/self/statm (its second field: resident pages) right after
/// a request, and sent back with the response (LabHeaders.RssKb) so that every request record carries
/// the serving child's memory, whatever the sample interval. The same figure ps prints as RSS.
/// </summary>
internal static unsafe class SelfRss
{
    private static readonly long PageKb = Math.Max(1, Environment.SystemPageSize / 1024);

    /// <summary>KiB resident now; -1 when /proc/self/statm cannot be read.</summary>
    public static long ReadKb()
    {
        int fd = Native.open("/proc/self/statm", 0 /* O_RDONLY */, 0);
        if (fd < 0) return -1;
        byte* buf = stackalloc byte[128];
        nint n;
        try { n = Native.read(fd, buf, 128); }
        finally { Native.close(fd); }
        if (n <= 0) return -1;
        // "size resident shared text lib data dt": skip the first number, parse the second
        int i = 0;
        while (i < n && buf[i] != (byte)' ') i++;
        i++;
        long pages = 0;
        bool any = false;
        for (; i < n && buf[i] >= (byte)'0' && buf[i] <= (byte)'9'; i++) { pages = pages * 10 + (buf[i] - '0'); any = true; }
        return any ? pages * PageKb : -1;
    }
}
