using System.Text;
using Lab.Report.Model;
using Lab.Report.Output;
using Lab.Report.Plotting;
using Lab.Results;

namespace Lab.Report;

/// <summary>
/// The report of one run, written into its results folder: rss-per-pid, pool-rss and latency
/// (PNG and SVG), report.html (self-contained) and report.md. Works on an incomplete run (the
/// summary is then computed from the files), so a report never needs the run again.
/// </summary>
public static class RunReport
{
    /// <summary>Writes the plots and reports into run.Directory; returns report.html's full path.</summary>
    public static string Generate(RunFolder run, ReportOptions options)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(options);
        var progress = options.Progress;
        progress?.Report(new ReportProgress(0, "analysing the run"));
        var m = RunModel.Build(run);

        progress?.Report(new ReportProgress(0.15, "plotting RSS per PID"));
        var rss = RunPlots.RssPerPid(m, options.X, options.Memory);
        progress?.Report(new ReportProgress(0.5, "plotting the pool's RSS"));
        var pool = RunPlots.PoolRss(m, options.X);
        progress?.Report(new ReportProgress(0.7, "plotting latency and throughput"));
        var latency = RunPlots.Latency(m);

        progress?.Report(new ReportProgress(0.85, "writing report.html and report.md"));
        var plots = new List<RenderedPlot> { rss };
        if (ManyChildrenPlots.Apply(m)) plots.Add(ManyChildrenPlots.SlotHeatmap(m, options.X));
        plots.Add(pool);
        if (StormPlots.Apply(m)) plots.Add(StormPlots.RecyclesUnderPoolRss(m));
        plots.Add(latency);
        bool uss = options.Memory == ChildMemory.Uss && m.Ticks.HasPss && !ManyChildrenPlots.Apply(m);
        string html = new ReportPage(Build(m, plots, options.X, uss), Nav).WriteTo(run.Directory, plots);
        progress?.Report(new ReportProgress(1, "done"));
        return html;
    }

    private static readonly (string, string)[] Nav =
        [("what", "What this shows"), ("plots", "Plots"), ("summary", "Summary"), ("settings", "Settings"), ("fpm-log", "fpm.log")];

    /// <param name="ussLines">rss-per-pid drew each child's USS (report --memory uss).</param>
    internal static Document Build(RunModel m, IReadOnlyList<RenderedPlot> plots, XAxis x, bool ussLines = false)
    {
        var blocks = new List<Block>();
        if (m.Description.Length > 0) blocks.Add(new Para(m.Description));

        blocks.Add(new Heading(2, "What this shows", "what"));
        blocks.Add(new Para(string.Join(" ", Findings.Of(m)), Lead: true));

        blocks.Add(new Heading(2, "Plots", "plots"));
        string along = x == XAxis.Time ? "over time" : "against the requests served by the pool (a leak per request is a straight slope)";
        foreach (var p in plots)
        {
            var (alt, caption) = p.Name switch
            {
                ReportFiles.RssPerPid when ManyChildrenPlots.Apply(m) => ("RSS of the children",
                    $"RSS of the {Fmt.Int(m.ChildLives.Count)} child PIDs {along}, too many for a line each: the band holds them all (min to max), the darker band the median to p90; the first child and the largest ones are drawn as lines, the master dashed grey."),
                ReportFiles.RssBySlot => ("RSS by scoreboard slot",
                    $"One row per scoreboard slot: the PIDs that held it one after the other, {along}, coloured by RSS. A child's growth is a gradient to bright, its recycle a drop to dark: the sawtooth of each slot. Children recycled at the same moment line up as a vertical wave."),
                ReportFiles.RssPerPid when ussLines => ("USS per PID",
                    $"USS of each process {along} (private memory only, from smaps_rollup every pss_interval: what ending the process would give back; the pool's shared pages are left out), one line per PID (the master dashed grey). Markers show how each child ended."),
                ReportFiles.RssPerPid => ("RSS per PID",
                    $"RSS of each process {along}, one line per PID (the master dashed grey), {(m.RequestReadings ? "from the sample ticks and each request's end (the serving child's own RSS)" : "from the sample ticks")}. A child's line climbs with the requests it serves; when pm.max_requests recycles it, a new PID starts low again: successive PIDs draw the sawtooth. Markers show how each child ended."),
                ReportFiles.Recycles => ("Recycles per second under the pool's RSS",
                    "The recycle storm: how many children were recycled (by pm.max_requests or a [recycle] rule) in each second of the run, as bars at the bottom, under the pool's total RSS. Children recycled together make tall bars where the pool's line drops, and the pool must be sized for the peaks between them."),
                ReportFiles.PoolRss when m.Ticks.HasPss => ("Pool memory: PSS against RSS",
                    $"The pool's summed PSS (what the host pays: each shared page divided among the processes mapping it) at the ticks that read smaps_rollup, its summed RSS (what ps adds up to: every shared page counted once per process; {(m.RequestReadings ? "at each sample tick and at each request's end" : "at each sample tick")}) and its summed USS (private pages only), with the largest child's RSS, {along}. memory_limit, where shown, bounds one request's allocations, never a process."),
                ReportFiles.PoolRss => ("Pool RSS",
                    $"The pool's total RSS (master and children, what ps adds up to: pages the processes share are counted once per process) and its largest child, {along}: {(m.RequestReadings ? "at each sample tick and at each request's end (every running child at its last known RSS)" : "at each sample tick")}. memory_limit, where shown, bounds one request's allocations, never a process."),
                _ => ("Latency and throughput",
                    "p50 and p99 latency per time bucket, measured from each request's intended send time (corrected for coordinated omission), and on the right axis the requests answered, failed and dropped per second."),
            };
            blocks.Add(new Figure(p, alt, caption));
        }

        blocks.Add(new Heading(2, "Summary", "summary"));
        if (m.SummaryComputed)
            blocks.Add(new Para("summary.json is missing (the run did not complete): these figures were computed from the files of the folder.", Muted: true));
        blocks.Add(KeyFigures(m.Summary));
        var all = SummaryTable(m.Summary);
        blocks.Add(new Details($"Every figure of summary.json ({all.Rows.Count} keys; sizes in KiB as ps prints them, latency in ms)", [all]));
        blocks.AddRange(Sections.SharedMemory.Blocks(m));
        blocks.AddRange(Sections.GrowthByKind.Blocks(m));
        blocks.AddRange(Sections.RecordedFrom.Blocks(m));

        blocks.Add(new Heading(2, "Settings", "settings"));
        if (m.Scenario is { } sc)
        {
            var settings = RunSettings.Of(sc, m.Engine).Select(x => m.Known(x.Key) ? x : x with { Value = "unknown (the log does not say)" }).ToList();
            blocks.Add(new Para("The scenario as it ran (defaults and overrides applied). Rerun it with ./run.sh " +
                               m.Folder.PathOf("scenario.toml") + " [key=value ...].", Muted: true));
            blocks.Add(SettingsTable(settings.Where(s => s.Main)));
            var other = settings.Where(s => !s.Main).ToList();
            blocks.Add(new Details(other.Any(s => RunSettings.IsSimOnly(s.Key)) ? "The memory model and the memory guard" : "The memory guard", [SettingsTable(other)]));
        }
        else blocks.Add(new Para(m.ScenarioProblem ?? "the settings are unknown"));

        blocks.Add(new Heading(2, "fpm.log highlights", "fpm-log"));
        blocks.AddRange(LogBlocks(FpmLogDigest.Of(m.Folder.FpmLog)));

        var notes = m.Folder.Notes.ToList();
        blocks.Add(new Heading(2, "About this report"));
        blocks.Add(new Para($"Made from {m.Folder.Directory}. Regenerate it with ./run.sh report {m.Folder.Directory} (add --x requests for the memory plots against requests served)." +
                            (notes.Count > 0 ? " Reading the folder: " + string.Join("; ", notes) + "." : ""), Muted: true));
        // how the engine measured (e.g. smaps_rollup read less often, to hold its cost to 2 % of a core)
        foreach (var n in m.Summary.Notes) blocks.Add(new Para("How this run was measured: " + n + ".", Muted: true));

        var man = m.Folder.Manifest;
        string subtitle = $"{m.Name} · engine {m.Engine} · seed {m.Seed} · {Manifest.StatusName(man.Status)}" +
                          (man.Status != Lab.Core.Engines.RunStatus.Complete && man.Reason is { } r ? $" ({r})" : "") +
                          $" · started {man.StartUtc.ToString("yyyy-MM-dd HH:mm:ss", Fmt.Inv)} UTC · {m.KeySettings}";
        return new Document(m.Title, subtitle, blocks);
    }

    /// <summary>The figures a reader looks for first, in words.</summary>
    internal static TableBlock KeyFigures(Summary s)
    {
        string unit = s.LeakUnit == RunHeader.PerObservation ? "ps observation" : "request";
        var rows = new List<(string, string)>
        {
            ("requests", $"{Fmt.Int(s.RequestsTotal)} total: {Fmt.Int(s.RequestsOk)} ok, {Fmt.Int(s.RequestsFailed)} failed" +
                         (s.StatusCounts.GetValueOrDefault(Lab.Core.Records.RequestStatus.Refused) is > 0 and var refused ? $" ({Fmt.Int(refused)} refused)" : "") +
                         $", {Fmt.Int(s.Dropped)} dropped"),
            ("served (goodput)", $"{Fmt.Rate(s.GoodputRps)} answered 200, of {Fmt.Rate(s.OfferedRps)} offered ({Fmt.Rate(s.ThroughputRps)} answered of any status), over the {Fmt.Seconds(s.LoadDurationS)} the load ran"),
            ("latency of OK requests (from the intended send)", s.LatencyOkMs is { } ok
                ? $"p50 {Fmt.Ms(ok.P50)} · p90 {Fmt.Ms(ok.P90)} · p99 {Fmt.Ms(ok.P99)} · max {Fmt.Ms(ok.Max)}"
                : "no request was answered OK"),
        };
        if (s.LatencyFailedMs is { } failed)
            rows.Add(("latency of failed requests", $"p50 {Fmt.Ms(failed.P50)} · p90 {Fmt.Ms(failed.P90)} · p99 {Fmt.Ms(failed.P99)} · max {Fmt.Ms(failed.Max)}"));
        if (SummaryText.Stopped(s) is { } stopped) rows.Add(("run ended", stopped));
        rows.AddRange(
        [
            ("children", $"{Fmt.Count(s.ChildPids, "child PID", "child PIDs")}: {Fmt.Int(s.ChildrenSpawned)} spawned, {Fmt.Int(s.Recycles)} recycled by pm.max_requests{(s.ChildExits.Keys.Any(k => k is "max_rss" or "max_uss" or "kill_rss" or "pool_budget") ? " or a [recycle] rule" : "")}" +
                         (s.ChildPidsUnmeasured > 0 ? $"; {Fmt.Int(s.ChildPidsUnmeasured)} never measured" : "")),
            ("child exits", s.ChildExits.Count == 0 ? "none" : string.Join(", ", s.ChildExits.OrderByDescending(e => e.Value).Select(e => $"{e.Key} {Fmt.Int(e.Value)}"))),
            ("memory_limit errors", Fmt.Int(s.MemoryLimitErrors)),
            ("largest child (peak RSS)", Fmt.Size(s.PeakChildRssKb)),
            ("pool RSS (what ps adds up to)", $"peak {Fmt.Size(s.PeakPoolRssKb)}, final {Fmt.Size(s.FinalPoolRssKb)}"),
            ("pool PSS (what the host pays)", s.FinalPoolPssKb is { } fp
                ? $"peak {Fmt.Size(s.PeakPoolPssKb ?? fp)}, final {Fmt.Size(fp)}; summed RSS is {Fmt.Ratio(s.RssPssRatio ?? 0)} that at the last reading"
                : "not read (no smaps_rollup: an imported RSS-only log, or another user's processes without root)"),
            ("largest child's USS", s.PeakChildUssKb is { } u ? Fmt.Size(u) + " (private memory: what ending it gives back)" : "not read"),
            ("recycle storm", s.Storm is not { } st ? "not measured (a summary.json written before the storm figures)"
                : $"most recycles in a second {Fmt.Int(st.MaxRecyclesPerSecond)}, most children starting at once {Fmt.Int(st.MaxStartingAtOnce)}, "
                  + $"pool RSS peak / mean {(st.PoolRssPeakToMean is { } r ? r.ToString("0.00", Fmt.Inv) : "n/a")}"
                  + (st.PoolPssPeakToMean is { } pr ? $" (PSS {pr.ToString("0.00", Fmt.Inv)})" : "")
                  + $", p99 latency near recycles {(st.P99NearRecyclesMs is { } a ? Fmt.Ms(a) : "n/a")} against {(st.P99ElsewhereMs is { } b ? Fmt.Ms(b) : "n/a")} elsewhere"),
            ($"leak per {unit} (fitted)", s.LeakKbPerRequest is { } leak
                ? Fmt.Fitted(leak, s.LeakKbPerRequestStderr, s.LeakKbPerRequestLow95, s.LeakKbPerRequestHigh95) + $" ({Fmt.Int(s.FitPoints)} readings)"
                : "could not be fitted"),
            ($"RSS growth per {unit} over these lives", s.RssGrowthKbPerRequest is { } g
                ? Fmt.SizeFine(g) + (s.RssGrowthKbPerRequestStderr is { } gse ? $" ± {Fmt.SizeFine(gse)}" : "") + " (the leak and the allocator's retention filling up together)"
                : "could not be fitted"),
        ]);
        return new TableBlock(["figure", "value"], rows.Select(r => (IReadOnlyList<Cell>)[r.Item1, r.Item2]).ToList());
    }

    internal static TableBlock SummaryTable(Summary s) =>
        new(["key", new Cell("value", Numeric: true), "reading"],
            SummaryRows.Of(s).Select(r => (IReadOnlyList<Cell>)[new Cell(r.Key, Mono: true), new Cell(r.Value, Numeric: true), r.Reading]).ToList());

    private static TableBlock SettingsTable(IEnumerable<Setting> settings) =>
        new(["setting", "value"], settings.Select(s => (IReadOnlyList<Cell>)[new Cell(s.Key, Mono: true), s.Value]).ToList());

    internal static IEnumerable<Block> LogBlocks(FpmLogDigest d)
    {
        if (d.Total == 0)
        {
            yield return new Para("fpm.log is empty or missing.");
            yield break;
        }
        var levels = FpmLogDigest.Levels.Where(d.PerLevel.ContainsKey).Select(l => $"{Fmt.Int(d.PerLevel[l])} {l}");
        yield return new Para($"{Fmt.Count(d.Total, "line", "lines")}: {string.Join(", ", levels)}.");
        const int maxKinds = 15;
        yield return new TableBlock(["level", new Cell("count", Numeric: true), "kind of message (numbers shown as N)"],
            d.Kinds.Take(maxKinds).Select(k => (IReadOnlyList<Cell>)[k.Level, new Cell(Fmt.Int(k.Count), Numeric: true), new Cell(k.Pattern, Mono: true)]).ToList());
        if (d.Kinds.Count > maxKinds) yield return new Para($"… and {d.Kinds.Count - maxKinds} more kinds of message.", Muted: true);
        if (d.Problems.Count > 0)
        {
            yield return new Heading(3, "WARNING, ERROR and ALERT lines");
            var b = new StringBuilder();
            for (int i = 0; i < d.Problems.Count; i++)
            {
                if (d.ProblemsOmitted > 0 && i == FpmLogDigest.MaxProblemLines / 2) b.Append($"      … {Fmt.Int(d.ProblemsOmitted)} more …\n");
                b.Append(LogLineText(d.Problems[i])).Append('\n');
            }
            yield return new Pre(b.ToString());
        }
        if (d.FirstNotices.Count > 0)
        {
            yield return new Heading(3, d.LastNotices.Count > 0 ? "The first and last NOTICE lines" : "NOTICE lines");
            var b = new StringBuilder();
            foreach (var l in d.FirstNotices) b.Append(LogLineText(l)).Append('\n');
            int shown = d.FirstNotices.Count + d.LastNotices.Count;
            int all = d.PerLevel.GetValueOrDefault("NOTICE");
            if (d.LastNotices.Count > 0)
            {
                if (all > shown) b.Append($"      … {Fmt.Int(all - shown)} more …\n");
                foreach (var l in d.LastNotices) b.Append(LogLineText(l)).Append('\n');
            }
            yield return new Pre(b.ToString());
        }
    }

    private static string LogLineText(LogLine l) => $"{l.Number,6}: {l.Text}";
}
