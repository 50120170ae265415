using Lab.Core.Records;
using Lab.Results;
using static Lab.Import.Tests.MemoryCaptures;

namespace Lab.Import.Tests;

/// <summary>
/// Real smem and smaps_rollup captures of a php-fpm pool with opcache (Samples/), imported: every
/// process of every snapshot in samples.csv with the capture's own RSS, PSS, USS and swap; the
/// summed PSS below the summed RSS; roles, times and what was skipped.
/// </summary>
public class MemoryCaptureTests
{
    private static (ImportedLog Imported, RunFolder Run) ImportAndRead(string name, TempDir tmp, ImportOptions? options = null)
    {
        options ??= Imports.Options;
        var imported = PsLogImport.Read(PathOf(name), options);
        var written = PsLogImport.Write(imported, tmp.Path("out"), "test", options);
        return (imported, RunFolder.Open(written.Directory));
    }

    /// <summary>samples.csv's rows grouped by tick, in time order: PID → (role, rss, pss, uss, swap).</summary>
    private static List<Dictionary<int, (ProcessRole Role, long Rss, long Pss, long Uss, long Swap)>> Ticks(RunFolder run)
    {
        var s = run.Samples;
        return Enumerable.Range(0, s.Count).GroupBy(i => s.T[i]).OrderBy(g => g.Key)
            .Select(g => g.ToDictionary(i => s.Pid[i], i => (s.Role[i], s.RssKb[i], s.PssKb[i], s.UssKb[i], s.SwapKb[i]))).ToList();
    }

    private static void AssertSameAsCapture(List<List<Truth>> truth, RunFolder run)
    {
        var ticks = Ticks(run);
        Assert.Equal(truth.Count, ticks.Count);
        for (int i = 0; i < truth.Count; i++)
        {
            Assert.Equal(truth[i].Select(t => t.Pid).Order(), ticks[i].Keys.Order());
            foreach (var t in truth[i])
            {
                var got = ticks[i][t.Pid];
                Assert.Equal((t.Rss, t.Pss, t.Uss, t.Swap), (got.Rss, got.Pss, got.Uss, got.Swap));
                Assert.Equal(t.Pid == MasterPid ? ProcessRole.Master : ProcessRole.Child, got.Role);
            }
            // what the host pays (summed PSS) is well below what ps adds up to (summed RSS): opcache and the libraries are shared
            long rss = ticks[i].Values.Sum(v => v.Rss), pss = ticks[i].Values.Sum(v => v.Pss);
            Assert.True(pss * 3 < rss * 2, $"tick {i}: summed PSS {pss} KiB against summed RSS {rss} KiB");
        }
    }

    [Fact]
    public void Smem_in_KiB_imports_with_the_capture_s_values_per_pid()
    {
        using var tmp = new TempDir();
        var truth = SmemSnapshots(Smem);
        Assert.Equal(12, truth.Count);
        var (imported, run) = ImportAndRead(Smem, tmp);
        Assert.Equal(LogFormat.Smem, imported.Log.Format);
        Assert.True(run.Samples.HasPss);
        AssertSameAsCapture(truth, run);
        Assert.Equal(truth.Sum(s => s.Count), imported.Log.Counts.FpmLines);
        // the child that ended while smem read it ("?"), not counted as php-fpm
        Assert.Equal(1, imported.Log.Counts.OtherProcessLines);
        Assert.Contains(imported.Log.Notes, n => n.Contains("with no command (\"?\""));
        // summary.json: the peak summed PSS is the capture's
        var summary = run.SummaryOrComputed(out _);
        Assert.Equal(truth.Max(s => s.Sum(t => t.Pss)), summary.PeakPoolPssKb);
    }

    [Fact]
    public void Smem_times_come_from_the_date_lines_before_each_snapshot()
    {
        using var tmp = new TempDir();
        var (imported, _) = ImportAndRead(Smem, tmp);
        var log = imported.Log;
        Assert.Equal(TimeSource.Timestamps, log.TimeSource);
        var dates = Lines(Smem).Where(l => l.EndsWith(" UTC 2026", StringComparison.Ordinal))
            .Select(l => DateTime.ParseExact(string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries)), "ddd MMM d HH:mm:ss 'UTC' yyyy", System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(log.Blocks.Count, dates.Count);
        for (int i = 0; i < dates.Count; i++) Assert.Equal((dates[i] - dates[0]).TotalSeconds, log.Blocks[i].T, 6);
        Assert.Equal(DateTime.SpecifyKind(dates[0], DateTimeKind.Utc), log.EpochUtc);
    }

