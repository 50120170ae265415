using Lab.Core.Engines;
using Lab.Core.Php;
using Lab.Report.Model;
using Lab.Report.Output;
using Lab.Report.Plotting;
using Lab.Results;

namespace Lab.Report;

/// <summary>
/// Several runs side by side ("max_requests=0 vs 5 vs 50"): overlay plots (pool RSS over time,
/// largest child over requests served, latency), a side-by-side table of the summaries, the
/// settings with those that differ highlighted, and report.html / report.md. Each run keeps one
/// colour in every plot and table; runs of different engines may be compared and are labelled.
/// </summary>
public static class CompareReport
{
    /// <summary>
    /// Writes the compare into outDir (it must not exist, or be empty; it is created whole at
    /// the end, so a failure leaves nothing behind); returns report.html's full path.
    /// </summary>
    public static string Generate(IReadOnlyList<RunFolder> runs, string outDir, ReportOptions options)
    {
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentNullException.ThrowIfNull(options);
        if (runs.Count == 0) throw new ArgumentException("a compare needs at least one run", nameof(runs));
        string dir = Path.GetFullPath(outDir);
        CheckOutDir(dir);
        var progress = options.Progress;

        var models = new List<RunModel>(runs.Count);
        for (int i = 0; i < runs.Count; i++)
        {
            progress?.Report(new ReportProgress(0.5 * i / runs.Count, $"analysing run {i + 1} of {runs.Count}: {Path.GetFileName(runs[i].Directory)}"));
            models.Add(RunModel.Build(runs[i]));
        }
        var set = new CompareSet(models);
        progress?.Report(new ReportProgress(0.5, "plotting the pools' RSS"));
        var pool = ComparePlots.PoolRss(set, options.X);
        progress?.Report(new ReportProgress(0.65, "plotting the largest children over requests served"));
        var largest = ComparePlots.LargestChild(set);
        progress?.Report(new ReportProgress(0.8, "plotting latency"));
        var latency = ComparePlots.Latency(set);
        progress?.Report(new ReportProgress(0.9, "writing report.html and report.md"));
        RenderedPlot[] plots = [pool, largest, latency];
        var page = new ReportPage(Build(set, plots, dir), Nav);

        // Everything is written into a sibling folder, which then takes outDir's name in one rename.
        string parent = Path.GetDirectoryName(dir) ?? ".";
        Directory.CreateDirectory(parent);
        string stage = Path.Combine(parent, $".{Path.GetFileName(dir)}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(stage);
        try
        {
            page.WriteTo(stage, plots);
            CheckOutDir(dir); // still free?
            if (Directory.Exists(dir)) Directory.Delete(dir); // empty, as checked
            Directory.Move(stage, dir);
        }
        catch
        {
            try { Directory.Delete(stage, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
        progress?.Report(new ReportProgress(1, "done"));
        return Path.Combine(dir, ReportFiles.Html);
    }

    /// <summary>outDir must be a new folder or an empty one (a compare never overwrites earlier results).</summary>
    public static void CheckOutDir(string outDir)
    {
        string dir = Path.GetFullPath(outDir);
        if (File.Exists(dir)) throw new IOException($"{dir} is a file; a compare writes into a new (or empty) folder");
        if (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any())
            throw new IOException($"{dir} exists and is not empty; choose a new folder so no earlier results are overwritten");
    }

    private static readonly (string, string)[] Nav =
        [("runs", "Runs"), ("what", "What this shows"), ("plots", "Plots"), ("summary", "Summaries"), ("settings", "Settings")];

    internal static Document Build(CompareSet set, IReadOnlyList<RenderedPlot> plots, string outDir)
    {
        var blocks = new List<Block>();
        var runs = set.Runs;

        blocks.Add(new Heading(2, "Runs", "runs"));
        blocks.Add(new TableBlock(["run", "scenario", "engine", "seed", "status", "folder"],
            runs.Select(r => (IReadOnlyList<Cell>)[
                new Cell(r.Label, Swatch: r.ColorHex), r.Model.Title, r.Model.Engine, r.Model.Seed.ToString(Fmt.Inv),
                Manifest.StatusName(r.Model.Status) + (r.Model.SummaryComputed ? " (summary computed from the files)" : ""),
                new Cell(r.Model.Folder.Directory, Mono: true)]).ToList()));
        if (set.EnginesDiffer)
            blocks.Add(new Para("These runs come from different engines: the simulator (sim) is a model, dotnet and php-fpm are measured on real processes. Compare the shapes and slopes; the exact sizes are each engine's own.", Muted: true));

        blocks.Add(new Heading(2, "What this shows", "what"));
        blocks.Add(new Bullets(Findings(set)));

        blocks.Add(new Heading(2, "Plots", "plots"));
        foreach (var p in plots)
        {
            var (alt, caption) = p.Name switch
            {
                ReportFiles.PoolRss => ("Pool RSS of each run", "The pool's total RSS (master and children) of each run, in the run's colour."),
                ReportFiles.LargestChild => ("Largest child over requests served",
                    "The largest child's RSS against the requests the pool had served: the same leak climbs at the same slope in every run; recycling (pm.max_requests) cuts it back, memory_limit does not."),
                _ => ("Latency of each run", "p99 (solid) and p50 (dashed) latency per time bucket, from the intended send time, in each run's colour."),
            };
            blocks.Add(new Figure(p, alt, caption));
        }

        blocks.Add(new Heading(2, "Summaries side by side", "summary"));
        var rowsPerRun = runs.Select(r => SummaryRows.Of(r.Model.Summary)).ToList();
        var perRun = rowsPerRun.Select(rows => rows.ToDictionary(x => x.Key)).ToList();
        var keys = MergeInOrder(rowsPerRun.Select(rows => rows.Select(x => x.Key).ToList()).ToList());
        blocks.Add(new Para("Highlighted: the figures that differ between the runs.", Muted: true));
        bool SummaryDiffers(string k) => perRun.Select(d => d.TryGetValue(k, out var v) ? v.Value : null).Distinct().Count() > 1;
        blocks.AddRange(SideBySide("key", runs, keys, SummaryDiffers, (k, i) => perRun[i].TryGetValue(k, out var v)
            ? new Cell(v.Reading.Length > 0 && v.Reading != v.Value ? $"{v.Value} ({v.Reading})" : v.Value, Numeric: true, Highlight: SummaryDiffers(k))
            : new Cell("—", Numeric: true, Highlight: SummaryDiffers(k))));

        blocks.Add(new Heading(2, "Settings", "settings"));
        blocks.Add(new Para(set.DifferingKeys.Count == 0
            ? "Every setting is the same in all runs."
            : set.DifferingKeys.Count == 1
                ? $"Highlighted: the setting that differs: {set.DifferingKeys[0]}."
                : $"Highlighted: the {set.DifferingKeys.Count} settings that differ: {string.Join(", ", set.DifferingKeys)}.", Muted: true));
        var mainKeys = set.AllKeys.Where(k => !(k.StartsWith("memory.", StringComparison.Ordinal) || k.StartsWith("guard.", StringComparison.Ordinal))).ToList();
        var otherKeys = set.AllKeys.Except(mainKeys).ToList();
        blocks.AddRange(SettingsTables(set, mainKeys));
        if (otherKeys.Count > 0)
        {
            int differ = otherKeys.Count(set.DifferingKeys.Contains);
            string what = !otherKeys.Any(RunSettings.IsSimOnly) ? "The memory guard"
                : set.Runs.All(r => r.Model.Engine == RunSettings.SimEngine) ? "The memory model and the memory guard"
                : "The simulator's memory model (sim runs only) and the memory guard";
            blocks.Add(new Details($"{what}{(differ > 0 ? $" ({differ} differ)" : "")}", SettingsTables(set, otherKeys).ToList()));
        }

        blocks.Add(new Heading(2, "About this report"));
        blocks.Add(new Para($"Made from {string.Join(", ", runs.Select(r => r.Model.Folder.Directory))}. Regenerate it with ./run.sh compare {string.Join(' ', runs.Select(r => r.Model.Folder.Directory))} --out <a new folder>.", Muted: true));

        string subtitle = string.Join(" · vs · ", runs.Select(r => r.Label));
        return new Document(set.Title, subtitle, blocks);
    }

    /// <summary>
    /// The keys of several lists in one order that keeps each list's own order: a key one run
    /// lacks (child_exits.max_requests) goes after the key it follows where it appears.
    /// </summary>
    internal static List<string> MergeInOrder(IReadOnlyList<List<string>> lists)
    {
        var merged = new List<string>();
        foreach (var list in lists)
        {
            int at = 0; // where the next new key goes: after the last known key of this list
            foreach (var k in list)
            {
                int i = merged.IndexOf(k);
                if (i >= 0) { at = i + 1; continue; }
                merged.Insert(at, k);
                at++;
            }
        }
        return merged;
    }

    private static IEnumerable<Block> SettingsTables(CompareSet set, IReadOnlyList<string> keys) =>
        SideBySide("setting", set.Runs, keys, set.DifferingKeys.Contains,
            (k, i) => new Cell(set.Runs[i].Settings.TryGetValue(k, out var s) ? s.Value : "—", Highlight: set.DifferingKeys.Contains(k)));

    /// <summary>Past this many runs, a side-by-side table is cut into tables of this many runs each: the page never scrolls sideways.</summary>
    public const int RunsPerTable = 6;

    /// <summary>A table with a row per key and a column per run (cut every <see cref="RunsPerTable"/> runs); highlighted rows differ.</summary>
    private static IEnumerable<Block> SideBySide(string first, IReadOnlyList<ComparedRun> runs, IReadOnlyList<string> keys,
        Func<string, bool> differs, Func<string, int, Cell> cell)
    {
        for (int from = 0; from < runs.Count; from += RunsPerTable)
        {
            int to = Math.Min(runs.Count, from + RunsPerTable);
            if (runs.Count > RunsPerTable) yield return new Para($"Runs {from + 1} to {to} of {runs.Count}:", Muted: true);
            var header = new List<Cell> { first };
            header.AddRange(runs.Skip(from).Take(to - from).Select(r => new Cell(r.Label, Swatch: r.ColorHex)));
            yield return new TableBlock(header, keys.Select(k =>
            {
                var row = new List<Cell> { new(k, Mono: true, Highlight: differs(k)) };
                for (int i = from; i < to; i++) row.Add(cell(k, i));
                return (IReadOnlyList<Cell>)row;
            }).ToList());
        }
    }

    /// <summary>"What this shows" for runs side by side: the largest child, the pool's peak, the leak, recycling, memory_limit, latency and failures.</summary>
    internal static IReadOnlyList<string> Findings(CompareSet set)
    {
        var said = new List<string>();
        var runs = set.Runs;
        string Each(Func<ComparedRun, string> f) => string.Join("; ", runs.Select(r => $"{r.Short} {f(r)}"));

        var peaks = runs.Select(r => (double)r.Model.Summary.PeakChildRssKb).ToList();
        string largest = $"Largest child: {Each(r => Fmt.Size(r.Model.Summary.PeakChildRssKb))}";
        if (peaks.Min() > 0 && peaks.Max() / peaks.Min() >= 1.2)
        {
            var lo = runs[peaks.IndexOf(peaks.Min())];
            var hi = runs[peaks.IndexOf(peaks.Max())];
            largest += $" — {Fmt.Num(peaks.Max() / peaks.Min(), "0.0")}× as large with {hi.Short} as with {lo.Short}";
        }
        said.Add(largest + ".");
        said.Add($"Pool peak RSS (what ps adds up to): {Each(r => Fmt.Size(r.Model.Summary.PeakPoolRssKb))}.");
        if (runs.Any(r => r.Model.Summary.PeakPoolPssKb is not null))
            said.Add($"Pool peak PSS (what the host pays): {Each(r => r.Model.Summary.PeakPoolPssKb is { } p ? Fmt.Size(p) + (r.Model.Summary.RssPssRatio is { } q ? $" (summed RSS {Fmt.Ratio(q)} that at the last reading)" : "") : "not read")}.");

        var leaks = runs.Select(r => r.Model.Summary.LeakKbPerRequest).ToList();
        string leakText = $"Fitted leak per request: {Each(r => r.Model.Summary.LeakKbPerRequest is { } l ? Fmt.Size(l) : "not fitted")}";
        bool allClear = runs.All(r => Model.Findings.LeakIsClear(r.Model.Summary.LeakKbPerRequest, r.Model.Summary.LeakKbPerRequestStderr));
        if (allClear && leaks.Max()!.Value / leaks.Min()!.Value <= 1.25 && runs.Count > 1)
            leakText += " — about the same in every run: the leak is the same, what differs is what bounds it";
        said.Add(leakText + ".");

        var recycled = runs.Where(r => r.Model.Summary.Recycles > 0).ToList();
        if (recycled.Count > 0)
            said.Add($"Recycling by pm.max_requests: {Each(r => r.Model.Summary.Recycles > 0 ? $"{Fmt.Int(r.Model.Summary.Recycles)} recycles" : "none")}.");

        foreach (var r in runs)
        {
            if (r.Model.MemoryLimitBytes is { } limit && limit >= 0 && r.Model.Summary.PeakChildRssKb > limit / 1024.0)
                said.Add($"With {r.Short} the largest child passed memory_limit {FpmConfig.MemoryLimitText(limit)}, which never stopped it: memory_limit bounds one request, not the process.");
        }

        said.Add($"Latency p99: {Each(r => r.Model.Summary.LatencyMs is { } l ? Fmt.Ms(l.P99) : "no answer")}.");
        if (runs.Any(r => r.Model.Summary.RequestsFailed > 0 || r.Model.Summary.Dropped > 0))
            said.Add($"Failed / dropped requests: {Each(r => $"{Fmt.Int(r.Model.Summary.RequestsFailed)} / {Fmt.Int(r.Model.Summary.Dropped)} of {Fmt.Int(r.Model.Summary.RequestsTotal)}")}.");
        foreach (var r in runs.Where(r => r.Model.Status != RunStatus.Complete))
            said.Add($"{r.Short} is {Manifest.StatusName(r.Model.Status)} ({r.Model.Folder.Manifest.Reason ?? "no reason recorded"}).");
        return said;
    }
}
