using System.Buffers.Text;
using System.Globalization;
using Lab.Core.Time;

namespace Lab.Linux.Proc;

/// <summary>
/// One process as /proc shows it, at one moment.
/// </summary>
/// <param name="RssKb">Resident set size in KiB, equal to <c>ps -o rss</c>: statm's resident × page size.</param>
/// <param name="VszKb">Virtual size in KiB, equal to <c>ps -o vsz</c>: stat's vsize / 1024.</param>
/// <param name="CpuS">CPU time used, user + system: (utime + stime) / CLK_TCK, as ps's TIME column.</param>
/// <param name="StartS">When the process started, in run time (negative if before the run); 1/CLK_TCK resolution.</param>
/// <param name="Comm">The kernel's short name (stat's comm, at most 15 characters).</param>
/// <remarks>
/// Why statm and not stat for RSS: procps-ng's ps (4.x) prints RSS from /proc/PID/status VmRSS
/// and VSZ from VmSize (checked with strace: ps opens stat and status). Since Linux 6.16 the
/// kernel computes VmRSS and statm's resident with an exact sum of its per-CPU RSS counters, while
/// stat's rss field keeps the cheap approximate read, which lags by up to the per-CPU batch
/// (seen here: stat 1644 KiB vs status/statm 1816 KiB for one idle `sleep`). statm is the cheap
/// file that equals VmRSS on every kernel, so RSS comes from statm. VSZ is the same number in all
/// three files (total_vm), so stat's vsize is used.
/// </remarks>
public readonly record struct ProcSample(int Pid, int Ppid, char State, long RssKb, long VszKb,
    double CpuS, double StartS, string Comm);

/// <summary>The host's memory from /proc/meminfo, in KiB.</summary>
public readonly record struct MemInfo(long MemTotalKb, long MemAvailableKb);

/// <summary>
/// /proc readers, allocation-light: files are read with open/read into stack buffers and parsed
/// over spans; no LINQ, no FileStream.
/// </summary>
public static class Proc
{
    private static readonly object s_passwdLock = new();
    private static Dictionary<int, string>? s_users;

    /// <summary>Reads /proc/PID/stat and /proc/PID/statm. False if the process does not exist (any more).</summary>
    public static bool TryRead(int pid, RunClock clock, out ProcSample sample)
    {
        sample = default;
        if (pid <= 0 || !ProcFiles.TryReadStat(pid, out var stat)) return false;
        if (!ProcFiles.TryReadStatm(pid, out _, out long resident)) return false;
        sample = Compose(stat, resident, BootOffset(clock));
        return true;
    }

    /// <summary>
    /// Every descendant of rootPid (children, their children, ...), breadth-first, without
    /// rootPid itself. Empty if the root does not exist. Uses /proc/PID/task/*/children when the
    /// kernel has them (CONFIG_PROC_CHILDREN), else one scan of /proc.
    /// </summary>
    public static IReadOnlyList<int> Descendants(int rootPid)
    {
        var found = new List<StatFields>();
        new ProcTree().Collect([rootPid], found);
        var pids = new List<int>(found.Count);
        for (int i = 1; i < found.Count; i++) pids.Add(found[i].Pid); // found[0] is the root
        return pids;
    }

    /// <summary>
    /// The command line, NULs turned into spaces (what <c>ps aux</c> shows in COMMAND); for a
    /// process without one (a kernel thread, a zombie) "[comm]", as ps does. Empty if gone.
    /// </summary>
    public static string CommandLine(int pid)
    {
        Span<byte> path = stackalloc byte[64];
        byte[] buf = new byte[8192];
        int n = Native.ReadFile(path[..ProcFiles.PathOf(path, pid, "cmdline"u8)], buf);
        if (n < 0) return "";
        while (n > 0 && buf[n - 1] == 0) n--;
        if (n == 0)
            return ProcFiles.TryReadStat(pid, out var st) ? "[" + st.Comm + "]" : "";
        for (int i = 0; i < n; i++) if (buf[i] == 0) buf[i] = (byte)' ';
        return System.Text.Encoding.UTF8.GetString(buf, 0, n);
    }

