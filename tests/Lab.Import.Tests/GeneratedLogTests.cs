using Lab.Core.Records;
using Lab.Import.Following;

namespace Lab.Import.Tests;

/// <summary>Seeded generated pools, rendered in the awkward forms people paste: the import recovers every PID and RSS exactly.</summary>
public class GeneratedLogTests
{
    public static TheoryData<string> Styles => new(StyleByName.Keys);

    private static readonly Dictionary<string, LogStyle> StyleByName = new[]
    {
        new LogStyle { Name = "aux-grep-prompts" },
        new LogStyle { Name = "aux-grep-cut-ragged-warnings-colors", Truncate = true, Ragged = true, Warnings = true, Colors = true },
        new LogStyle { Name = "aux-grep-crlf-php-fpm8.2", Crlf = true, ProcessName = "php-fpm8.2", Truncate = true },
        new LogStyle { Name = "aux-grep-lab-fpm", ProcessName = "lab-fpm", Ragged = true },
        new LogStyle { Name = "aux-with-header", Grep = false, Ragged = true, Truncate = true },
        new LogStyle { Name = "o-pid-rss-vsz-cmd-header", Grep = false, Columns = ["pid", "rss", "vsz", "cmd"] },
        new LogStyle { Name = "o-any-order-header", Grep = false, Columns = ["vsz", "rss", "pid", "args"], Ragged = true },
        new LogStyle { Name = "o-command-in-the-middle", Grep = false, Columns = ["user", "pid", "args", "rss", "vsz"], Truncate = true },
        new LogStyle { Name = "o-no-header-from-prompt", Grep = false, NoHeader = true, Columns = ["rss", "pid", "vsz", "args"], Warnings = true },
        new LogStyle { Name = "o-grep-no-vsz", Columns = ["pid", "rss", "cmd"], Ragged = true },
        new LogStyle { Name = "o-lstart-stat-time", Grep = false, Columns = ["pid", "lstart", "stat", "time", "rss", "vsz", "cmd"] },
        new LogStyle { Name = "loop-dates-before", Prompts = false, DateBefore = true, Ragged = true },
        new LogStyle { Name = "loop-dates-after", Prompts = false, DateAfter = true },
        new LogStyle { Name = "loop-bare", Prompts = false, Truncate = true },
        new LogStyle { Name = "loop-headers", Prompts = false, Grep = false, Columns = ["pid", "rss", "vsz", "cmd"] },
        new LogStyle { Name = "mixed", Mixed = true },
    }.ToDictionary(s => s.Name);

    [Theory]
    [MemberData(nameof(Styles))]
    public void Every_PID_and_RSS_is_recovered_exactly(string styleName)
    {
        var style = StyleByName[styleName];
        for (int seed = 1; seed <= 6; seed++)
        {
            int children = 1 + seed % 3;
            var truth = LogGenerator.Pool(seed, blocks: 12 + seed, children, maxRequests: 3 + seed % 4, name: style.ProcessName);
            string text = LogGenerator.Render(truth, style, seed * 31);
            var log = Imports.FromText(text).Log;
            string where = $"style {styleName}, seed {seed}";

            Assert.True(truth.Count == log.Blocks.Count, $"{where}: {log.Blocks.Count} blocks, expected {truth.Count}\n{text}");
            for (int i = 0; i < truth.Count; i++)
            {
                var expected = truth[i].Fpm.Select(p => (p.Pid, p.Role, p.Rss)).ToList();
                var actual = log.Blocks[i].Processes.Select(p => (p.Pid, p.Role, p.Line.RssKb)).ToList();
                Assert.True(expected.SequenceEqual(actual), $"{where}, block {i}: expected {string.Join(" ", expected)}, got {string.Join(" ", actual)}");
                if (style.HasVsz && !style.Mixed)
                    Assert.Equal(truth[i].Fpm.Select(p => p.Vsz), log.Blocks[i].Processes.Select(p => p.Line.VszKb ?? -1));
            }
            Assert.Equal(truth.Sum(b => b.Fpm.Count), log.Counts.FpmLines);
            if (style.Grep && !style.Mixed) Assert.Equal(truth.Count, log.Counts.GrepLines);
            if (style.DateBefore || style.DateAfter)
            {
                Assert.Equal(TimeSource.Timestamps, log.TimeSource);
                Assert.Equal(truth.Select(b => b.T), log.Blocks.Select(b => b.T));
                Assert.Equal(LogGenerator.Start, log.EpochUtc);
            }
            else Assert.Equal(Enumerable.Range(0, truth.Count).Select(i => (double)i), log.Blocks.Select(b => b.T));
        }
    }

    [Fact]
    public void Non_php_fpm_processes_are_ignored_and_counted()
    {
        var truth = LogGenerator.Pool(7, blocks: 40, children: 2, maxRequests: 5);
        var log = Imports.FromText(LogGenerator.Render(truth, new LogStyle(), 3)).Log;
        int others = truth.Sum(b => b.Others.Count);
        Assert.True(others > 0, "the generator should mix in other php processes");
        Assert.Equal(others, log.Counts.OtherProcessLines);
        Assert.Contains(log.IgnoredCommands, c => c.StartsWith("php /var/www/artisan", StringComparison.Ordinal));
        Assert.DoesNotContain(log.Blocks.SelectMany(b => b.Processes), p => p.Line.Command.StartsWith("php ", StringComparison.Ordinal));
    }

    [Fact]
    public void Warnings_and_other_text_are_skipped_and_counted()
    {
        var truth = LogGenerator.Pool(11, blocks: 30, children: 1, maxRequests: 4);
        string text = LogGenerator.Render(truth, new LogStyle { Warnings = true }, 5);
        var log = Imports.FromText(text).Log;
        int expected = text.Split('\n').Count(l => l.StartsWith("bash: warning", StringComparison.Ordinal)
            || l.StartsWith("Warning: bad ps", StringComparison.Ordinal) || l.StartsWith("See https", StringComparison.Ordinal)) + 1; // + "Last login"
        Assert.True(expected > 3);
        Assert.Equal(expected, log.Counts.TextLines);
        Assert.Contains(log.SkippedText, t => t.Contains("Last login", StringComparison.Ordinal));
    }

    [Fact]
    public void A_replaced_child_PID_is_gone_cause_unknown_never_a_guessed_recycle()
    {
        for (int seed = 1; seed <= 5; seed++)
        {
            var truth = LogGenerator.Pool(seed, blocks: 40, children: 1 + seed % 3, maxRequests: 3);
            var run = Imports.FromText(LogGenerator.Render(truth, new LogStyle(), seed)).Run;
            int replaced = 0;
            for (int i = 1; i < truth.Count; i++)
            {
                var before = truth[i - 1].Fpm.Where(p => p.Role == ProcessRole.Child).Select(p => p.Pid).ToHashSet();
                replaced += truth[i].Fpm.Count(p => p.Role == ProcessRole.Child && !before.Contains(p.Pid));
            }
            Assert.True(replaced > 3);
            Assert.Equal(replaced, run.Stats.Replaced);
            Assert.Equal(replaced, run.Stats.Spawns);
            Assert.Equal(replaced, run.Stats.Gone);
            Assert.All(run.Ticks.SelectMany(t => t.Events).Where(e => e.Event == EventNames.Exit), e => Assert.Equal("unknown;gone", e.Detail));
            Assert.Equal(truth.SelectMany(b => b.Fpm).Where(p => p.Role == ProcessRole.Child).Select(p => p.Pid).Distinct().Count(), run.Stats.ChildPids.Count);
        }
    }
}
