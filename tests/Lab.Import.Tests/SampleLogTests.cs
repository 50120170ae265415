using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.Import.Following;
using Lab.Results;
using Lab.Results.Formats;
using Lab.Scenarios;

namespace Lab.Import.Tests;

/// <summary>The real log: php-fpm with pm.max_children = 1 and pm.max_requests = 5, one ps per request.</summary>
public class SampleLogTests
{
    private const int Master = 13670;

    // The child RSS of each block, as ps printed it.
    private static readonly (int Pid, long Rss)[] Children =
    [
        (13672, 11188), (13672, 13700), (13672, 16924), (13672, 20884),
        (13702, 7148), (13702, 11852), (13702, 15028), (13702, 18920), (13702, 20544),
        (13728, 7148), (13728, 12516), (13728, 16360), (13728, 17916), (13728, 20204),
    ];

    private static ImportedLog Import() => PsLogImport.Read(Imports.SamplePath, Imports.Options);

    [Fact]
    public void Every_block_master_and_child_with_their_exact_RSS()
    {
        var log = Import().Log;
        Assert.Equal(14, log.Blocks.Count);
        for (int i = 0; i < 14; i++)
        {
            var b = log.Blocks[i];
            Assert.Equal(2, b.Processes.Count);
            var m = Assert.Single(b.Processes, p => p.Role == ProcessRole.Master);
            Assert.Equal(Master, m.Pid);
            Assert.Equal(16008, m.Line.RssKb);
            Assert.Equal(60284, m.Line.VszKb);
            var c = Assert.Single(b.Processes, p => p.Role == ProcessRole.Child);
            Assert.Equal(Children[i], (c.Pid, c.Line.RssKb));
            Assert.Equal("php-fpm: pool www", c.Line.Command);
            Assert.Equal(i, b.T); // no timestamps: block index × 1s
        }
        Assert.Equal(TimeSource.Interval, log.TimeSource);
        Assert.Equal(14, log.Counts.Prompts);
        Assert.Equal(14, log.Counts.GrepLines);
        Assert.Equal(28, log.Counts.FpmLines);
        Assert.Equal(0, log.Counts.OtherProcessLines);
        Assert.Equal(0, log.Counts.TextLines);
    }

    [Fact]
    public void Two_children_gone_cause_unknown_and_followed_PIDs()
    {
        var run = Import().Run;
        var st = run.Stats;
        Assert.Equal([Master], st.MasterPids);
        Assert.Equal([13672, 13702, 13728], st.ChildPids);
        // 13672 and 13702 vanished as a new child appeared: the log does not say pm.max_requests did it
        Assert.Equal(2, st.Gone);
        Assert.Equal(2, st.Replaced);
        Assert.Equal(2, st.Spawns);
        Assert.Equal([5], st.Lifetimes); // 13702, seen from appearing to vanishing: 5 blocks (13672 was there before the log)
        Assert.Equal(20884, st.PeakChildRssKb);
        Assert.Equal(13672, st.PeakChildPid);

        var events = run.Ticks.SelectMany(t => t.Events).ToList();
        Assert.Equal(
        [
            new PoolEvent(4, EventNames.Exit, 13672, "unknown;gone"),
            new PoolEvent(4, EventNames.Spawn, 13702, "respawn"),
            new PoolEvent(9, EventNames.Exit, 13702, "unknown;gone"),
            new PoolEvent(9, EventNames.Spawn, 13728, "respawn"),
        ], events);

        // requests = blocks the PID was seen in before: 0,1,2,... per child, 0 for the master.
        var child = run.Ticks.Select(t => t.Samples.Single(s => s.Role == ProcessRole.Child)).ToList();
        Assert.Equal([0L, 1, 2, 3, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4], child.Select(s => s.Requests));
        Assert.All(run.Ticks, t => Assert.Equal(0, t.Samples.Single(s => s.Role == ProcessRole.Master).Requests));
    }

    [Fact]
    public void Three_short_lives_show_the_growth_but_cannot_tell_the_leak_from_the_retention()
    {
        var st = Import().Run.Stats;
        // Each child's RSS from its first observation on (as the results' summary does: a fresh
        // child's first request also pays one-time costs): steps of 3,224, 3,960, 3,176, 3,892,
        // 1,624, 3,844, 1,556, 2,288 KiB. The growth is plain; with 3 to 4 observations a child,
        // whether it is a leak or the allocator filling up cannot be told (the leak's interval is
        // wider than the growth): no leak is claimed.
        Assert.InRange(st.GrowthKb, 2500, 3100);
        Assert.True(double.IsNaN(st.LeakKb));
        Assert.Equal(11, st.FitPoints);
    }