    /// <summary>
    /// The name of the process's effective user (status's Uid line, second field), looked up in
    /// /etc/passwd, as ps's USER column; the number if the uid has no entry; "" if the process is gone.
    /// </summary>
    public static string UserName(int pid)
    {
        int uid = EffectiveUid(pid);
        if (uid < 0) return "";
        lock (s_passwdLock)
        {
            if (s_users is null || !s_users.ContainsKey(uid)) s_users = ReadPasswd();
            return s_users.TryGetValue(uid, out var name) ? name : uid.ToString(CultureInfo.InvariantCulture);
        }
    }

    /// <summary>A process's start time (stat's field 22, clock ticks since boot): with its pid, who it is (a pid may be reused); null if it is gone.</summary>
    public static long? StartTicks(int pid) => ProcFiles.TryReadStat(pid, out var st) ? st.StartTicks : null;

    /// <summary>
    /// Is the process blocked in accept()/accept4() (its current system call, /proc/PID/syscall:
    /// x86-64 43 and 288, arm64 202 and 242)? An idle php-fpm (or lab) child is.
    /// </summary>
    public static bool IsInAccept(int pid)
    {
        try
        {
            string s = File.ReadAllText($"/proc/{pid}/syscall");
            int sp = s.IndexOf(' ');
            string nr = sp < 0 ? s.Trim() : s[..sp];
            return System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.Arm64
                ? nr is "202" or "242" : nr is "43" or "288";
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    /// <summary>MemTotal and MemAvailable from /proc/meminfo (KiB).</summary>
    public static MemInfo ReadMemInfo()
    {
        Span<byte> buf = stackalloc byte[8192];
        int n = Native.ReadFile("/proc/meminfo\0"u8, buf);
        if (n <= 0) throw new IOException("cannot read /proc/meminfo");
        var text = buf[..n];
        long total = Field(text, "MemTotal:"u8), available = Field(text, "MemAvailable:"u8);
        if (total < 0 || available < 0) throw new IOException("/proc/meminfo has no MemTotal/MemAvailable");
        return new MemInfo(total, available);

        static long Field(ReadOnlySpan<byte> text, ReadOnlySpan<byte> key)
        {
            int at = text.IndexOf(key);
            if (at < 0) return -1;
            var rest = text[(at + key.Length)..].TrimStart(" \t"u8);
            return Utf8Parser.TryParse(rest, out long kb, out _) ? kb : -1;
        }
    }

    /// <summary>Boot time minus run time now: a stat starttime in seconds minus this is its run time.</summary>
    internal static double BootOffset(RunClock clock) => Native.BootTimeNow() - clock.Now;

    internal static ProcSample Compose(in StatFields st, long residentPages, double bootOffset)
    {
        double hz = Native.ClockTicksPerSecond;
        return new ProcSample(
            st.Pid, st.Ppid, st.State,
            RssKb: residentPages * ProcFiles.PageKb,
            VszKb: st.VsizeBytes / 1024,
            CpuS: (st.UtimeTicks + st.StimeTicks) / hz,
            StartS: st.StartTicks / hz - bootOffset,
            Comm: st.Comm);
    }

    private static int EffectiveUid(int pid)
    {
        Span<byte> path = stackalloc byte[64];
        Span<byte> buf = stackalloc byte[4096];
        int n = Native.ReadFile(path[..ProcFiles.PathOf(path, pid, "status"u8)], buf);
        if (n <= 0) return -1;
        var text = buf[..n];
        int at = text.IndexOf("\nUid:"u8);
        if (at < 0) return -1;
        var rest = text[(at + 5)..].TrimStart(" \t"u8);          // real uid
        if (!Utf8Parser.TryParse(rest, out int _, out int used)) return -1;
        rest = rest[used..].TrimStart(" \t"u8);                  // effective uid
        return Utf8Parser.TryParse(rest, out int euid, out _) ? euid : -1;
    }

    private static Dictionary<int, string> ReadPasswd()
    {
        var users = new Dictionary<int, string>();
        try
        {
            foreach (var line in File.ReadLines("/etc/passwd"))
            {
                var parts = line.Split(':');
                if (parts.Length > 2 && int.TryParse(parts[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out int uid))
                    users.TryAdd(uid, parts[0]);
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return users;
    }
}
