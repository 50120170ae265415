using System.Globalization;
using System.Text;
using Lab.Core.Records;
using Lab.Results.Formats;

namespace Lab.Import.Tests;

/// <summary>One process of a generated snapshot: the truth the import must recover.</summary>
internal sealed record TrueProcess(int Pid, ProcessRole Role, long Rss, long Vsz, string User, string Stat, int CpuS, string Command);

/// <summary>One generated ps snapshot: php-fpm processes, other processes that match grep php, the grep itself.</summary>
internal sealed record TrueBlock(double T, List<TrueProcess> Fpm, List<TrueProcess> Others, int GrepPid);

/// <summary>How a generated log is written, as people paste them.</summary>
internal sealed record LogStyle
{
    public string Name { get; init; } = "";
    /// <summary>ps aux | grep php (no header), or a ps -o column list (with a header unless NoHeader).</summary>
    public string[]? Columns { get; init; }
    public bool Grep { get; init; } = true;
    public bool NoHeader { get; init; }
    /// <summary>A prompt line before each block (else: a loop's output).</summary>
    public bool Prompts { get; init; } = true;
    /// <summary>A `date` line before (or after) each block.</summary>
    public bool DateBefore { get; init; }
    public bool DateAfter { get; init; }
    public bool Ragged { get; init; }
    public bool Truncate { get; init; }
    public bool Warnings { get; init; }
    public bool Colors { get; init; }
    public bool Crlf { get; init; }
    public bool Mixed { get; init; }
    public string ProcessName { get; init; } = "php-fpm";

    public bool HasVsz => Columns is null || Columns.Contains("vsz");
}

