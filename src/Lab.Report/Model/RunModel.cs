using Lab.Core.Engines;
using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.Results;
using Lab.Results.Formats;
using Lab.Scenarios;

namespace Lab.Report.Model;

/// <summary>
/// One process's life as the samples show it: a PID from its first to its last sample (a PID
/// reused later, after a gap, is another life), and how it ended if events.csv says so.
/// </summary>
internal sealed class ProcessLife
{
    public required int Pid { get; init; }
    public required ProcessRole Role { get; init; }
    /// <summary>Row indices into the sample table, in time order.</summary>
    public required int[] Rows { get; init; }
    public double FirstT { get; init; }
    public double LastT { get; init; }
    /// <summary>The exit event's detail ("code 0;max_requests"), null if the samples just stop.</summary>
    public string? ExitDetail { get; set; }
    public double? ExitT { get; set; }
    public string? ExitWhy => ExitDetail is null ? null : SummaryBuilder.ExitWhy(ExitDetail);
}

/// <summary>A run event drawn as a vertical line (restart, reload, the memory guard stopping the run).</summary>
internal readonly record struct RunMark(double T, string Label);

/// <summary>
/// A results folder made ready for plotting and writing about: the scenario parsed back, the
/// summary (computed when summary.json is missing), the samples grouped into process lives,
/// and per-tick pool figures. Built once per report; every figure comes from the folder.
/// </summary>
internal sealed class RunModel
{
    public RunFolder Folder { get; }
    public Summary Summary { get; }
    /// <summary>summary.json was missing (an incomplete run): the summary was computed from the files.</summary>
    public bool SummaryComputed { get; }
    /// <summary>The scenario as run; null when scenario.toml is missing or no longer parses (see ScenarioProblem).</summary>
    public Scenario? Scenario { get; }
    public string? ScenarioProblem { get; }

    public string Name => Folder.Manifest.Scenario;
    public string Engine => Folder.Manifest.Engine;
    public ulong Seed => Folder.Manifest.Seed;
    public RunStatus Status => Folder.Manifest.Status;
    public string Title => Scenario?.Title ?? Name;
    public string Description => Scenario?.Description ?? "";

    public IReadOnlyList<ProcessLife> Lives { get; }
    public IReadOnlyList<ProcessLife> ChildLives { get; }
    public PoolTicks Ticks { get; }
    /// <summary>The sample table's row → tick index.</summary>
    public int[] TickOfRow { get; }
    /// <summary>Seconds between sample ticks (the scenario's, else the median seen).</summary>
    public double SampleInterval { get; }
    /// <summary>The end of the run (s): the last moment the files speak of, or the end of the planned load if later.</summary>
    public double EndT { get; }
    public IReadOnlyList<RunMark> Marks { get; }

    /// <summary>memory_limit in bytes (-1 unlimited); null when the scenario is unknown.</summary>
    public long? MemoryLimitBytes => Scenario?.Pool.MemoryLimitBytes;
    /// <summary>The memory guard's budget for the run's total RSS, when the scenario sets one.</summary>
    public long? GuardMaxRssBytes => Scenario?.Guard.MaxRssBytes;


    private RunModel(RunFolder folder)
    {
        Folder = folder;
        Summary = folder.SummaryOrComputed(out bool computed);
        SummaryComputed = computed;
        (Scenario, ScenarioProblem) = ParseScenario(folder);

        var s = folder.Samples;
        TickOfRow = new int[s.Count];
        var tickT = new List<double>();
        for (int i = 0; i < s.Count; i++)
        {
            if (i == 0 || s.T[i] != s.T[i - 1]) tickT.Add(s.T[i]);
            TickOfRow[i] = tickT.Count - 1;
        }
        SampleInterval = Scenario?.SampleInterval.TotalSeconds is { } si && si > 0 ? si : MedianStep(tickT);
        Lives = GroupLives(s, SampleInterval, folder.Events);
        ChildLives = Lives.Where(l => l.Role == ProcessRole.Child).ToList();
        var firsts = ChildLives.Select(l => (double)s.RssKb[l.Rows[0]]).Order().ToArray();
        ChildBaselineKb = firsts.Length == 0 ? 0 : firsts[firsts.Length / 2];
        var ticks = tickT.ToArray();
        double end = Math.Max(Math.Max(Summary.DurationS, Summary.LoadDurationS), tickT.Count > 0 ? tickT[^1] : 0);
        foreach (var e in folder.Events) end = Math.Max(end, e.T);
        EndT = end;
        // One pass over the requests (streamed: a big run's are never all in memory) gives the
        // requests served by each tick and the latency series.
        var served = new PoolTicks.ServedCounter(ticks);
        if (folder.BySecond is { } seconds)
        {
            served.Add(seconds);
            Latency = LatencySeries.Build(seconds, EndT, SampleInterval);
        }
        else
        {
            var latency = new LatencySeries.Collector(folder.RequestOverview.Count, folder.RequestOverview.LastT, EndT, SampleInterval);
            folder.ForEachRequest(r => { served.Add(r); latency.Add(r); });
            Latency = latency.Build();
        }
        Ticks = PoolTicks.Build(s, ticks, TickOfRow, served.Finish());
        Marks = folder.Events
            .Where(e => e.Event is EventNames.Restart or EventNames.Reload or EventNames.Guard)
            .Select(e => new RunMark(e.T, e.Event == EventNames.Guard ? "memory guard" : e.Event))
            .ToList();
    }

