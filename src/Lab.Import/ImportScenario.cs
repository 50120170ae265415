using System.Globalization;
using System.Text;
using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.Import.Following;
using Lab.Import.Parsing;
using Lab.Scenarios;

namespace Lab.Import;

/// <summary>
/// The scenario.toml of an imported log. An import is no run, and there is no "import" engine
/// in a scenario: the file describes what the log shows as a scenario that would reproduce it
/// (its engine the one the processes came from: php-fpm, or dotnet for the lab's lab-fpm;
/// manifest.json and summary.json say engine "import"), each inferred setting explained in the
/// header comment:
/// <list type="bullet">
/// <item>pm static with max_children = the children per block when that count never changes,
/// else dynamic between the fewest and the most children seen;</item>
/// <item>max_requests = the most common number of blocks a child lived through between
/// appearing and being recycled (one ps per request), 0 when no whole life was seen;</item>
/// <item>request leak = the fitted RSS growth per observation; the memory model's baselines =
/// the RSS and VSZ of fresh children and of the master;</item>
/// <item>sample interval = the blocks' spacing; load = one request per block.</item>
/// </list>
/// </summary>
public static class ImportScenario
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Scenario Build(PsLog log, FollowedRun run, string name)
    {
        var st = run.Stats;
        double spacingS = log.Blocks.Count >= 2 && log.MedianSpacingS > 0 ? log.MedianSpacingS : 1.0;
        var spacing = TimeSpan.FromMilliseconds(Math.Max(1, Math.Round(spacingS * 1000)));
        double lastT = log.Blocks.Count > 0 ? log.Blocks[^1].T : 0;
        var duration = TimeSpan.FromMilliseconds(Math.Max(1, Math.Round((lastT + spacing.TotalSeconds) * 1000)));

        var samples = run.Ticks.SelectMany(t => t.Samples).ToList();
        bool labFpm = log.Blocks.SelectMany(b => b.Processes).All(p => FpmCommand.IsLabFpm(p.Line.Command));

        var pool = new PoolSettings();
        int maxChildren = Math.Max(1, st.MaxChildren);
        if (st.MinChildren == st.MaxChildren || st.MaxChildren <= 1)
            pool = pool with { Pm = ProcessManagerStyle.Static, MaxChildren = maxChildren };
        else
        {
            int minSpare = Math.Max(1, st.MinChildren);
            int firstCount = run.Ticks[0].Samples.Count(s => s.Role == ProcessRole.Child);
            pool = pool with
            {
                Pm = ProcessManagerStyle.Dynamic, MaxChildren = maxChildren, MinSpareServers = minSpare, MaxSpareServers = maxChildren,
                StartServersSetting = Math.Clamp(firstCount, minSpare, maxChildren),
            };
        }
        pool = pool with { MaxRequests = MostCommon(st.CompletedLifetimes) };

        double leak = double.IsFinite(st.LeakKbPerObservation) && st.LeakKbPerObservation > 0 ? Math.Round(st.LeakKbPerObservation) : 0;
        var memory = new MemoryModel();
        var fresh = FreshChildren(run).ToList();
        var children = samples.Where(s => s.Role == ProcessRole.Child).ToList();
        long childRss = fresh.Count > 0 ? Median(fresh.Select(s => s.RssKb)) : children.Count > 0 ? children.Min(s => s.RssKb) : memory.ChildBaselineKb;
        long childVsz = fresh.Count > 0 ? Median(fresh.Select(s => s.VszKb)) : children.Count > 0 ? children.Min(s => s.VszKb) : memory.ChildVszKb;
        var master = samples.FirstOrDefault(s => s.Role == ProcessRole.Master);
        memory = memory with
        {
            ChildBaselineKb = Math.Max(1, childRss),
            ChildVszKb = childVsz > 0 ? childVsz : memory.ChildVszKb,
            MasterRssKb = master.Pid != 0 ? Math.Max(1, master.RssKb) : memory.MasterRssKb,
            MasterVszKb = master.Pid != 0 && master.VszKb > 0 ? master.VszKb : memory.MasterVszKb,
        };

        return new Scenario
        {
            Name = name,
            Title = $"Imported ps log {log.SourceName}",
            Description = Describe(log, run),
            Engine = labFpm ? EngineKind.Dotnet : EngineKind.PhpFpm,
            Duration = duration,
            SampleInterval = spacing,
            Pool = pool,
            Request = new RequestProfile { LeakKb = Distribution.Const(leak) },
            Load = new LoadPlan
            {
                Phases = [new LoadPhase { Kind = LoadPhaseKind.Inject, Rate = 1.0 / spacing.TotalSeconds, During = duration }],
                Iterations = Math.Max(1, log.Blocks.Count),
            },
            Memory = memory,
        };
    }

    /// <summary>The TOML text: a header comment on the import, then ScenarioWriter's resolved scenario.</summary>
    public static string ToToml(Scenario scenario, PsLog log, FollowedRun run)
    {
        var st = run.Stats;
        var p = scenario.Pool;
        var w = new StringBuilder();
        w.Append("# Imported by ./run.sh import from ").Append(log.SourceName).Append(" (")
            .Append(log.Blocks.Count.ToString(Inv)).Append(" ps blocks).\n")
            .Append("# This is not a run of the lab: manifest.json and summary.json say engine \"import\".\n")
            .Append("# Below, what the log shows as a scenario that would reproduce it (engine: where the\n")
            .Append("# processes came from), with these settings inferred from the log:\n");
        w.Append("#   pm = \"").Append(p.Pm.ToString().ToLowerInvariant()).Append("\", max_children = ").Append(p.MaxChildren.ToString(Inv))
            .Append(st.MinChildren == st.MaxChildren
                ? $": {st.MaxChildren} {(st.MaxChildren == 1 ? "child" : "children")} in every block\n"
                : $": {st.MinChildren} to {st.MaxChildren} children per block\n");
        w.Append("#   max_requests = ").Append(p.MaxRequests.ToString(Inv)).Append(p.MaxRequests > 0
            ? $": children lived {p.MaxRequests} blocks from appearing to being recycled (one ps per request)\n"
            : ": no child was seen both appearing and being recycled (0 = unknown here)\n");
        w.Append("#   request.leak = ").Append(ScenarioUnits.FormatSizeKb(scenario.Request.LeakKb.A))
            .Append(": the fitted RSS growth per observation (one ps per request in the article)\n");
        w.Append("#   memory.child_baseline, child_vsz, master_rss, master_vsz: fresh children's and the master's RSS/VSZ in the log\n");
        w.Append("#   sample_interval = ").Append(ScenarioUnits.FormatDuration(scenario.SampleInterval))
            .Append(log.TimeSource == TimeSource.Interval ? ": --interval (the log has no timestamps)\n" : ": the median spacing of the log's timestamps\n");
        w.Append("# Everything else (memory_limit, work per request, ...) is a default: the log cannot show it.\n");
        w.Append('\n');
        w.Append(ScenarioWriter.ToToml(scenario));
        return w.ToString();
    }

    private static string Describe(PsLog log, FollowedRun run)
    {
        var st = run.Stats;
        return $"Imported from the ps log {log.SourceName}: {log.Blocks.Count} ps blocks, master PID(s) {string.Join(", ", st.MasterPids)}, "
            + $"{st.ChildPids.Count} child PID(s), {st.Recycles} recycle(s) detected (a child vanished as another appeared), {st.Gone} child(ren) gone. "
            + "ps does not show requests: samples.csv's requests column counts the blocks each PID was seen in before, "
            + "so leak_kb_per_request in summary.json is KiB per observation (one ps per request, as in the article).";
    }

    /// <summary>Each child's first sample when it appeared after the first block (a fresh child).</summary>
    private static IEnumerable<Sample> FreshChildren(FollowedRun run)
    {
        for (int i = 1; i < run.Ticks.Count; i++)
        {
            var tick = run.Ticks[i];
            foreach (var p in tick.NewProcesses.Where(p => p.Role == ProcessRole.Child))
                foreach (var s in tick.Samples)
                    if (s.Pid == p.Pid) yield return s;
        }
    }

    private static long Median(IEnumerable<long> values)
    {
        var v = values.Order().ToArray();
        return v.Length == 0 ? 0 : v[(v.Length - 1) / 2];
    }

    /// <summary>The most common value (the smaller on a tie), 0 for none.</summary>
    private static int MostCommon(IReadOnlyList<int> values) =>
        values.Count == 0 ? 0 : values.GroupBy(v => v).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First().Key;
}
