using System.Buffers;
using System.Buffers.Text;
using System.Runtime.InteropServices;

namespace Lab.Linux.Proc;

/// <summary>The fields of /proc/PID/stat the lab uses (proc(5) numbering in the comments).</summary>
internal readonly record struct StatFields(
    int Pid, string Comm, char State, int Ppid, long UtimeTicks, long StimeTicks,
    int NumThreads, long StartTicks, long VsizeBytes, long RssPages);

/// <summary>
/// Paths and parsers of /proc files, over spans: no string is built on the hot path except a
/// process's comm, which is interned (a pool has a handful of distinct names).
/// </summary>
internal static class ProcFiles
{
    public const int StatBufferSize = 2048;   // a stat line is ~300 bytes; comm is at most 64
    public const int SmallBufferSize = 256;   // statm, children lists are read in bigger buffers
    public static readonly int PageKb = Environment.SystemPageSize / 1024;

    private static readonly string?[] s_commCache = new string?[512];

    /// <summary>Writes "/proc/{pid}/{suffix}\0" into dest; returns the length including the NUL.</summary>
    public static int PathOf(Span<byte> dest, int pid, ReadOnlySpan<byte> suffix)
    {
        int n = 0;
        "/proc/"u8.CopyTo(dest); n += 6;
        Utf8Formatter.TryFormat(pid, dest[n..], out int w); n += w;
        dest[n++] = (byte)'/';
        suffix.CopyTo(dest[n..]); n += suffix.Length;
        dest[n++] = 0;
        return n;
    }

    /// <summary>Writes "/proc/{pid}/task/{tid}/children\0" into dest.</summary>
    public static int ChildrenPathOf(Span<byte> dest, int pid, int tid)
    {
        int n = 0;
        "/proc/"u8.CopyTo(dest); n += 6;
        Utf8Formatter.TryFormat(pid, dest[n..], out int w); n += w;
        "/task/"u8.CopyTo(dest[n..]); n += 6;
        Utf8Formatter.TryFormat(tid, dest[n..], out w); n += w;
        "/children"u8.CopyTo(dest[n..]); n += 9;
        dest[n++] = 0;
        return n;
    }

    /// <summary>Reads and parses /proc/PID/stat.</summary>
    public static bool TryReadStat(int pid, out StatFields stat)
    {
        Span<byte> path = stackalloc byte[64];
        Span<byte> buf = stackalloc byte[StatBufferSize];
        int len = PathOf(path, pid, "stat"u8);
        int n = Native.ReadFile(path[..len], buf);
        if (n <= 0) { stat = default; return false; }
        return TryParseStat(buf[..n], out stat);
    }

    /// <summary>
    /// Parses a stat line: "pid (comm) S ppid ...". comm may hold spaces and parentheses, so it
    /// runs to the LAST ')'. Fields after it are numbered from 3 (state) as in proc(5).
    /// </summary>
    public static bool TryParseStat(ReadOnlySpan<byte> line, out StatFields stat)
    {
        stat = default;
        int open = line.IndexOf((byte)'(');
        int close = line.LastIndexOf((byte)')');
        if (open <= 0 || close < open || close + 2 >= line.Length) return false;
        if (!Utf8Parser.TryParse(line[..(open - 1)], out int pid, out _)) return false;
        string comm = Intern(line[(open + 1)..close]);
        var rest = line[(close + 2)..];
        char state = (char)rest[0];
        int ppid = 0, threads = 0;
        long utime = 0, stime = 0, start = 0, vsize = 0, rss = 0;
        int field = 3, pos = 0;
        while (pos < rest.Length && field <= 24)
        {
            int end = rest[pos..].IndexOf((byte)' ');
            var tok = end < 0 ? rest[pos..] : rest.Slice(pos, end);
            switch (field)
            {
                case 4: Utf8Parser.TryParse(tok, out ppid, out _); break;
                case 14: Utf8Parser.TryParse(tok, out utime, out _); break;
                case 15: Utf8Parser.TryParse(tok, out stime, out _); break;
                case 20: Utf8Parser.TryParse(tok, out threads, out _); break;
                case 22: Utf8Parser.TryParse(tok, out start, out _); break;
                case 23: Utf8Parser.TryParse(tok, out ulong vs, out _); vsize = (long)vs; break;
                case 24: Utf8Parser.TryParse(tok, out rss, out _); break;
            }
            if (end < 0) break;
            pos += end + 1;
            field++;
        }
        if (field < 24) return false;
        stat = new StatFields(pid, comm, state, ppid, utime, stime, threads, start, vsize, rss);
        return true;
    }