    public static RunModel Build(RunFolder folder) => new(folder);

    /// <summary>Latency and throughput over time, bucketed.</summary>
    public LatencySeries Latency { get; }

    /// <summary>"pm static, max_children 1, max_requests 5": the pool's key settings.</summary>
    public string KeySettings
    {
        get
        {
            if (Scenario is { } sc)
            {
                var p = sc.Pool;
                return $"pm {p.Pm.ToString().ToLowerInvariant()}, max_children {p.MaxChildren}, max_requests {p.MaxRequests}";
            }
            // No scenario: the master's start event records the same settings ("pm=static max_children=1 max_requests=5").
            var start = Folder.Events.FirstOrDefault(e => e.Event == EventNames.Start);
            return start.Detail is { Length: > 0 } d ? string.Join(", ", d.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(kv => kv.Replace('=', ' '))) : "settings unknown";
        }
    }

    /// <summary>The title every plot carries: "&lt;title&gt; — pm static, max_children 1, max_requests 5 (engine sim, seed 42)".</summary>
    public string PlotTitle => $"{Title} — {KeySettings} (engine {Engine}, seed {Seed})";

    /// <summary>A fresh child's RSS: the median of the children's first samples (KiB), 0 if none.</summary>
    public double ChildBaselineKb { get; }

    /// <summary>Requests served by the pool up to time t (the x of the "requests" axis).</summary>
    public double ServedAt(double t) => Ticks.ServedAt(t);

    private static (Scenario?, string?) ParseScenario(RunFolder folder)
    {
        if (string.IsNullOrWhiteSpace(folder.ScenarioToml))
            return (null, $"{ResultsFiles.Scenario} is missing: the settings are unknown");
        try
        {
            return (ScenarioLoader.Parse(folder.ScenarioToml, folder.PathOf(ResultsFiles.Scenario), folder.Manifest.Scenario, []), null);
        }
        catch (ScenarioException e)
        {
            // An older or hand-edited scenario.toml: the report still shows what was measured.
            return (null, $"{ResultsFiles.Scenario} no longer reads as a scenario ({e.Message}): the settings are unknown");
        }
    }

    private static double MedianStep(List<double> tickT)
    {
        if (tickT.Count < 2) return 1;
        var d = new double[tickT.Count - 1];
        for (int i = 1; i < tickT.Count; i++) d[i - 1] = tickT[i] - tickT[i - 1];
        Array.Sort(d);
        double m = d[d.Length / 2];
        return m > 0 ? m : 1;
    }

    /// <summary>
    /// Samples → process lives: consecutive samples of a PID belong to one life unless more than
    /// 2.5 sample intervals pass between them (the PID was reused). Exit events are attached to
    /// the life they end.
    /// </summary>
    private static List<ProcessLife> GroupLives(Lab.Results.Reading.SampleTable s, double interval, IReadOnlyList<PoolEvent> events)
    {
        double gap = 2.5 * interval;
        var current = new Dictionary<int, int>();
        var rows = new List<List<int>>();
        var meta = new List<(int Pid, ProcessRole Role)>();
        for (int i = 0; i < s.Count; i++)
        {
            int pid = s.Pid[i];
            if (current.TryGetValue(pid, out int li))
            {
                var r = rows[li];
                if (s.T[i] - s.T[r[^1]] <= gap && s.Role[r[^1]] == s.Role[i]) { r.Add(i); continue; }
            }
            current[pid] = rows.Count;
            rows.Add([i]);
            meta.Add((pid, s.Role[i]));
        }
        var lives = new List<ProcessLife>(rows.Count);
        for (int k = 0; k < rows.Count; k++)
        {
            var r = rows[k];
            lives.Add(new ProcessLife { Pid = meta[k].Pid, Role = meta[k].Role, Rows = r.ToArray(), FirstT = s.T[r[0]], LastT = s.T[r[^1]] });
        }
        var byPid = lives.GroupBy(l => l.Pid).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var e in events)
        {
            if (e.Event != EventNames.Exit || !byPid.TryGetValue(e.Pid, out var candidates)) continue;
            // The latest life that had started by the exit (within one interval: the exit may come before its first tick).
            ProcessLife? life = null;
            foreach (var c in candidates)
                if (c.FirstT <= e.T + interval && c.ExitDetail is null && (life is null || c.FirstT > life.FirstT)) life = c;
            if (life is null) continue;
            life.ExitDetail = e.Detail;
            life.ExitT = e.T;
        }
        return lives;
    }
}
