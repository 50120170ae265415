using Lab.Core.Engines;
using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.Results;
using Lab.Results.Formats;
using Lab.Results.Lives;
using Lab.Results.Reading;
using Lab.Scenarios;

namespace Lab.Report.Model;

/// <summary>
/// One process's life as the run's records show it: a child from PoolLedger (its readings from
/// the samples and from each request's rss_kb, its spawn and its exit), the master from its
/// samples. A PID reused later is another life.
/// </summary>
internal sealed class ProcessLife
{
    public required int Pid { get; init; }
    public required ProcessRole Role { get; init; }
    /// <summary>Its RSS readings in time order: time, requests served by the pool then, RSS (KiB).</summary>
    public required double[] T { get; init; }
    public required double[] PoolServed { get; init; }
    public required long[] RssKb { get; init; }
    /// <summary>Its USS at each reading: -1 where not read (a request's end, a tick that did not read smaps_rollup).</summary>
    public required long[] UssKb { get; init; }
    /// <summary>Which readings were a request's end (else a sample).</summary>
    public required bool[] FromRequest { get; init; }
    public double FirstT { get; init; }
    public double LastT { get; init; }
    /// <summary>The exit event's detail ("code 0;max_requests"), null if the records just stop.</summary>
    public string? ExitDetail { get; init; }
    public double? ExitT { get; init; }
    public string? ExitWhy => ExitDetail is null ? null : SummaryBuilder.ExitWhy(ExitDetail);
    public int Readings => T.Length;
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
    /// <summary>Every child life (PoolLedger's, as summary.json counts them), measured or not.</summary>
    public IReadOnlyList<ProcessLife> ChildLives { get; }
    public PoolTicks Ticks { get; }
    /// <summary>Requests served by the pool up to a moment.</summary>
    public ServedCounter Served { get; }
    /// <summary>Seconds between sample ticks (the scenario's, else the median seen).</summary>
    public double SampleInterval { get; }
    /// <summary>The end of the run (s): the last moment the files speak of.</summary>
    public double EndT { get; }
    public IReadOnlyList<RunMark> Marks { get; }

    /// <summary>memory_limit in bytes (-1 unlimited); null when the scenario is unknown.</summary>
    public long? MemoryLimitBytes => Known("pool.memory_limit") ? Scenario?.Pool.MemoryLimitBytes : null;
    /// <summary>The memory guard's budget for the run's total RSS, when the scenario sets one.</summary>
    public long? GuardMaxRssBytes => Scenario?.Guard.MaxRssBytes;