/// <summary>
/// Seeded pools of php-fpm processes (a master, children recycled by max_requests, leaking with
/// a wobble) rendered as the awkward logs people paste: prompts, warnings, the grep line,
/// cut commands, ragged spacing, headers or none, `ps -o` in any column order.
/// </summary>
internal static class LogGenerator
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    public static readonly DateTime Start = new(2026, 1, 6, 23, 59, 40, DateTimeKind.Utc);

    public static List<TrueBlock> Pool(int seed, int blocks, int children, int maxRequests, string name = "php-fpm", double interval = 1)
    {
        var rng = new Random(seed);
        int next = rng.Next(1000, 30000);
        int master = next;
        next += rng.Next(1, 3);
        var kids = new List<(int Pid, int Served, long Rss, long Vsz, int Cpu)>();
        for (int i = 0; i < children; i++) { kids.Add((next, rng.Next(0, maxRequests), rng.Next(7000, 9000), 60604, 0)); next += rng.Next(1, 3); }
        long masterRss = rng.Next(15000, 17000);
        var result = new List<TrueBlock>();
        for (int b = 0; b < blocks; b++)
        {
            // Some children serve a request between two snapshots, leaking a few MiB with a wobble.
            for (int i = 0; i < kids.Count; i++)
            {
                var k = kids[i];
                if (rng.NextDouble() < 0.7)
                {
                    k.Served++;
                    k.Rss += rng.Next(2000, 4500) - (rng.NextDouble() < 0.2 ? rng.Next(0, 3000) : 0);
                    k.Vsz = Math.Max(k.Vsz, k.Rss + 50000 + rng.Next(0, 3000));
                    k.Cpu += rng.Next(0, 2);
                }
                if (k.Served >= maxRequests)
                {
                    next += rng.Next(1, 6);
                    k = (next, 0, rng.Next(7000, 9000), 60604, 0);
                }
                kids[i] = k;
            }
            if (rng.NextDouble() < 0.1) masterRss += rng.Next(-8, 9);
            var fpm = new List<TrueProcess>
            {
                new(master, ProcessRole.Master, masterRss, 60284, "root", "Ss", 1, $"{name}: master process (/etc/php/8.2/fpm/php-fpm.conf)"),
            };
            foreach (var k in kids) fpm.Add(new(k.Pid, ProcessRole.Child, k.Rss, k.Vsz, "www-data", rng.NextDouble() < 0.2 ? "R" : "S", k.Cpu, $"{name}: pool www"));
            var others = new List<TrueProcess>();
            if (rng.NextDouble() < 0.3) others.Add(new(master - rng.Next(5, 500), ProcessRole.Child, 30000, 120000, "www-data", "S", 3, "php /var/www/artisan queue:work --sleep=3"));
            if (rng.NextDouble() < 0.2) others.Add(new(master - rng.Next(501, 900), ProcessRole.Child, 9000, 20000, "root", "S+", 0, "vim /etc/php/8.2/fpm/pool.d/www.conf"));
            next += rng.Next(1, 6);
            result.Add(new TrueBlock(b * interval, fpm.OrderBy(p => p.Pid).ToList(), others, next));
        }
        return result;
    }

    public static string Render(List<TrueBlock> blocks, LogStyle style, int seed)
    {
        var rng = new Random(seed);
        var sb = new StringBuilder();
        string nl = style.Crlf ? "\r\n" : "\n";
        void Line(string s) => sb.Append(s).Append(nl);
        if (style.Prompts) Line("Last login: Tue Jan  6 04:30:12 2026 from 10.0.0.2");
        foreach (var b in blocks)
        {
            var s = style.Mixed ? Pick(rng) : style;
            if (s.DateBefore) Line(DateLine(Start.AddSeconds(b.T), rng));
            string[]? cols = s.Columns;
            string psCommand = cols is null ? "ps aux" : (s.NoHeader ? "ps --no-headers -eo " : "ps -eo ") + string.Join(',', cols);
            if (s.Prompts)
            {
                string prompt = rng.Next(4) switch { 0 => "[root@lab ~]# ", 1 => "root@lab:~# ", 2 => "$ ", _ => "deploy@web01:~/logs$ sudo " };
                Line(prompt + psCommand + (s.Grep ? " | grep " + (rng.Next(2) == 0 ? "php" : "--color=auto php") : ""));
            }
            if (s.Warnings && rng.NextDouble() < 0.5)
            {
                Line("bash: warning: setlocale: LC_ALL: cannot change locale (en_US.UTF-8)");
                if (rng.Next(2) == 0) { Line("Warning: bad ps syntax, perhaps a bogus '-'?"); Line("See https://gitlab.com/procps-ng/procps/-/wikis/FAQ"); }
            }
            var rows = new List<TrueProcess>(b.Fpm);
            if (s.Grep) rows.AddRange(b.Others);
            else rows.Add(new TrueProcess(1, ProcessRole.Child, 12000, 170000, "root", "Ss", 3, "/sbin/init"));
            if (s.Grep) rows.Add(new TrueProcess(b.GrepPid, ProcessRole.Child, 1900 + rng.Next(200), 3892, "root", "S+", 0, "grep --color=auto php"));
            rows.Sort((x, y) => x.Pid.CompareTo(y.Pid));
            if (!s.Grep && !s.NoHeader && cols is null) Line(PsAux.Header);
            if (!s.Grep && !s.NoHeader && cols is not null) Line(HeaderOf(cols, s.Ragged, rng));
            foreach (var p in rows)
            {
                string command = p.Command;
                if (s.Truncate && rng.NextDouble() < 0.6)
                {
                    // Cut anywhere after the role's first letter ("php-fpm: m"), as a narrow terminal does.
                    int colon = p.Command.IndexOf(": ", StringComparison.Ordinal);
                    int min = Math.Min(command.Length, colon > 0 ? colon + 3 : 6);
                    command = command[..rng.Next(min, command.Length + 1)];
                }
                if (s.Colors && s.Grep) command = command.Replace("php", "\x1b[01;31m\x1b[Kphp\x1b[m\x1b[K");
                string line = cols is null ? AuxLine(p, command, s.Ragged, rng) : ColumnsLine(p, command, cols, s.Ragged, rng);
                Line(line);
            }
            if (s.DateAfter) Line(DateLine(Start.AddSeconds(b.T), rng));
        }
        if (style.Prompts) Line("[root@lab ~]# exit");
        return sb.ToString();
    }

    private static readonly LogStyle[] MixedStyles =
    [
        new() { Grep = true },
        new() { Grep = true, Truncate = true, Ragged = true },
        new() { Grep = false, Columns = ["pid", "rss", "vsz", "cmd"] },
        new() { Grep = false, Columns = ["vsz", "pid", "args", "rss"] },
        new() { Grep = true, Columns = ["pid", "rss", "vsz", "cmd"] },
        new() { Grep = false, NoHeader = true, Columns = ["rss", "pid", "vsz", "args"] },
        new() { Grep = false },
    ];

    private static LogStyle Pick(Random rng) => MixedStyles[rng.Next(MixedStyles.Length)] with { Prompts = true, Warnings = rng.Next(3) == 0 };

    private static string Sep(bool ragged, Random rng) => ragged ? (rng.Next(5) == 0 ? "\t" : new string(' ', rng.Next(1, 5))) : " ";

    private static string AuxLine(TrueProcess p, string command, bool ragged, Random rng)
    {
        string time = string.Create(Inv, $"{p.CpuS / 60}:{p.CpuS % 60:00}");
        if (!ragged) return PsAux.Line(p.User, p.Pid, "0.0", "0.1", p.Vsz, p.Rss, "?", p.Stat, "04:32", time, command);
        string[] f = [p.User, p.Pid.ToString(Inv), "0.0", "0.1", p.Vsz.ToString(Inv), p.Rss.ToString(Inv), "?", p.Stat, "04:32", time];
        var sb = new StringBuilder(rng.Next(3) == 0 ? " " : "");
        foreach (var x in f) sb.Append(x).Append(Sep(true, rng));
        sb.Append(command);
        if (rng.Next(3) == 0) sb.Append("   ");
        return sb.ToString();
    }

    private static string HeaderName(string col) => col switch
    {
        "pid" => "PID", "rss" => "RSS", "vsz" => "VSZ", "cmd" => "CMD", "args" => "COMMAND", "user" => "USER",
        "stat" => "STAT", "ppid" => "PPID", "time" => "TIME", "etime" => "ELAPSED", "lstart" => "STARTED", _ => col.ToUpperInvariant(),
    };

    private static string HeaderOf(string[] cols, bool ragged, Random rng) =>
        "  " + string.Join(ragged ? "   " : " ", cols.Select(HeaderName));

    private static string ColumnsLine(TrueProcess p, string command, string[] cols, bool ragged, Random rng)
    {
        var parts = cols.Select(c => c switch
        {
            "pid" => p.Pid.ToString(Inv).PadLeft(7),
            "rss" => p.Rss.ToString(Inv).PadLeft(6),
            "vsz" => p.Vsz.ToString(Inv).PadLeft(7),
            "cmd" or "args" => command,
            "user" => p.User,
            "stat" => p.Stat,
            "ppid" => "1",
            "time" => string.Create(Inv, $"00:{p.CpuS / 60:00}:{p.CpuS % 60:00}"),
            "etime" => "01:23",
            "lstart" => "Tue Jan  6 04:32:10 2026",
            _ => "-",
        });
        return string.Join(Sep(ragged, rng), parts);
    }

    private static string DateLine(DateTime t, Random rng) => rng.Next(4) switch
    {
        0 => t.ToString("ddd MMM ", Inv) + t.Day.ToString(Inv).PadLeft(2) + t.ToString(" HH:mm:ss 'UTC' yyyy", Inv),   // date
        1 => t.ToString("yyyy-MM-ddTHH:mm:sszzz", Inv).Replace("Z", "+00:00"),                                               // date -Is
        2 => t.ToString("yyyy-MM-dd HH:mm:ss", Inv),                                                                        // date '+%F %T'
        _ => ((long)(t - DateTime.UnixEpoch).TotalSeconds).ToString(Inv),                                                   // date +%s
    };
}
