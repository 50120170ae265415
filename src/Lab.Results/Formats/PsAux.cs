using System.Globalization;
using Lab.Core.Records;

namespace Lab.Results.Formats;

/// <summary>One process line of `ps aux`, as parsed back (ps.log, or a real `ps aux` capture).</summary>
public sealed record PsAuxLine(string User, int Pid, string PercentCpu, string PercentMem, long VszKb, long RssKb,
    string Tty, string Stat, string Start, string Time, string Command);

/// <summary>
/// `ps aux` lines exactly as procps-ng prints them (ps/output.c), so ps.log reads like the
/// article's traces: the column layout, %CPU and %MEM truncated to tenths, START as HH:MM (or
/// MmmDD / the year when the process started on another day / year), TIME as M:SS.
/// </summary>
public static class PsAux
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>procps's header line for `ps aux`.</summary>
    public const string Header = "USER       PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND";

    /// <summary>The ps line of a sampled process at the sample's time.</summary>
    /// <param name="epochUtc">The wall-clock time of t = 0 of the run.</param>
    /// <param name="hostMemKb">Total memory of the (real or simulated) host, for %MEM.</param>
    public static string FormatLine(in Sample sample, ProcessInfo process, DateTime epochUtc, long hostMemKb)
    {
        double elapsed = sample.T - process.StartT;
        string stat = process.Role == ProcessRole.Master ? sample.State + "s" : sample.State.ToString();
        return Line(process.User, sample.Pid, PercentCpu(sample.CpuS, elapsed), PercentMem(sample.RssKb, hostMemKb),
            sample.VszKb, sample.RssKb, "?", stat,
            StartColumn(epochUtc.AddSeconds(process.StartT), epochUtc.AddSeconds(sample.T)),
            TimeColumn(sample.CpuS), process.Command);
    }

    /// <summary>The column layout: fields widen when a value is longer, numbers are never cut.</summary>
    public static string Line(string user, int pid, string pcpu, string pmem, long vszKb, long rssKb, string tty,
        string stat, string start, string time, string command) =>
        string.Create(Inv, $"{UserColumn(user),-8} {pid,5} {pcpu,4} {pmem,4} {vszKb,6} {rssKb,5} {tty,-8} {stat,-4} {start,5} {time,6} {command}");

    /// <summary>procps prints at most 8 characters of a user name, the 8th a '+' when it is longer ("systemd+").</summary>
    public static string UserColumn(string user) => user.Length > 8 ? string.Concat(user.AsSpan(0, 7), "+") : user;

    /// <summary>
    /// %CPU as procps computes it: CPU time over whole seconds since the process started, in
    /// tenths of a percent, truncated; 100% and more print without decimals.
    /// </summary>
    public static string PercentCpu(double cpuS, double elapsedS)
    {
        long seconds = (long)Math.Floor(elapsedS);
        long tenths = seconds > 0 && cpuS > 0 ? (long)Math.Floor(cpuS * 1000.0 / seconds) : 0;
        if (tenths > 999) return (tenths / 10).ToString(Inv);
        return string.Create(Inv, $"{tenths / 10}.{tenths % 10}");
    }

    /// <summary>%MEM as procps computes it: RSS over total memory in tenths of a percent, truncated, at most 99.9.</summary>
    public static string PercentMem(long rssKb, long hostMemKb)
    {
        long tenths = hostMemKb > 0 && rssKb > 0 ? Math.Min(999, rssKb * 1000 / hostMemKb) : 0;
        return string.Create(Inv, $"{tenths / 10}.{tenths % 10}");
    }

    /// <summary>START: HH:MM if the process started on the day of the sample, MmmDD on another day, the year in another year.</summary>
    public static string StartColumn(DateTime startUtc, DateTime nowUtc)
    {
        if (startUtc.Year != nowUtc.Year) return startUtc.ToString("yyyy", Inv);
        if (startUtc.DayOfYear != nowUtc.DayOfYear) return startUtc.ToString("MMMdd", Inv);
        return startUtc.ToString("HH:mm", Inv);
    }

    /// <summary>TIME: cumulated CPU time as M:SS (procps's "%3u:%02u", minutes unbounded).</summary>
    public static string TimeColumn(double cpuS)
    {
        long s = cpuS > 0 ? (long)Math.Floor(cpuS) : 0;
        return string.Create(Inv, $"{s / 60}:{s % 60:00}");
    }

    /// <summary>
    /// Parses a process line of `ps aux` (11 columns, COMMAND the rest of the line, its inner
    /// spaces kept). Null if the line is not one (a header, a prompt, a short line).
    /// </summary>
    public static PsAuxLine? Parse(string line)
    {
        var fields = new string[10];
        int pos = 0;
        for (int i = 0; i < 10; i++)
        {
            while (pos < line.Length && line[pos] == ' ') pos++;
            int start = pos;
            while (pos < line.Length && line[pos] != ' ') pos++;
            if (pos == start) return null;
            fields[i] = line[start..pos];
        }
        while (pos < line.Length && line[pos] == ' ') pos++;
        string command = line[pos..];
        if (!int.TryParse(fields[1], NumberStyles.None, Inv, out int pid)) return null;
        if (!long.TryParse(fields[4], NumberStyles.None, Inv, out long vsz)) return null;
        if (!long.TryParse(fields[5], NumberStyles.None, Inv, out long rss)) return null;
        return new PsAuxLine(fields[0], pid, fields[2], fields[3], vsz, rss, fields[6], fields[7], fields[8], fields[9], command);
    }
}