    [Fact]
    public void Writes_a_results_folder_that_reads_back()
    {
        using var tmp = new TempDir();
        var imported = Import();
        var result = PsLogImport.Write(imported, tmp.Path("run"), "./run.sh import sample.txt", Imports.Options);

        var folder = RunFolder.Open(result.Directory);
        Assert.Equal(PsLogImport.EngineName, folder.Manifest.Engine);
        Assert.Equal(Lab.Core.Engines.RunStatus.Complete, folder.Manifest.Status);
        Assert.Equal("./run.sh import sample.txt", folder.Manifest.CommandLine);
        Assert.Equal("import-ps-aux-php-fpm-max-requests-5", folder.Manifest.Scenario);
        Assert.Equal(28, folder.Samples.Count);
        for (int i = 0; i < 14; i++)
        {
            Assert.Equal((double)i, folder.Samples.T[2 * i]);
            Assert.Equal(Master, folder.Samples.Pid[2 * i]);
            Assert.Equal(16008, folder.Samples.RssKb[2 * i]);
            Assert.Equal(Children[i].Pid, folder.Samples.Pid[2 * i + 1]);
            Assert.Equal(Children[i].Rss, folder.Samples.RssKb[2 * i + 1]);
        }
        Assert.Equal(4, folder.Events.Count);
        Assert.Equal(0, folder.Requests.Count);
        Assert.Empty(folder.FpmLog);
        Assert.Equal(ResultsFiles.RequestsHeader + "\n", File.ReadAllText(folder.PathOf(ResultsFiles.Requests)));
        Assert.Contains(folder.Processes, p => p.Pid == 13702 && p.User == "nobody" && p.Command == "php-fpm: pool www" && p.ParentPid == Master);

        var s = folder.Summary!;
        Assert.Equal("import", s.Engine);
        Assert.Equal(0, s.Recycles);              // nothing in the log says pm.max_requests
        Assert.Equal(2, s.ChildrenSpawned);
        Assert.Equal(2, s.ChildExits["gone"]);
        Assert.Equal(3, s.ChildPids);
        Assert.Equal("observation", s.LeakUnit);
        Assert.True(File.Exists(folder.PathOf(ImportInfo.File)));
        Assert.Contains("pool.max_requests", folder.UnknownSettings);
        Assert.Equal(20884, s.PeakChildRssKb);
        Assert.Equal(16008 + 20884, s.PeakPoolRssKb);
        Assert.Equal(0, s.RequestsTotal);
        Assert.Null(s.LeakKbPerRequest);
        Assert.Equal(Math.Round(imported.Run.Stats.GrowthKb, 3), s.RssGrowthKbPerRequest!.Value, 3);
        Assert.Contains("not told apart", s.LeakFitMethod);

        Assert.Equal(File.ReadAllText(Imports.SamplePath), File.ReadAllText(folder.PathOf(PsLogImport.SourceCopy)));
    }

    [Fact]
    public void The_scenario_toml_invents_no_setting_and_parses_as_a_scenario()
    {
        var imported = Import();
        string toml = imported.ScenarioToml;
        Assert.StartsWith("# Imported by ./run.sh import from ps-aux-php-fpm-max-requests-5.txt (14 ps blocks)", toml);
        Assert.Contains("# max_requests: unknown (the log does not say)", toml);
        Assert.Contains("# max_children: unknown (the log does not say)", toml);
        Assert.Contains("# leak: unknown (the log does not say)", toml);
        Assert.DoesNotContain("max_requests = 5", toml);
        var s = ScenarioLoader.Parse(toml, "scenario.toml", imported.Name, []);
        Assert.Equal(EngineKind.PhpFpm, s.Engine);
        Assert.Equal(TimeSpan.FromSeconds(1), s.SampleInterval);
        Assert.Equal(7148, s.Memory.ChildBaselineKb);
        Assert.Equal(16008, s.Memory.MasterRssKb);
        Assert.Equal("Imported ps log ps-aux-php-fpm-max-requests-5.txt", s.Title); // no "max_requests 3" in the title
    }

    [Fact]
    public void The_printed_summary_names_PIDs_the_gone_peak_and_leak_per_observation()
    {
        using var tmp = new TempDir();
        var result = PsLogImport.Write(Import(), tmp.Path("run"), "./run.sh import x", Imports.Options);
        string text = string.Join('\n', PsLogImport.SummaryLines(result));
        Assert.Contains("14 ps blocks", text);
        Assert.Contains("master 13670; 3 children 13672, 13702, 13728", text);
        Assert.Contains("2 gone (cause unknown", text);
        Assert.DoesNotContain("recycle", text);
        Assert.Contains("peak child RSS 20.4 MiB (20884 KiB, PID 13672)", text);
        Assert.Matches(@"grew 2,\d\d\d KiB per observation \(ps snapshot\)", text);
        Assert.Contains("not told apart from the allocator's retention", text);
        Assert.Contains("--requests-per-block N or --rate R", text);
        Assert.Contains("pool.max_requests", text);
    }

    [Fact]
    public void With_a_rate_the_snapshots_become_requests()
    {
        var imported = PsLogImport.Read(Imports.SamplePath, Imports.Options with { Rate = new RequestRate(RequestsPerBlock: 2, RateRps: null) });
        var child = imported.Run.Ticks.Select(t => t.Samples.Single(s => s.Role == ProcessRole.Child)).ToList();
        Assert.Equal([0L, 2, 4, 6, 0, 2, 4, 6, 8, 0, 2, 4, 6, 8], child.Select(s => s.Requests));
        Assert.Equal("request", imported.Info.Unit);
        Assert.DoesNotContain("load", imported.Info.Unknown);
        Assert.Contains("pool.max_requests", imported.Info.Unknown);
    }
}
