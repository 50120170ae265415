using Lab.Core.Engines;
using Lab.Core.Paths;
using Lab.Core.Records;
using Lab.Results.Formats;

namespace Lab.Results.Tests;

public class PsLogTests
{
    // Two lines of the article's trace (shared/samples/ps-aux-php-fpm-max-requests-5.txt).
    private const string ArticleMaster = "root     13670  0.0  0.0  60284 16008 ?        Ss   04:32   0:00 php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)";
    private const string ArticleChild = "nobody   13672  0.0  0.0  62364 11188 ?        S    04:32   0:00 php-fpm: pool www";

    private static readonly DateTime Epoch = new(2026, 1, 1, 4, 32, 0, DateTimeKind.Utc);
    private const long BigHostKb = 64L * 1024 * 1024; // 16008 KiB of 64 GiB: %MEM 0.0

    [Fact]
    public void The_article_lines_are_reproduced_from_the_same_numbers()
    {
        var master = new ProcessInfo(13670, ProcessRole.Master, "root", "php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)", 0);
        var child = new ProcessInfo(13672, ProcessRole.Child, "nobody", "php-fpm: pool www", 0.01, 13670);
        Assert.Equal(ArticleMaster, PsAux.FormatLine(new Sample(5, 13670, ProcessRole.Master, 16008, 60284, 0.004, 'S', 0), master, Epoch, BigHostKb));
        Assert.Equal(ArticleChild, PsAux.FormatLine(new Sample(5, 13672, ProcessRole.Child, 11188, 62364, 0.003, 'S', 1), child, Epoch, BigHostKb));
    }

    [Fact]
    public void The_article_lines_are_in_the_shared_sample_file()
    {
        // The constants above are the article's: check them against the copy in shared/ when it is there.
        string sample = Path.Combine(LabPaths.Root, "..", "shared", "samples", "ps-aux-php-fpm-max-requests-5.txt");
        if (!File.Exists(sample)) sample = "/work/shared/samples/ps-aux-php-fpm-max-requests-5.txt";
        Assert.True(File.Exists(sample), "sample file not found: " + sample);
        var lines = File.ReadAllLines(sample);
        Assert.Contains(ArticleMaster, lines);
        Assert.Contains(ArticleChild, lines);
        // and every process line of the file parses and re-formats to itself
        int n = 0;
        foreach (var l in lines.Where(l => !l.StartsWith('[')))
        {
            var p = PsAux.Parse(l);
            Assert.NotNull(p);
            Assert.Equal(l, PsAux.Line(p.User, p.Pid, p.PercentCpu, p.PercentMem, p.VszKb, p.RssKb, p.Tty, p.Stat, p.Start, p.Time, p.Command));
            n++;
        }
        Assert.True(n > 10);
    }

    [Fact]
    public void Header_is_procps()
    {
        Assert.Equal("USER       PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND", PsAux.Header);
        // its columns line up with a process line's
        Assert.Equal(PsAux.Header.IndexOf("PID") + 3, ArticleMaster.IndexOf("13670") + 5);
        Assert.Equal(PsAux.Header.IndexOf("RSS") + 3, ArticleMaster.IndexOf("16008") + 5);
        Assert.Equal(PsAux.Header.IndexOf("STAT"), ArticleMaster.IndexOf("Ss "));
        Assert.Equal(PsAux.Header.IndexOf("COMMAND"), ArticleMaster.IndexOf("php-fpm"));
    }

    [Fact]
    public void Cpu_and_mem_percentages_truncate_to_tenths_like_procps()
    {
        Assert.Equal("12.3", PsAux.PercentCpu(1.2399, 10.5));   // 123.99 ‰ over 10 whole seconds → 12.3
        Assert.Equal("0.0", PsAux.PercentCpu(0.5, 0.9));       // under one second: procps divides by 0 s → 0
        Assert.Equal("99.9", PsAux.PercentCpu(9.999, 10));
        Assert.Equal("150", PsAux.PercentCpu(15, 10));          // 100% and more: no decimals
        Assert.Equal("1.0", PsAux.PercentMem(160_000, 16_000_000));
        Assert.Equal("0.9", PsAux.PercentMem(159_999, 16_000_000));
        Assert.Equal("99.9", PsAux.PercentMem(20_000_000, 16_000_000)); // capped
    }

