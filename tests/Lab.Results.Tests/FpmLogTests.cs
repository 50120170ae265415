using Lab.Core.Engines;
using Lab.Core.Records;

namespace Lab.Results.Tests;

public class FpmLogTests
{
    private static string[] FpmLines(ResultsWriter w) =>
        File.ReadAllText(Path.Combine(w.Directory, "fpm.log")).Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void Lines_have_php_fpm_prefix_at_epoch_plus_t()
    {
        using var tmp = new TempDir();
        using var w = Runs.Create(tmp.Run()); // epoch 2026-01-01 00:00:00
        w.Log(3725.9, FpmLogLevel.Notice, "[pool www] child 101 started");
        w.Log(86400 + 61, FpmLogLevel.Warning, "[pool www] server reached pm.max_children setting (5), consider raising it");
        w.Complete(RunOutcome.Complete, Runs.Manifest());
        Assert.Equal(
            ["[01-Jan-2026 01:02:05] NOTICE: [pool www] child 101 started",
             "[02-Jan-2026 00:01:01] WARNING: [pool www] server reached pm.max_children setting (5), consider raising it"],
            FpmLines(w));
    }

    [Fact]
    public void Lines_below_the_log_level_are_left_out()
    {
        using var tmp = new TempDir();
        using var notice = Runs.Create(tmp.Run("notice"), Runs.Header(logLevel: FpmLogLevel.Notice));
        using var debug = Runs.Create(tmp.Run("debug"), Runs.Header(logLevel: FpmLogLevel.Debug));
        using var warning = Runs.Create(tmp.Run("warning"), Runs.Header(logLevel: FpmLogLevel.Warning));
        foreach (var w in new[] { notice, debug, warning })
        {
            w.Log(1, FpmLogLevel.Debug, "d");
            w.Log(2, FpmLogLevel.Notice, "n");
            w.Log(3, FpmLogLevel.Warning, "w");
            w.Log(4, FpmLogLevel.Error, "e");
            w.Complete(RunOutcome.Complete, Runs.Manifest());
        }
        static string Levels(string[] lines) => string.Join(",", lines.Select(l => l.Split("] ")[1].Split(':')[0]));
        Assert.Equal("NOTICE,WARNING,ERROR", Levels(FpmLines(notice)));
        Assert.Equal("DEBUG,NOTICE,WARNING,ERROR", Levels(FpmLines(debug)));
        Assert.Equal("WARNING,ERROR", Levels(FpmLines(warning)));
    }

    [Fact]
    public void Raw_lines_are_written_verbatim_whatever_the_level()
    {
        using var tmp = new TempDir();
        using var w = Runs.Create(tmp.Run(), Runs.Header(logLevel: FpmLogLevel.Alert));
        const string raw = "[04-Mar-2026 10:11:22] DEBUG: pid 13670, fpm_event_loop(), line 400: event module triggered";
        w.RawLog(raw);
        w.Log(1, FpmLogLevel.Notice, "filtered out");
        w.Complete(RunOutcome.Complete, Runs.Manifest());
        Assert.Equal([raw], FpmLines(w));
    }
}