    /// <summary>Reads /proc/PID/statm: (size, resident) in pages.</summary>
    public static bool TryReadStatm(int pid, out long sizePages, out long residentPages)
    {
        Span<byte> path = stackalloc byte[64];
        Span<byte> buf = stackalloc byte[SmallBufferSize];
        int len = PathOf(path, pid, "statm"u8);
        int n = Native.ReadFile(path[..len], buf);
        sizePages = residentPages = 0;
        return n > 0 && TryParseStatm(buf[..n], out sizePages, out residentPages);
    }

    /// <summary>Parses statm's first two fields: size and resident, in pages.</summary>
    public static bool TryParseStatm(ReadOnlySpan<byte> s, out long sizePages, out long residentPages)
    {
        residentPages = 0;
        if (!Utf8Parser.TryParse(s, out sizePages, out int used) || used + 1 >= s.Length) return false;
        return Utf8Parser.TryParse(s[(used + 1)..], out residentPages, out _);
    }

    /// <summary>Appends the space-separated pids of a children file (or any list of numbers) to into.</summary>
    public static void ParsePidList(ReadOnlySpan<byte> text, List<int> into)
    {
        while (text.Length > 0)
        {
            int i = 0;
            while (i < text.Length && (text[i] == (byte)' ' || text[i] == (byte)'\n')) i++;
            text = text[i..];
            if (text.Length == 0) break;
            if (!Utf8Parser.TryParse(text, out int pid, out int used)) break;
            into.Add(pid);
            text = text[used..];
        }
    }

    /// <summary>
    /// Lists the numeric entries of a directory (/proc: the pids; /proc/PID/task: the tids) into
    /// into, with getdents64. Returns false if the directory cannot be opened.
    /// </summary>
    public static bool ListNumericEntries(ReadOnlySpan<byte> directoryPath, List<int> into)
    {
        int fd = Native.OpenDirectory(directoryPath);
        if (fd < 0) return false;
        byte[] buf = ArrayPool<byte>.Shared.Rent(32 * 1024);
        try
        {
            while (true)
            {
                int n = Native.NextEntries(fd, buf);
                if (n <= 0) break;
                int off = 0;
                while (off < n)
                {
                    // struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
                    ushort reclen = MemoryMarshal.Read<ushort>(buf.AsSpan(off + 16, 2));
                    var name = buf.AsSpan(off + 19, reclen - 19);
                    int nul = name.IndexOf((byte)0);
                    if (nul >= 0) name = name[..nul];
                    if (name.Length > 0 && name[0] is >= (byte)'1' and <= (byte)'9'
                        && Utf8Parser.TryParse(name, out int id, out int used) && used == name.Length)
                        into.Add(id);
                    off += reclen;
                }
            }
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buf);
            Native.CloseFd(fd);
        }
    }

    /// <summary>A string for a comm, shared between calls (a lock-free, lossy intern table).</summary>
    public static string Intern(ReadOnlySpan<byte> bytes)
    {
        uint h = 2166136261;
        foreach (byte b in bytes) h = (h ^ b) * 16777619;
        int slot = (int)(h % (uint)s_commCache.Length);
        string? cached = s_commCache[slot];
        if (cached is not null && Equal(cached, bytes)) return cached;
        string s = System.Text.Encoding.UTF8.GetString(bytes);
        s_commCache[slot] = s; // a benign race: the slot holds one valid string or another
        return s;
    }

    private static bool Equal(string s, ReadOnlySpan<byte> bytes)
    {
        if (s.Length != bytes.Length) return false; // a non-ASCII comm simply misses the cache
        for (int i = 0; i < bytes.Length; i++)
            if (s[i] != bytes[i]) return false;
        return true;
    }
}