    [Fact]
    public void Start_is_time_of_day_then_month_day_then_year()
    {
        var now = new DateTime(2026, 3, 4, 10, 0, 0, DateTimeKind.Utc);
        Assert.Equal("09:05", PsAux.StartColumn(new DateTime(2026, 3, 4, 9, 5, 59, DateTimeKind.Utc), now));
        Assert.Equal("Mar03", PsAux.StartColumn(new DateTime(2026, 3, 3, 23, 59, 0, DateTimeKind.Utc), now));
        Assert.Equal("2025", PsAux.StartColumn(new DateTime(2025, 12, 31, 23, 0, 0, DateTimeKind.Utc), now));
    }

    [Fact]
    public void Time_is_minutes_and_seconds_of_cpu()
    {
        Assert.Equal("0:00", PsAux.TimeColumn(0.99));
        Assert.Equal("1:05", PsAux.TimeColumn(65.2));
        Assert.Equal("125:00", PsAux.TimeColumn(7500));
    }

    [Fact]
    public void Fields_widen_and_never_truncate_numbers_but_user_names_are_cut_like_procps()
    {
        var p = new ProcessInfo(4194303, ProcessRole.Child, "www-data-long", "php-fpm: pool www", 0);
        string line = PsAux.FormatLine(new Sample(1, 4194303, ProcessRole.Child, 12345678, 123456789, 0, 'R', 0), p, Epoch, 0);
        Assert.Equal("www-dat+ 4194303  0.0  0.0 123456789 12345678 ?        R    04:32   0:00 php-fpm: pool www", line);
        var back = PsAux.Parse(line)!;
        Assert.Equal(4194303, back.Pid);
        Assert.Equal(12345678, back.RssKb);
        Assert.Equal("php-fpm: pool www", back.Command);
    }

    [Fact]
    public void Ps_log_has_one_block_per_tick_with_its_time_and_processes_in_pid_order()
    {
        using var tmp = new TempDir();
        var header = new RunHeader("t", "sim", 1, Epoch, BigHostKb, FpmLogLevel.Notice, null, false);
        using var w = ResultsWriter.Create(tmp.Run(), header, "", Runs.Manifest());
        w.Process(new ProcessInfo(13670, ProcessRole.Master, "root", "php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)", 0));
        w.Process(new ProcessInfo(13672, ProcessRole.Child, "nobody", "php-fpm: pool www", 0.5, 13670));
        // given child first: ps lists by PID
        w.Sample(new Sample(12.25, 13672, ProcessRole.Child, 11188, 62364, 0.01, 'S', 1));
        w.Sample(new Sample(12.25, 13670, ProcessRole.Master, 16008, 60284, 0.011, 'S', 0));
        w.EndTick(12.25);
        w.Sample(new Sample(13.25, 13699, ProcessRole.Child, 7148, 60604, 0, 'R', 0)); // never introduced by Process()
        w.EndTick(13.25);
        w.Complete(RunOutcome.Complete, Runs.Manifest());
        var lines = File.ReadAllText(Path.Combine(w.Directory, "ps.log")).Split('\n');
        Assert.Equal("# t=12.250s 2026-01-01 04:32:12 UTC", lines[0]);
        Assert.Equal(PsAux.Header, lines[1]);
        Assert.Equal(ArticleMaster, lines[2]);
        Assert.Equal(ArticleChild, lines[3]);
        Assert.Equal("# t=13.250s 2026-01-01 04:32:13 UTC", lines[4]);
        Assert.Equal(PsAux.Header, lines[5]);
        Assert.Equal("?        13699  0.0  0.0  60604  7148 ?        R    04:32   0:00 ?", lines[6]);
        Assert.Equal("", lines[7]);
        Assert.Equal(8, lines.Length);
    }

    [Fact]
    public void Mem_percent_uses_the_host_memory_of_the_header()
    {
        using var tmp = new TempDir();
        var header = new RunHeader("t", "sim", 1, Epoch, 1_000_000, FpmLogLevel.Notice, null, false); // a 1 GB host
        using var w = ResultsWriter.Create(tmp.Run(), header, "", Runs.Manifest());
        w.Process(new ProcessInfo(7, ProcessRole.Child, "nobody", "php-fpm: pool www", 0));
        w.Sample(new Sample(100, 7, ProcessRole.Child, 25_000, 90_000, 12.5, 'S', 40));
        w.EndTick(100);
        w.Complete(RunOutcome.Complete, Runs.Manifest());
        var line = File.ReadAllLines(Path.Combine(w.Directory, "ps.log"))[2];
        var p = PsAux.Parse(line)!;
        Assert.Equal("2.5", p.PercentMem);   // 25,000 of 1,000,000 KiB
        Assert.Equal("12.5", p.PercentCpu);  // 12.5 s of CPU over 100 s
        Assert.Equal("0:12", p.Time);
    }
}
