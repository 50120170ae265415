using Lab.Core.Records;
using Lab.Import.Parsing;

namespace Lab.Import.Tests;

/// <summary>The rule that tells a php-fpm master from a pool child by its command.</summary>
public class RoleRuleTests
{
    [Theory]
    [InlineData("php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)", FpmKind.Master)]
    [InlineData("php-fpm: master proce", FpmKind.Master)]
    [InlineData("php-fpm: m", FpmKind.Master)]
    [InlineData("php-fpm:   master process (/etc/php-fpm.conf)", FpmKind.Master)]
    [InlineData("php-fpm8.2: master process (/etc/php/8.2/fpm/php-fpm.conf)", FpmKind.Master)]
    [InlineData("php8.2-fpm: master process (x)", FpmKind.Master)]
    [InlineData("lab-fpm: master process (/tmp/lab/pool.conf)", FpmKind.Master)]
    [InlineData("php-fpm: pool www", FpmKind.Child)]
    [InlineData("php-fpm: pool w", FpmKind.Child)]
    [InlineData("php-fpm: p", FpmKind.Child)]
    [InlineData("php-fpm7.4: pool api", FpmKind.Child)]
    [InlineData("lab-fpm: pool www", FpmKind.Child)]
    [InlineData("php-fpm", FpmKind.FpmUnknownRole)]
    [InlineData("php-fpm8.2", FpmKind.FpmUnknownRole)]
    [InlineData("php-fpm:", FpmKind.FpmUnknownRole)]
    [InlineData("php-fpm: ", FpmKind.FpmUnknownRole)]
    [InlineData("/usr/sbin/php-fpm8.2 --nodaemonize --fpm-config /etc/php/8.2/fpm/php-fpm.conf", FpmKind.FpmUnknownRole)]
    [InlineData("grep php", FpmKind.Grep)]
    [InlineData("grep --color=auto php-fpm", FpmKind.Grep)]
    [InlineData("/usr/bin/grep php", FpmKind.Grep)]
    [InlineData("grep --co", FpmKind.Grep)]
    [InlineData("php /var/www/artisan queue:work", FpmKind.NotFpm)]
    [InlineData("php-cgi -b 127.0.0.1:9000", FpmKind.NotFpm)]
    [InlineData("vim /etc/php/8.2/fpm/pool.d/www.conf", FpmKind.NotFpm)]
    [InlineData("php-fpm: worker", FpmKind.NotFpm)]
    [InlineData("php-f", FpmKind.NotFpm)]
    [InlineData("", FpmKind.NotFpm)]
    public void Classifies_commands(string command, FpmKind expected) => Assert.Equal(expected, FpmCommand.Classify(command));

    [Fact]
    public void A_title_cut_before_its_role_takes_the_role_from_STAT()
    {
        // ps aux on a narrow terminal: only "php-fpm: " is left of the commands; the master is a session leader (Ss).
        string text = """
            $ ps aux | grep php-fpm
            root      900  0.0  0.1  60284 16008 ?        Ss   04:32   0:00 php-fpm:
            www-data  901  0.0  0.1  62364 11188 ?        S    04:32   0:00 php-fpm:
            www-data  902  0.0  0.1  62364 11200 ?        R    04:32   0:00 php-fpm:
            """;
        var b = Assert.Single(Imports.FromText(text).Log.Blocks);
        Assert.Equal([(900, ProcessRole.Master), (901, ProcessRole.Child), (902, ProcessRole.Child)], b.Processes.Select(p => (p.Pid, p.Role)));
    }

    [Fact]
    public void Without_a_title_the_role_comes_from_PPID()
    {
        string text = """
            $ ps -C php-fpm8.2 -o pid,ppid,rss,vsz,comm
                PID    PPID   RSS    VSZ COMMAND
                900       1 16008  60284 php-fpm8.2
                901     900 11188  62364 php-fpm8.2
                905     900  9000  62364 php-fpm8.2
            """;
        var b = Assert.Single(Imports.FromText(text).Log.Blocks);
        Assert.Equal([(900, ProcessRole.Master, 16008L), (901, ProcessRole.Child, 11188L), (905, ProcessRole.Child, 9000L)],
            b.Processes.Select(p => (p.Pid, p.Role, p.Line.RssKb)));
    }

    [Fact]
    public void The_S_column_alone_cannot_tell_the_master()
    {
        // ps -o s gives the state letter without BSD STAT's session flag.
        string text = """
            $ ps axo pid,s,rss,comm
                PID S   RSS COMMAND
                900 S 16008 php-fpm8.2
                901 S 11188 php-fpm: pool www
            """;
        var log = Imports.FromText(text).Log;
        Assert.Equal([(901, 'S')], log.Blocks[0].Processes.Select(p => (p.Pid, p.Line.State)));
        Assert.Equal(1, log.Counts.UnknownRoleLines);
    }

    [Fact]
    public void Without_title_STAT_or_PPID_the_lines_are_ignored_and_said_so()
    {
        string text = """
            $ ps -C php-fpm8.2 -o pid,rss,comm
                PID   RSS COMMAND
                900 16008 php-fpm8.2
                901 11188 php-fpm8.2
                902 11190 php-fpm: pool www
            """;
        var log = Imports.FromText(text).Log;
        Assert.Equal([902], log.Blocks[0].Processes.Select(p => p.Pid));
        Assert.Equal(2, log.Counts.UnknownRoleLines);
        Assert.Contains(log.Notes, n => n.Contains("2 php-fpm line(s) ignored", StringComparison.Ordinal));
    }
}