    [Fact]
    public void Smem_k_with_totals_imports_its_rounded_units()
    {
        using var tmp = new TempDir();
        var truth = SmemSnapshots(SmemK);
        Assert.Equal(12, truth.Count);
        var (imported, run) = ImportAndRead(SmemK, tmp, Imports.Options with { Interval = TimeSpan.FromSeconds(2) });
        AssertSameAsCapture(truth, run);
        Assert.Equal(24, imported.Log.Counts.TotalsLines); // 12 × (dashes + sums), not read as processes
        Assert.Contains(imported.Log.Notes, n => n.Contains("smem -k: each size is rounded"));
        // no timestamps: index × --interval
        Assert.Equal(TimeSource.Interval, imported.Log.TimeSource);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => 2.0 * i), imported.Log.Blocks.Select(b => b.T));
    }

    [Fact]
    public void Smaps_rollup_dumps_import_with_the_capture_s_values_per_pid()
    {
        using var tmp = new TempDir();
        var truth = RollupSnapshots(Rollup);
        Assert.Equal(12, truth.Count);
        var (imported, run) = ImportAndRead(Rollup, tmp);
        Assert.Equal(LogFormat.SmapsRollup, imported.Log.Format);
        AssertSameAsCapture(truth, run); // the master by the rule: the lowest PID, in every snapshot
        Assert.Contains(imported.Log.Notes, n => n.Contains($"PID {MasterPid}, the lowest and in every snapshot, is taken as the master"));
        Assert.Equal([MasterPid], imported.Run.Stats.MasterPids);
        Assert.Equal(4, imported.Run.Stats.Gone); // 4 children recycled by pm.max_requests = 20 during the capture
    }

    [Fact]
    public void A_real_dump_with_titles_and_date_lines()
    {
        var log = PsLogImport.Read(PathOf("smaps-rollup-titled-php-fpm.txt"), Imports.Options).Log;
        Assert.Equal(3, log.Blocks.Count);
        Assert.Equal(TimeSource.Timestamps, log.TimeSource);
        Assert.All(log.Blocks, b => Assert.Equal([(14036, ProcessRole.Master), (14037, ProcessRole.Child), (14038, ProcessRole.Child), (14039, ProcessRole.Child)],
            b.Processes.Select(p => (p.Pid, p.Role))));
        Assert.DoesNotContain(log.Notes, n => n.StartsWith("roles:", StringComparison.Ordinal));
        // the first dump: the master's, as the file says
        var master = log.Blocks[0].Processes[0].Line;
        var lines = Lines("smaps-rollup-titled-php-fpm.txt");
        long Field(string key) => long.Parse(lines.First(l => l.StartsWith(key + ":", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        Assert.Equal((Field("Rss"), Field("Pss"), Field("Private_Clean") + Field("Private_Dirty")), (master.RssKb, master.PssKb, master.UssKb));
        Assert.StartsWith("php-fpm: master process (/tmp/", master.Command);
    }

    [Fact]
    public void Titles_beside_the_pids_give_the_roles()
    {
        // the master here is not the lowest PID: only its title can tell
        string text = string.Join('\n',
            Dump("400 php-fpm: pool www", 9000, 4000, 3000), Dump("500 php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)", 6000, 1500, 500),
            Dump("400 php-fpm: pool www", 9500, 4500, 3500), Dump("500 php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)", 6000, 1500, 500));
        var log = Imports.FromText(text).Log;
        Assert.Equal(2, log.Blocks.Count);
        Assert.All(log.Blocks, b => Assert.Equal([(400, ProcessRole.Child), (500, ProcessRole.Master)], b.Processes.Select(p => (p.Pid, p.Role))));
        Assert.DoesNotContain(log.Notes, n => n.StartsWith("roles:", StringComparison.Ordinal));
        Assert.Equal((9500L, 4500L, 3500L), (log.Blocks[1].Processes[0].Line.RssKb, log.Blocks[1].Processes[0].Line.PssKb, log.Blocks[1].Processes[0].Line.UssKb));
    }

    [Fact]
    public void Without_titles_and_without_a_lasting_lowest_pid_no_master_is_named()
    {
        // 100 (the lowest) is in the first snapshot only: a restart, or not the master
        string text = string.Join('\n', Dump("100", 6000, 1500, 500), Dump("200", 9000, 4000, 3000), "Mon Dec  7 10:00:05 UTC 2026", Dump("200", 9100, 4100, 3100), Dump("300", 8000, 3000, 2000));
        var log = Imports.FromText(text).Log;
        Assert.Equal(2, log.Blocks.Count); // the date line separates the snapshots
        Assert.All(log.Blocks.SelectMany(b => b.Processes), p => Assert.Equal(ProcessRole.Child, p.Role));
        Assert.Contains(log.Notes, n => n.Contains("no master is named"));
    }

    [Fact]
    public void A_pid_whose_dump_is_missing_is_skipped_and_blank_lines_separate_nothing()
    {
        string text = string.Join('\n', Dump("10", 6000, 1500, 500), "", "11", "cat: /proc/11/smaps_rollup: No such file or directory", "", Dump("12", 9000, 4000, 3000),
            "", Dump("10", 6000, 1500, 500), "", Dump("12", 9100, 4100, 3100));
        var log = Imports.FromText(text).Log;
        Assert.Equal([[10, 12], [10, 12]], log.Blocks.Select(b => b.Processes.Select(p => p.Pid).ToArray()).ToArray());
        Assert.Contains(log.Notes, n => n.Contains("1 PID line(s) without a smaps_rollup dump under them (PID 11"));
        Assert.Equal(ProcessRole.Master, log.Blocks[0].Processes[0].Role);
    }

    [Fact]
    public void Smem_lists_itself_and_the_import_ignores_it()
    {
        string text = """
              PID User     Command                         Swap      USS      PSS      RSS 
            31000 root     /usr/bin/python3 /usr/bin/s        0    11016    11243    13316 
            30187 root     php-fpm: master process (/e        0      524     1369     5952 
            30188 www-data php-fpm: pool www                  0     4512     7076    16420 
            """;
        var log = Imports.FromText(text).Log;
        var b = Assert.Single(log.Blocks);
        Assert.Equal([(30187, ProcessRole.Master), (30188, ProcessRole.Child)], b.Processes.Select(p => (p.Pid, p.Role)));
        Assert.Equal((5952L, 1369L, 524L, 0L), (b.Processes[0].Line.RssKb, b.Processes[0].Line.PssKb, b.Processes[0].Line.UssKb, b.Processes[0].Line.SwapKb));
        Assert.Contains(log.Notes, n => n.Contains("smem -P php-fpm lists smem itself"));
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("12860", 12860)]
    [InlineData("524.0K", 524)]
    [InlineData("1.3M", 1331)]
    [InlineData("2.3G", 2411725)]
    [InlineData("512.0", 1)] // smem's units() below 1 KiB: bytes
    public void Smem_sizes(string text, long kb)
    {
        Assert.True(Parsing.MemorySize.TryParseKb(text, out long got, out _));
        Assert.Equal(kb, got);
    }

    [Fact]
    public void A_ps_log_still_reads_as_ps_without_pss()
    {
        var imported = PsLogImport.Read(Imports.SamplePath, Imports.Options);
        Assert.Equal(LogFormat.Ps, imported.Log.Format);
        Assert.All(imported.Run.Ticks.SelectMany(t => t.Samples), s => Assert.False(s.HasPss));
        Assert.Equal(-1, imported.Run.Stats.PeakPoolPssKb);
    }

    internal static string Dump(string pidLine, long rss, long pss, long uss) => $"""
        {pidLine}
        55d1c0f4e000-7ffd5e3b1000 ---p 00000000 00:00 0                          [rollup]
        Rss:            {rss,8} kB
        Pss:            {pss,8} kB
        Pss_Anon:              0 kB
        Shared_Clean:          0 kB
        Private_Clean:         0 kB
        Private_Dirty:  {uss,8} kB
        Swap:                  0 kB
        SwapPss:               0 kB
        Locked:                0 kB
        """;
}