    private RunModel(RunFolder folder)
    {
        Folder = folder;
        Summary = folder.SummaryOrComputed(out bool computed);
        SummaryComputed = computed;
        (Scenario, ScenarioProblem) = ParseScenario(folder);

        var s = folder.Samples;
        var tickT = new List<double>();
        for (int i = 0; i < s.Count; i++) if (i == 0 || s.T[i] != s.T[i - 1]) tickT.Add(s.T[i]);
        SampleInterval = Scenario?.SampleInterval.TotalSeconds is { } si && si > 0 ? si : MedianStep(tickT);
        Served = new ServedCounter(s, folder);
        // A big run's report draws its lives from the sample ticks only (every request's reading
        // would hold millions of points): summary.json's peaks still count every request's end.
        bool perRequestReadings = folder.RequestOverview.Count <= MaxRequestReadings;

        // The run replayed in time order through the ledger summary.json's counts come from.
        var ledger = new PoolLedger(keepLives: true);
        var moments = new PoolTicks.Builder();
        var masters = new Dictionary<int, List<int>>(); // master PID → sample rows
        var masterOrder = new List<(int Pid, List<int> Rows)>();
        long tickPool = 0, tickLargest = 0, tickPss = -1, tickUss = 0, tickRssOfPss = 0;
        int tickChildren = 0;
        RunReplay.Visit(folder,
            sample: row =>
            {
                var sample = s[row];
                ledger.Sample(sample, row);
                tickPool += sample.RssKb;
                if (sample.HasPss)
                {
                    // PSS and USS of the processes read at this tick (every pss_interval), and their RSS
                    if (tickPss < 0) tickPss = 0;
                    tickPss += sample.PssKb;
                    tickUss += Math.Max(0, sample.UssKb);
                    tickRssOfPss += sample.RssKb;
                }
                if (sample.Role == ProcessRole.Child)
                {
                    tickChildren++;
                    if (sample.RssKb > tickLargest) tickLargest = sample.RssKb;
                }
                else
                {
                    if (!masters.TryGetValue(sample.Pid, out var rows) || s.T[row] - s.T[rows[^1]] > 2.5 * SampleInterval)
                    {
                        masters[sample.Pid] = rows = new List<int>();
                        masterOrder.Add((sample.Pid, rows));
                    }
                    rows.Add(row);
                }
            },
            endTick: row =>
            {
                double t = s.T[row];
                moments.Add(t, tickPool, tickLargest, tickChildren, Served.At(t), tick: true,
                    tickPss, tickPss >= 0 ? tickUss : -1, tickPss >= 0 ? tickRssOfPss : -1);
                tickPool = tickLargest = tickUss = tickRssOfPss = 0;
                tickPss = -1;
                tickChildren = 0;
            },
            ev: row => ledger.Event(folder.Events[row]),
            request: (r, row) =>
            {
                if (!perRequestReadings) r = r with { RssKb = -1 };
                else if (r.HasRss) RequestReadings = true;
                // a moment of the pool between two ticks, drawn when every running child's RSS is known
                if (ledger.Request(r, row) is not null && r.HasRss && ledger.RunningUnmeasured == 0)
                    moments.Add(r.TEnd, ledger.PoolRssKb, ledger.LargestRunningChildKb, ledger.Running.Count, Served.At(r.TEnd), tick: false);
            });
        Ticks = moments.Build();

        ChildLives = ledger.All.Select(ToLife).ToList();
        var masterLives = masterOrder.Select(m => new ProcessLife
        {
            Pid = m.Pid, Role = ProcessRole.Master,
            T = m.Rows.Select(i => s.T[i]).ToArray(), PoolServed = m.Rows.Select(i => Served.At(s.T[i])).ToArray(),
            RssKb = m.Rows.Select(i => s.RssKb[i]).ToArray(), UssKb = m.Rows.Select(i => s.UssKb[i]).ToArray(), FromRequest = new bool[m.Rows.Count],
            FirstT = s.T[m.Rows[0]], LastT = s.T[m.Rows[^1]],
        });
        Lives = masterLives.Concat(ChildLives).OrderBy(l => l.FirstT).ToList();
        // a fresh child: its first sample before it served a request
        var firsts = ledger.All.Select(l => l.Points!.FirstOrDefault(p => !p.FromRequest && p.Served == 0))
            .Where(p => p.T != 0 || p.RssKb != 0).Select(p => (double)p.RssKb).Order().ToArray();
        ChildBaselineKb = firsts.Length == 0 ? 0 : firsts[firsts.Length / 2];

        double end = Math.Max(Math.Max(Summary.DurationS, Summary.LoadDurationS), tickT.Count > 0 ? tickT[^1] : 0);
        foreach (var e in folder.Events) end = Math.Max(end, e.T);
        end = Math.Max(end, folder.RequestOverview.LastT);
        EndT = end;
        // The latency series: one more pass over the requests (streamed), or the seconds' aggregates.
        if (folder.BySecond is { } seconds) Latency = LatencySeries.Build(seconds, EndT, SampleInterval);
        else
        {
            var latency = new LatencySeries.Collector(folder.RequestOverview.Count, folder.RequestOverview.LastT, EndT, SampleInterval);
            folder.ForEachRequest(r => latency.Add(r));
            Latency = latency.Build();
        }
        Marks = folder.Events
            .Where(e => e.Event is EventNames.Restart or EventNames.Reload or EventNames.Guard)
            .Select(e => new RunMark(e.T, e.Event == EventNames.Guard ? "memory guard" : e.Event))
            .ToList();

        ProcessLife ToLife(ChildLife l)
        {
            var pts = l.Points!;
            return new ProcessLife
            {
                Pid = l.Pid, Role = ProcessRole.Child,
                T = pts.Select(p => p.T).ToArray(), PoolServed = pts.Select(p => Served.At(p.T)).ToArray(),
                RssKb = pts.Select(p => p.RssKb).ToArray(), FromRequest = pts.Select(p => p.FromRequest).ToArray(),
                UssKb = pts.Select(p => !p.FromRequest && p.Row >= 0 ? s.UssKb[p.Row] : -1).ToArray(),
                FirstT = l.FirstT, LastT = Math.Max(l.LastT, l.ExitT ?? l.LastT), ExitDetail = l.ExitDetail, ExitT = l.ExitT,
            };
        }
    }

    public static RunModel Build(RunFolder folder) => new(folder);

    /// <summary>The lives and the pool's moments include requests' ends (their rss_kb), not only the sample ticks.</summary>
    public bool RequestReadings { get; private set; }

    /// <summary>Past this many requests, the lives are drawn from the sample ticks only (see the constructor).</summary>
    public const long MaxRequestReadings = 500_000;

    /// <summary>Latency and throughput over time, bucketed.</summary>
    public LatencySeries Latency { get; }

    /// <summary>
    /// Whether the folder knows a setting: an imported ps log does not know the pool's settings
    /// (import.json lists them as unknown: "request.leak" is unknown when "request" is, and so on).
    /// </summary>
    public bool Known(string key)
    {
        foreach (var u in Folder.UnknownSettings)
            if (key == u || key.StartsWith(u + ".", StringComparison.Ordinal)) return false;
        return true;
    }

    /// <summary>"pm static, max_children 1, max_requests 5": the pool's key settings ("max_requests unknown" where the folder does not know).</summary>
    public string KeySettings
    {
        get
        {
            if (Scenario is { } sc) return sc.Pool.KeyText(Known);
            // No scenario: the master's start event records the same settings ("pm=static max_children=1 max_requests=5").
            var start = Folder.Events.FirstOrDefault(e => e.Event == EventNames.Start);
            return start.Detail is { Length: > 0 } d && d.Contains('=') ? string.Join(", ", d.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(kv => kv.Replace('=', ' '))) : "settings unknown";
        }
    }

    /// <summary>The title every plot carries: "&lt;title&gt; — pm static, max_children 1, max_requests 5 (engine sim, seed 42)".</summary>
    public string PlotTitle => $"{Title} — {KeySettings} (engine {Engine}, seed {Seed})";

    /// <summary>A fresh child's RSS: the median of the children's first samples (KiB), 0 if none.</summary>
    public double ChildBaselineKb { get; }

    /// <summary>Requests served by the pool up to time t (the x of the "requests" axis).</summary>
    public double ServedAt(double t) => Served.At(t);

    /// <summary>Requests served by the pool by the end of the run.</summary>
    public double ServedTotal => Served.At(EndT);

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
}
