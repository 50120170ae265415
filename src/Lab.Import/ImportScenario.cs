using System.Globalization;
using System.Text;
using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.Import.Following;
using Lab.Import.Parsing;
using Lab.Results;
using Lab.Scenarios;

namespace Lab.Import;

/// <summary>
/// The scenario.toml of an imported log. An import is no run, and there is no "import" engine
/// in a scenario: the file describes what the log shows as a scenario that would reproduce it
/// (its engine the one the processes came from: php-fpm, or dotnet for the lab's lab-fpm;
/// manifest.json and summary.json say engine "import"). A ps log gives the processes' RSS and
/// VSZ, their PIDs and the times of the snapshots — not the pool's settings: those are left
/// unknown, never guessed (commented out in the file, "unknown" in import.json, the report and
/// the titles). What the log does give:
/// <list type="bullet">
/// <item>the memory model's baselines = the RSS and VSZ of fresh children and of the master;</item>
/// <item>sample interval = the blocks' spacing; duration = the log's span;</item>
/// <item>the load: the rate given at import (--rate, --requests-per-block), else unknown (the file's load is a placeholder).</item>
/// </list>
/// </summary>
public static class ImportScenario
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The settings an import leaves unknown: the pool's and the requests', and the load unless a rate was given.</summary>
    public static IReadOnlyList<string> Unknown(RequestRate rate) =>
        rate.Known ? ImportInfo.NeverInALog.Where(k => k != "load").ToList() : ImportInfo.NeverInALog;

    public static Scenario Build(PsLog log, FollowedRun run, string name, RequestRate? rate = null)
    {
        rate ??= RequestRate.Unknown;
        double spacingS = log.Blocks.Count >= 2 && log.MedianSpacingS > 0 ? log.MedianSpacingS : 1.0;
        var spacing = TimeSpan.FromMilliseconds(Math.Max(1, Math.Round(spacingS * 1000)));
        double lastT = log.Blocks.Count > 0 ? log.Blocks[^1].T : 0;
        var duration = TimeSpan.FromMilliseconds(Math.Max(1, Math.Round((lastT + spacing.TotalSeconds) * 1000)));

        var samples = run.Ticks.SelectMany(t => t.Samples).ToList();
        bool labFpm = log.Blocks.SelectMany(b => b.Processes).All(p => FpmCommand.IsLabFpm(p.Line.Command));

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

        // The pool's settings are not in a ps log: the defaults stand in the file (commented out, "unknown").
        double perSecond = rate.RateRps ?? (rate.RequestsPerBlock is { } n ? n / spacing.TotalSeconds : 1.0 / spacing.TotalSeconds);
        return new Scenario
        {
            Name = name,
            Title = $"Imported {log.FormatName} {log.SourceName}",
            Description = Describe(log, run, rate),
            Engine = labFpm ? EngineKind.Dotnet : EngineKind.PhpFpm,
            Duration = duration,
            SampleInterval = spacing,
            Pool = new PoolSettings(),
            Request = new RequestProfile(),
            Load = new LoadPlan
            {
                Phases = [new LoadPhase { Kind = LoadPhaseKind.Inject, Rate = Math.Max(1e-6, perSecond), During = duration }],
            },
            Memory = memory,
        };
    }

    /// <summary>The TOML text: a header comment on the import, then ScenarioWriter's scenario with the unknown settings commented out.</summary>
    public static string ToToml(Scenario scenario, PsLog log, FollowedRun run, RequestRate? rate = null)
    {
        rate ??= RequestRate.Unknown;
        var w = new StringBuilder();
        w.Append("# Imported by ./run.sh import from ").Append(log.SourceName).Append(" (")
            .Append(log.Blocks.Count.ToString(Inv)).Append(' ').Append(log.SnapshotWord).Append("s).\n")
            .Append("# This is not a run of the lab: manifest.json and summary.json say engine \"import\".\n")
            .Append(log.Format switch
            {
                LogFormat.Smem => "# smem shows processes (PIDs, Swap, USS, PSS, RSS) at the times of its snapshots, not the pool's settings:\n",
                LogFormat.SmapsRollup => "# smaps_rollup shows processes (PIDs, Rss, Pss, Private_*, Swap) at the times of its snapshots, not the pool's settings:\n",
                _ => "# A ps log shows processes (PIDs, RSS, VSZ) at the times of its snapshots, not the pool's settings:\n",
            })
            .Append("# those are left unknown here (commented out) and the lab's defaults stand in when this file is run.\n")
            .Append("# From the log: memory.child_baseline, child_vsz, master_rss, master_vsz (fresh children's and the\n")
            .Append("# master's RSS/VSZ), sample_interval = ").Append(ScenarioUnits.FormatDuration(scenario.SampleInterval))
            .Append(log.TimeSource == TimeSource.Interval ? " (--interval: the log has no timestamps)" : " (the median spacing of the log's timestamps)").Append(".\n")
            .Append(rate.Known
                ? $"# The load: the rate given at import ({(rate.RateRps is { } r ? $"--rate {r.ToString("0.###", Inv)}" : $"--requests-per-block {rate.RequestsPerBlock!.Value.ToString("0.###", Inv)}")}).\n"
                : "# The load is unknown too: the phase below is a placeholder (one request per snapshot), not what the log shows.\n");
        w.Append('\n');
        var unknown = Unknown(rate).ToHashSet();
        string section = "";
        foreach (var line in ScenarioWriter.ToToml(scenario).Split('\n'))
        {
            string trimmed = line.Trim();
            if (trimmed.StartsWith('[')) section = trimmed.Trim('[', ']');
            int eq = line.IndexOf(" = ", StringComparison.Ordinal);
            if (eq > 0 && !trimmed.StartsWith('#') && section.Length > 0)
            {
                string key = section + "." + line[..eq].Trim();
                // the pool's directives and what the requests do (the load stays: without a rate it is a placeholder, said above)
                if (section is "pool" or "request" && unknown.Any(u => key == u || key.StartsWith(u + ".", StringComparison.Ordinal)) || (section == "pool" && key != "pool.name"))
                {
                    w.Append("# ").Append(line[..eq].Trim()).Append(": unknown (the log does not say)\n");
                    continue;
                }
            }
            w.Append(line).Append('\n');
        }
        return w.ToString().TrimEnd('\n') + "\n";
    }

    private static string Describe(PsLog log, FollowedRun run, RequestRate rate)
    {
        var st = run.Stats;
        string tool = log.ToolName;
        return $"Imported from the {log.FormatName} {log.SourceName}: {log.Blocks.Count} {log.SnapshotWord}s, master PID(s) {string.Join(", ", st.MasterPids)}, "
            + $"{st.ChildPids.Count} child PID(s), {st.Gone} gone (cause unknown: a {log.FormatName} cannot tell pm.max_requests from an idle kill or a crash). "
            + (log.HasPss ? $"It gives each process's PSS and USS beside its RSS: samples.csv's pss_kb, uss_kb and swap_kb are the {tool} figures. " : "")
            + (rate.Known
                ? $"{tool} does not show requests: samples.csv's requests column estimates them from the rate given at import, shared by the children present."
                : $"{tool} does not show requests: samples.csv's requests column counts the blocks each PID was seen in before, so the leak in summary.json is per observation ({(log.Format == LogFormat.Ps ? "ps snapshot" : "snapshot")}), not per request.")
            + " The pool's settings (pm, max_children, max_requests, memory_limit, ...) are not in the log: unknown.";
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
}
