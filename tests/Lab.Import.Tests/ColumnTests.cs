using Lab.Import.Parsing;

namespace Lab.Import.Tests;

/// <summary>Column layouts from headers and from the ps command of the prompt.</summary>
public class ColumnTests
{
    [Theory]
    [InlineData("ps aux | grep php", "ps aux")]
    [InlineData("sudo ps auxww | grep php-fpm", "ps aux")]
    [InlineData("ps -aux | grep php", "ps aux")]
    [InlineData("ps u -C php-fpm8.2", "ps aux")]
    [InlineData("ps -o pid,rss,vsz,cmd -C php-fpm", "ps -o pid,rss,vsz,cmd")]
    [InlineData("ps -eo rss=,pid=,args= | grep php", "ps -o rss=,pid=,args=")]
    [InlineData("ps -C php-fpm8.2 -o pid= -o rss= -o cmd=", "ps -o pid=,rss=,cmd=")]
    [InlineData("ps axo pid,rss,vsz,comm", "ps -o pid,rss,vsz,comm")]
    [InlineData("ps --format=pid,rss,args", "ps -o pid,rss,args")]
    [InlineData("watch -n1 'ps -o pid,rss,cmd -C php-fpm'", "ps -o pid,rss,cmd")]
    [InlineData("ps -u user -o pid,rss,cmd", "ps -o pid,rss,cmd")]
    public void From_the_ps_command(string command, string layout)
    {
        Assert.True(PsColumns.RunsPs(command));
        Assert.Equal(layout, PsColumns.FromPsCommand(command)?.Source);
    }

    [Theory]
    [InlineData("ps -ef | grep php")]
    [InlineData("ps -u user")]
    [InlineData("ps")]
    public void Unknown_layouts_are_left_to_the_header(string command) => Assert.Null(PsColumns.FromPsCommand(command));

    [Theory]
    [InlineData("grep php /var/log/php8.2-fpm.log")]
    [InlineData("tail -f /var/log/nginx/access.log")]
    [InlineData("psql -c 'select 1'")]
    public void Other_commands_run_no_ps(string command) => Assert.False(PsColumns.RunsPs(command));

    [Fact]
    public void A_header_maps_columns_in_any_order_and_the_command_keeps_its_spaces()
    {
        Assert.True(PsColumns.TryParseHeader("    VSZ   PID  PPID   RSS STAT     TIME COMMAND", out var cols));
        Assert.True(cols.TryParse("  60284 13670     1 16008 Ss   00:01:05 php-fpm: master process  (/etc/php/8.2/fpm/php-fpm.conf)", 7, out var l));
        Assert.Equal((13670, 16008L, (long?)60284, (int?)1, "Ss", (double?)65), (l.Pid, l.RssKb, l.VszKb, l.Ppid, l.Stat, l.CpuS));
        Assert.Equal("php-fpm: master process  (/etc/php/8.2/fpm/php-fpm.conf)", l.Command);
        Assert.Equal(7, l.LineNumber);
    }

    [Fact]
    public void Columns_after_the_command_are_read_from_the_right()
    {
        Assert.True(PsColumns.TryParseHeader("USER PID COMMAND RSS VSZ", out var cols));
        Assert.True(cols.TryParse("www-data 13672 php-fpm: pool www 11188 62364", 1, out var l));
        Assert.Equal((13672, 11188L, (long?)62364, "php-fpm: pool www", "www-data"), (l.Pid, l.RssKb, l.VszKb, l.Command, l.User));
    }

    [Theory]
    [InlineData("  PID RSS VSZ CMD", "  abc 1 2 php-fpm: pool www")]
    [InlineData("  PID RSS VSZ CMD", "  12 1")]
    [InlineData("  PID RSS VSZ CMD", "  12 x 3 php-fpm: pool www")]
    public void Lines_that_do_not_fit_are_refused(string header, string line)
    {
        Assert.True(PsColumns.TryParseHeader(header, out var cols));
        Assert.False(cols.TryParse(line, 1, out _));
    }

    [Theory]
    [InlineData("USER PID %CPU")]
    [InlineData("PID TTY TIME CMD")]
    [InlineData("  PID   RSS    VSZ CMD")]
    public void Headers(string line) => Assert.True(PsColumns.TryParseHeader(line, out _));

    [Theory]
    [InlineData("Pid rss")]
    [InlineData("WARNING: PID file exists")]
    [InlineData("RSS VSZ")]
    public void Not_headers(string line) => Assert.False(PsColumns.TryParseHeader(line, out _));

    [Theory]
    [InlineData("0:00", 0)]
    [InlineData("1:05", 65)]
    [InlineData("123:05", 7385)]
    [InlineData("00:01:05", 65)]
    [InlineData("2-01:00:00", 176400)]
    public void Cpu_time(string text, double seconds)
    {
        Assert.True(CpuTime.TryParse(text, out double s));
        Assert.Equal(seconds, s);
    }

    [Fact]
    public void Colour_escapes_CR_and_tabs_are_cleaned()
    {
        Assert.Equal("root 1 x", LogText.Clean("root\t1 x\r"));
        Assert.Equal("grep --color=auto php", LogText.Clean("grep --color=auto \x1b[01;31m\x1b[Kphp\x1b[m\x1b[K\r"));
    }
}
