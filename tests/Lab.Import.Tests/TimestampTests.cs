using Lab.Import.Parsing;

namespace Lab.Import.Tests;

/// <summary>Times of the blocks: the log's timestamps when every block has one, else index × interval.</summary>
public class TimestampTests
{
    [Theory]
    [InlineData("Tue Jan  6 04:32:10 UTC 2026", "2026-01-06T04:32:10")]
    [InlineData("Tue 06 Jan 2026 04:32:10 PM CET", "2026-01-06T16:32:10")]
    [InlineData("Tue 06 Jan 2026 12:05:00 AM UTC", "2026-01-06T00:05:00")]
    [InlineData("2026-01-06T04:32:10+01:00", "2026-01-06T03:32:10")]
    [InlineData("2026-01-06T04:32:10,250000000+00:00", "2026-01-06T04:32:10.25")]
    [InlineData("2026-01-06 04:32:10", "2026-01-06T04:32:10")]
    [InlineData("1767673930", "2026-01-06T04:32:10")]
    [InlineData("1767673930.5", "2026-01-06T04:32:10.5")]
    public void Reads_what_date_prints(string line, string expected)
    {
        Assert.True(LogText.TryParseTimestamp(line, 1, out var mark));
        Assert.True(mark.HasDate);
        Assert.Equal(DateTime.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), mark.Wall);
    }

    [Theory]
    [InlineData("Last login: Tue Jan  6 04:30:12 2026 from 10.0.0.2")]
    [InlineData("root     13670  0.0  0.0  60284 16008 ?  Ss   04:32   0:00 php-fpm: master process")]
    [InlineData("12345")]
    [InlineData("25:61:00")]
    [InlineData("Warning: bad ps syntax, perhaps a bogus '-'?")]
    public void Other_lines_are_no_timestamps(string line) => Assert.False(LogText.TryParseTimestamp(line, 1, out _));

    [Fact]
    public void The_labs_ps_log_line_gives_run_time_and_date()
    {
        Assert.True(LogText.TryParseTimestamp("# t=12.250s 2026-01-01 00:00:12 UTC", 3, out var mark));
        Assert.Equal(12.25, mark.RunT);
        Assert.Equal(new DateTime(2026, 1, 1, 0, 0, 12, DateTimeKind.Utc), mark.Wall);
    }

    private static string Block(int child, long rss) => $"""
        root       900  0.0  0.1  60284 16008 ?        Ss   04:32   0:00 php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)
        www-data  {child}  0.0  0.1  62364 {rss} ?        S    04:32   0:00 php-fpm: pool www
        """;

    [Fact]
    public void Times_of_day_alone_count_past_midnight()
    {
        string text = $"23:59:58\n{Block(901, 11000)}\n23:59:59.5\n{Block(901, 12000)}\n00:00:02\n{Block(901, 13000)}\n";
        var log = Imports.FromText(text).Log;
        Assert.Equal(TimeSource.Timestamps, log.TimeSource);
        Assert.Equal([0, 1.5, 4], log.Blocks.Select(b => b.T));
        Assert.Null(log.EpochUtc); // no date: the import's fallback epoch is used
    }

    [Fact]
    public void Timestamps_after_each_block_are_used_when_the_first_block_has_none_before()
    {
        string text = $"{Block(901, 11000)}\n2026-01-06 04:32:10\n{Block(901, 12000)}\n2026-01-06 04:32:13\n";
        var log = Imports.FromText(text).Log;
        Assert.Equal([0, 3.0], log.Blocks.Select(b => b.T));
        Assert.Equal(new DateTime(2026, 1, 6, 4, 32, 10, DateTimeKind.Utc), log.EpochUtc);
    }

    [Fact]
    public void Timestamps_for_only_some_blocks_fall_back_to_the_interval_and_say_so()
    {
        string text = $"$ date\nTue Jan  6 04:32:10 UTC 2026\n$ ps aux | grep php\n{Block(901, 11000)}\n$ ps aux | grep php\n{Block(901, 12000)}\n$ ps aux | grep php\n{Block(901, 13000)}\n";
        var log = Imports.FromText(text, TimeSpan.FromMilliseconds(250)).Log;
        Assert.Equal(TimeSource.Interval, log.TimeSource);
        Assert.Equal([0, 0.25, 0.5], log.Blocks.Select(b => b.T));
        Assert.Contains(log.Notes, n => n.Contains("only 1 of 3 blocks", StringComparison.Ordinal));
    }

    [Fact]
    public void Timestamps_going_backwards_fall_back_to_the_interval()
    {
        string text = $"2026-01-06 04:32:10\n{Block(901, 11000)}\n2026-01-06 04:32:05\n{Block(901, 12000)}\n";
        var log = Imports.FromText(text).Log;
        Assert.Equal(TimeSource.Interval, log.TimeSource);
        Assert.Contains(log.Notes, n => n.Contains("backwards", StringComparison.Ordinal));
    }
}
