using System.Globalization;
using System.Text;
using System.Text.Json;
using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.Report;
using Lab.Results;
using Lab.Results.Formats;
using Lab.Scenarios;
using Lab.Sim;

namespace Lab.Analysis.Calibration;

/// <summary>A real run's fit: the scenario as it ran, the same on the sim with the fitted model, and the fits.</summary>
/// <param name="LoadStartS">When the real run's load began (the pool's start-up): the calibrated scenario begins with a pause that long.</param>
/// <param name="Shared">memory.shared and memory.master_pss, from the run's PSS (null: the run read none).</param>
public sealed record CalibrationFit(Scenario Original, Scenario Calibrated, MemoryFitResult Memory, WorkFitResult Work, double LoadStartS,
    SharedFitResult? Shared = null)
{
    /// <summary>The cost of a new child (ColdStartFit).</summary>
    public Estimate ColdStartMs { get; init; } = new(double.NaN, double.NaN, "not fitted");
    public IReadOnlyList<string> ColdStartNotes { get; init; } = [];
    /// <summary>memory.exit_time (ExitTimeFit).</summary>
    public ExitTimeFitResult? ExitTime { get; init; }
    /// <summary>memory.start_spread (StartSpreadFit); null before it is fitted (it needs sim runs: RunAsync).</summary>
    public StartSpreadFitResult? StartSpread { get; init; }
    /// <summary>memory.accept_wakeup (AcceptWakeupFit); null before it is fitted (it needs sim runs: RunAsync).</summary>
    public AcceptWakeupFitResult? AcceptWakeup { get; init; }
    /// <summary>The real run's storm figures, from the same replay of its files as the leak fit's (StormComparison).</summary>
    public Lab.Results.Storm.StormSummary? RealStorm { get; init; }
    /// <summary>Every fit's notes, in the order the parameters are listed.</summary>
    public IEnumerable<string> Notes => Memory.Notes.Concat(Work.Notes).Concat(ColdStartNotes).Concat(ExitTime?.Notes ?? []).Concat(StartSpread?.Notes ?? []).Concat(AcceptWakeup?.Notes ?? []);
}

/// <summary>What `./run.sh calibrate` produced.</summary>
/// <param name="ScenarioPath">OUT/calibrated.toml: the real run's scenario on engine sim, [memory] and work fitted.</param>
/// <param name="MemoryPath">OUT/memory.toml: the fitted [memory] section (and work), as lab/calibrated/ keeps them.</param>
/// <param name="SimDir">OUT/sim: the calibrated sim's run (a results folder with its report).</param>
/// <param name="CompareHtml">OUT/compare/report.html: the real run against the calibrated sim.</param>
public sealed record CalibrationOutcome(string RealDir, string OutDir, CalibrationFit Fit, string ScenarioPath, string MemoryPath,
    string SimDir, string CompareHtml, IReadOnlyList<BoundaryComparison> Boundaries, bool BoundariesAreRecycles,
    int RealBoundaries, int SimBoundaries)
{
    /// <summary>Every boundary within <see cref="Calibrator.TolerancePercent"/> (and at least one compared).</summary>
    public bool Agrees => Boundaries.Count > 0 && Boundaries.All(b => b.Within(Calibrator.TolerancePercent));

    /// <summary>The recycle storm's figures, real against the calibrated sim (empty: the real run recycled no child).</summary>
    public IReadOnlyList<StormFigure> Storm { get; init; } = [];
    /// <summary>
    /// Every storm figure within <see cref="StormComparison.TolerancePercent"/> of the sim's median
    /// over its seeds, or inside the range they drew (and at least one compared).
    /// </summary>
    public bool StormAgrees => Storm.Count > 0 && Storm.All(f => f.Agrees(StormComparison.TolerancePercent));
}

/// <summary>
/// ./run.sh calibrate DIR: fits the simulator's memory model (baseline, leak per request,
/// allocator retention and its wobble) and the work time to a real run, writes the scenario that
/// runs the same thing on the sim, runs it, and compares the two at every recycle boundary (the
/// largest child's RSS where pm.max_requests recycles it) and in a compare report.
/// </summary>
public static class Calibrator
{
    /// <summary>The agreement asked of the calibrated sim at every recycle boundary (percent).</summary>
    public const double TolerancePercent = 10;

    public static CalibrationFit Fit(RunFolder real)
    {
        if (real.Manifest.Engine == "sim")
            throw new CalibrationException($"{real.Directory} is a run of the simulator: calibrate fits the sim to a real run (engine php-fpm or dotnet)");
        if (real.ScenarioToml.Length == 0)
            throw new CalibrationException($"{real.Directory} has no scenario.toml: the scenario it ran is needed to calibrate");
        Scenario original;
        try
        {
            original = ScenarioLoader.Parse(real.ScenarioToml, real.PathOf(ResultsFiles.Scenario), real.Manifest.Scenario, []);
        }
        catch (ScenarioException e)
        {
            throw new CalibrationException($"the run's scenario.toml cannot be read back: {e.Message}");
        }
        var children = ChildHistory.Of(real, original.Request.LeakKb.Mean);
        if (children.Count == 0) throw new CalibrationException($"{real.Directory}: samples.csv has no child: nothing to fit");
        var s = real.Samples;
        var master = Enumerable.Range(0, s.Count).Where(i => s.Role[i] == ProcessRole.Master).Select(i => (s.RssKb[i], s.VszKb[i])).ToList();

        // the run's own leak fit (summary.json's: the allocator's bounded retention apart), one of the candidates for the leak
        var (realSummary, leakFit) = real.ComputeSummaryAndFit();
        // the shared pages (PSS/USS): what requests touch of them is no private growth for the RSS fit
        var shared = SharedFitResult.Of(real);
        if (shared is not null) children = shared.WithoutCode(children).ToList();
        var memory = MemoryFit.Fit(children, master, original.Seed, original.Pool.MemoryLimitBytes, original.Memory, leakFit);
        var work = WorkFit.Fit(real, original);
        var (coldStart, coldMs, coldNotes) = ColdStartFit.Fit(real, original);
        var exitTime = ExitTimeFit.Fit(real, original);
        long hostMem = real.Manifest.Machine.MemTotalKb > 0 ? real.Manifest.Machine.MemTotalKb : original.Memory.HostMemKb;
        // The real load starts once the pool is up (its start-up, tens of ms after t = 0); the
        // sim's at t = 0. A pause of that length first puts the sim's requests at the same
        // moments, so its samples fall between requests where the real ones do.
        double loadStart = LoadStart(real);
        var load = original.Load;
        if (loadStart >= 0.001)
            load = load with { Phases = [new LoadPhase { Kind = LoadPhaseKind.Pause, During = TimeSpan.FromMilliseconds(Math.Round(loadStart * 1000)) }, .. load.Phases] };
        // the sim's master starts when the real one did, so its pool is as fresh when the load begins
        double masterStart = real.Events.Where(e => e.Kind == PoolEventKind.Start).Select(e => e.T).DefaultIfEmpty(0).Min();
        var model = memory.Apply(original.Memory) with { HostMemKb = hostMem, MasterStart = TimeSpan.FromMilliseconds(Math.Round(Math.Max(0, masterStart) * 1000, 3)) };
        var calibrated = original with
        {
            Engine = EngineKind.Sim,
            Memory = (shared?.Apply(model) ?? model) with { ColdStart = coldStart, ExitTimeMs = exitTime.ExitTime },
            Request = original.Request with { WorkMs = work.Work },
            Load = load,
            Duration = original.Duration is { } d && loadStart >= 0.001 ? d + TimeSpan.FromMilliseconds(Math.Round(loadStart * 1000)) : original.Duration,
        };
        return new CalibrationFit(original, calibrated, memory, work, loadStart, shared) { ColdStartMs = coldMs, ColdStartNotes = coldNotes, ExitTime = exitTime, RealStorm = realSummary.Storm };
    }

    /// <summary>
    /// The whole of calibrate: fit, write OUT/calibrated.toml and OUT/memory.toml, run the sim
    /// into OUT/sim (with its report), compare (OUT/compare), write OUT/calibration.md and .json.
    /// </summary>
    public static async Task<CalibrationOutcome> RunAsync(string realDir, string outDir, IProgress<string>? progress = null,
        CancellationToken cancel = default)
    {
        progress?.Report($"reading {realDir}");
        var real = RunFolder.Open(realDir);
        progress?.Report("fitting the memory model, the work time, the cost of a new child and a recycled child's way out");
        var fit = Fit(real);

        string dir = Path.GetFullPath(outDir);
        if (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any())
            throw new CalibrationException($"{outDir}: the folder exists and is not empty; choose a new one");
        Directory.CreateDirectory(dir);

        // the start's spread and the order in which children take connections need sim runs of the fitted scenario
        var spread = StartSpreadFit.Fit(real, fit.Calibrated, progress, cancel);
        fit = fit with
        {
            Calibrated = fit.Calibrated with { Memory = fit.Calibrated.Memory with { StartSpread = spread.Value } },
            StartSpread = spread,
        };
        var wakeup = AcceptWakeupFit.Fit(real, fit.Calibrated, progress, cancel);
        fit = fit with
        {
            Calibrated = fit.Calibrated with { Memory = fit.Calibrated.Memory with { AcceptWakeup = wakeup.Value } },
            AcceptWakeup = wakeup,
        };

        string scenarioText = ScenarioHeader(real, fit) + ScenarioWriter.ToToml(fit.Calibrated);
        string scenarioPath = Path.Combine(dir, "calibrated.toml");
        File.WriteAllText(scenarioPath, scenarioText);
        // what was written must run: read it back as ./run.sh would
        var calibrated = ScenarioLoader.Parse(scenarioText, scenarioPath, fit.Calibrated.Name, []);
        string memoryPath = Path.Combine(dir, "memory.toml");
        File.WriteAllText(memoryPath, MemorySection(real, fit, DateTime.UtcNow));

        progress?.Report("running the calibrated scenario on the sim");
        string simDir = Path.Combine(dir, "sim");
        var (_, simSummary) = await HeadlessRun.RunAsync(calibrated, new SimEngine(), simDir, $"./run.sh {scenarioPath}", cancel);
        var sim = RunFolder.Open(simDir);
        progress?.Report("the sim's report");
        RunReport.Generate(sim, new ReportOptions());

        progress?.Report("comparing the real run and the calibrated sim");
        var found = RecycleBoundaries.Find(real, sim);
        string html = CompareReport.Generate([real, sim], Path.Combine(dir, "compare"), new ReportOptions(XAxis.Requests));

        // a storm's figures move from run to run: the calibrated sim's under other seeds too
        var storms = new List<Lab.Results.Storm.StormSummary>();
        if (simSummary.Storm is { } simStorm) storms.Add(simStorm); // summary.json's, as the run wrote it
        if (fit.RealStorm is { MaxRecyclesPerSecond: > 0 } && storms.Count > 0)
            storms.AddRange(StormComparison.OtherSeeds(calibrated, StormComparison.Seeds - 1, progress, cancel));
        var storm = StormComparison.Compare(fit.RealStorm, storms);
        var outcome = new CalibrationOutcome(real.Directory, dir, fit, scenarioPath, memoryPath, simDir, html, RecycleBoundaries.Pair(found),
            found.Recycles, found.Real.Count, found.Sim.Count) { Storm = storm };
        File.WriteAllText(Path.Combine(dir, "calibration.md"), CalibrationText.Markdown(outcome));
        File.WriteAllText(Path.Combine(dir, "calibration.json"), CalibrationText.Json(outcome));
        return outcome;
    }

    private static string ScenarioHeader(RunFolder real, CalibrationFit fit)
    {
        var v = real.Manifest.Versions;
        string stack = string.Join(", ", new[] { "php-fpm", "nginx", "lab-fpm" }.Where(v.ContainsKey).Select(k => $"{k} {v[k]}"));
        return $"# Calibrated by ./run.sh calibrate {real.Directory}\n" +
               $"# on {DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC: the same scenario on the simulator, its [memory]\n" +
               $"# model and its work time fitted to that run (engine {real.Manifest.Engine}{(stack.Length > 0 ? ", " + stack : "")},\n" +
               $"# {real.Manifest.Machine.Os}). See calibration.md next to this file for the fit.\n#\n";
    }

    /// <summary>The fitted [memory] section (and the fitted work), with where they come from: what lab/calibrated/ keeps.</summary>
    public static string MemorySection(RunFolder real, CalibrationFit fit, DateTime utc)
    {
        string toml = ScenarioWriter.ToToml(fit.Calibrated);
        string Section(string name)
        {
            int at = toml.IndexOf("\n[" + name + "]\n", StringComparison.Ordinal);
            if (at < 0) return "";
            int end = toml.IndexOf("\n[", at + 2, StringComparison.Ordinal);
            return toml[(at + 1)..(end < 0 ? toml.Length : end + 1)];
        }
        string work = Section("request").Split('\n').FirstOrDefault(l => l.StartsWith("work = ", StringComparison.Ordinal)) ?? "";
        var m = real.Manifest;
        var sb = new StringBuilder();
        sb.Append("# The simulator's [memory] model fitted to a real run by ./run.sh calibrate.\n");
        sb.Append($"# Run: {Path.GetFileName(real.Directory)} (scenario {m.Scenario}, seed {m.Seed}, engine {m.Engine}");
        foreach (var k in new[] { "php-fpm", "nginx", "lab-fpm" }.Where(m.Versions.ContainsKey)) sb.Append($", {k} {m.Versions[k]}");
        sb.Append($"),\n# started {m.StartUtc.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC on {m.Machine.Os}, {m.Machine.Cores} cores, kernel {m.Machine.Kernel};\n");
        sb.Append($"# fitted {utc.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC over {fit.Memory.States} child states (rms residual {F(fit.Memory.RmsResidualKb, "0")} KiB).\n");
        sb.Append("# Use it in a scenario by copying the section (and the work line into [request]).\n\n");
        sb.Append(Section("memory").TrimEnd('\n')).Append('\n');
        if (work.Length > 0)
            sb.Append("\n# the scenario's work plus the real stack's overhead per request\n# (").Append(F(fit.Work.OverheadMs.Value, "0.###"))
              .Append(" ms, from ").Append(fit.Work.IdleRequests.ToString(CultureInfo.InvariantCulture)).Append(" requests that met an idle pool)\n[request]\n").Append(work).Append('\n');
        return sb.ToString();
    }

    /// <summary>When the real run's load began: its first request's intended send time (0 without requests).</summary>
    public static double LoadStart(RunFolder run)
    {
        var r = run.Requests;
        double first = double.PositiveInfinity;
        for (int i = 0; i < r.Count; i++) first = Math.Min(first, r.TIntended[i]);
        return double.IsFinite(first) && first > 0 ? first : 0;
    }

    internal static string F(double v, string format) => double.IsNaN(v) ? "n/a" : v.ToString(format, CultureInfo.InvariantCulture);
}

/// <summary>A run that cannot be calibrated (a sim run, no scenario, no children): the message says why. Exit code 2.</summary>
public sealed class CalibrationException(string message) : Exception(message);

/// <summary>The calibration's results as text: for the terminal, calibration.md and calibration.json.</summary>
public static class CalibrationText
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The fitted parameters with their uncertainty, one a line.</summary>
    public static IReadOnlyList<(string Name, string Value, string Uncertainty, string How)> Parameters(CalibrationFit fit)
    {
        var m = fit.Memory;
        string Kb(double v) => double.IsNaN(v) ? "n/a" : $"{v.ToString("0", Inv)} KiB";
        string Num(double v, string f = "0.###") => double.IsNaN(v) ? "n/a" : v.ToString(f, Inv);
        string Pm(string s) => s == "n/a" ? "" : "± " + s;
        return
        [
            ("child_baseline", Kb(m.ChildBaseline.Value), Pm(Kb(m.ChildBaseline.Uncertainty)), m.ChildBaseline.How),
            ("leak_scale", Num(m.LeakScale.Value, "0.####"), Pm(Num(m.LeakScale.Uncertainty, "0.####")), m.LeakScale.How),
            ("per_request", Kb(m.PerRequest.Value), Pm(Kb(m.PerRequest.Uncertainty)), m.PerRequest.How),
            ("retain_fraction", Num(m.RetainFraction.Value), Pm(Num(m.RetainFraction.Uncertainty)), m.RetainFraction.How),
            ("retain_max", Kb(m.RetainMax.Value), Pm(Kb(m.RetainMax.Uncertainty)), m.RetainMax.How),
            ("retain_shrink", Num(m.RetainShrink.Value), Pm(Num(m.RetainShrink.Uncertainty)), m.RetainShrink.How),
            ("child_vsz", Kb(m.ChildVsz.Value), Pm(Kb(m.ChildVsz.Uncertainty)), m.ChildVsz.How),
            ("master_rss", Kb(m.MasterRss.Value), Pm(Kb(m.MasterRss.Uncertainty)), m.MasterRss.How),
            ("master_vsz", Kb(m.MasterVsz.Value), Pm(Kb(m.MasterVsz.Uncertainty)), m.MasterVsz.How),
            ("work", $"{Num(fit.Original.Request.WorkMs.Mean)} ms → {Num(fit.Calibrated.Request.WorkMs.Mean)} ms (mean)",
                Pm(Num(fit.Work.OverheadMs.Uncertainty) + " ms"), $"+ {Num(fit.Work.OverheadMs.Value)} ms overhead: " + fit.Work.OverheadMs.How),
            .. (fit.Work.SpreadMs.Value > 0
                ? new[] { ("work spread", $"{Num(fit.Work.SpreadMs.Value)} ms", Pm(Num(fit.Work.SpreadMs.Uncertainty, "0.####") + " ms"), fit.Work.SpreadMs.How) }
                : []),
            ("cold_start", $"{Num(fit.ColdStartMs.Value)} ms", Pm(Num(fit.ColdStartMs.Uncertainty) + " ms"), fit.ColdStartMs.How),
            .. (fit.ExitTime is { } et
                ? new[] { ("exit_time", $"{Num(et.Ms.Value)} ms" + (et.SpreadMs.Value > 0 ? $" (spread {Num(et.SpreadMs.Value)} ms)" : ""), Pm(Num(et.Ms.Uncertainty) + " ms"), et.Ms.How) }
                : []),
            .. (fit.StartSpread is { } ss
                ? new[] { ("start_spread", $"{Num(ss.Ms.Value)} ms", Pm(Num(ss.Ms.Uncertainty) + " ms"), ss.Ms.How) }
                : []),
            .. (fit.AcceptWakeup is { } aw
                ? new[] { ("accept_wakeup", $"{Num(aw.Ms.Value)} ms", Pm(Num(aw.Ms.Uncertainty) + " ms"), aw.Ms.How) }
                : []),
            .. (fit.Shared is { } sh
                ? new[]
                {
                    ("shared", Kb(sh.Shared.Value), Pm(Kb(sh.Shared.Uncertainty)), sh.Shared.How + " (taken out of child_baseline and child_vsz, which held it)"),
                    ("shared_code", Kb(sh.SharedCode.Value), Pm(Kb(sh.SharedCode.Uncertainty)), sh.SharedCode.How),
                    ("shared_others", Num(sh.Others.Value), Pm(Num(sh.Others.Uncertainty)), sh.Others.How),
                    ("master_pss", Kb(sh.MasterPss.Value), Pm(Kb(sh.MasterPss.Uncertainty)), sh.MasterPss.How),
                }
                : []),
            ("master_start", $"{Num(fit.Calibrated.Memory.MasterStart.TotalMilliseconds, "0.#")} ms", "", "when the real master started: the sim's starts then"),
            ("load start", $"{Num(fit.LoadStartS * 1000, "0")} ms", "", "the real load began once the pool was up; the calibrated scenario starts with a pause that long"),
        ];
    }

    /// <summary>What the terminal shows (the caller prints the compare report's path last).</summary>
    public static string Terminal(CalibrationOutcome o)
    {
        var sb = new StringBuilder();
        var fit = o.Fit;
        sb.Append($"calibrated the sim on {o.RealDir}\n");
        sb.Append($"  ({fit.Memory.States} child states; rms residual of the replayed sim {Calibrator.F(fit.Memory.RmsResidualKb, "0")} KiB)\n\n");
        var rows = Parameters(fit);
        int w1 = rows.Max(r => r.Name.Length), w2 = rows.Max(r => r.Value.Length), w3 = rows.Max(r => r.Uncertainty.Length);
        foreach (var r in rows) sb.Append("  ").Append(r.Name.PadRight(w1)).Append("  ").Append(r.Value.PadLeft(w2)).Append(' ').Append(r.Uncertainty.PadRight(w3)).Append('\n');
        foreach (var n in fit.Notes) sb.Append("  note: ").Append(n).Append('\n');
        sb.Append('\n').Append(BoundaryTable(o, markdown: false));
        if (o.Storm.Count > 0) sb.Append('\n').Append(StormTable(o, markdown: false));
        sb.Append($"\n  calibrated scenario: {o.ScenarioPath}\n  fitted [memory]:     {o.MemoryPath}\n  calibrated sim run:  {o.SimDir}\n");
        return sb.ToString();
    }

    private static string BoundaryTable(CalibrationOutcome o, bool markdown)
    {
        var sb = new StringBuilder();
        string what = o.BoundariesAreRecycles
            ? "recycle boundaries: the largest child's RSS at the most requests it served before pm.max_requests recycled it"
            : "no child was recycled: the largest child's RSS at every tenth of the requests served";
        sb.Append(markdown ? $"## Real run against the calibrated sim\n\n{char.ToUpperInvariant(what[0])}{what[1..]}.\n\n" : $"  {what}:\n");
        if (markdown) sb.Append("| # | requests served | real RSS (KiB) | sim RSS (KiB) | difference |\n|---:|---:|---:|---:|---:|\n");
        else sb.Append($"  {"#",3}  {"served",6}  {"real KiB",10}  {"sim KiB",10}  {"diff",7}\n");
        foreach (var b in o.Boundaries)
        {
            string served = b.Real.Served == b.Sim.Served ? b.Real.Served.ToString(Inv) : $"{b.Real.Served}/{b.Sim.Served}";
            string diff = (b.DifferencePercent >= 0 ? "+" : "") + b.DifferencePercent.ToString("0.0", Inv) + "%";
            if (markdown) sb.Append($"| {b.Index} | {served} | {b.Real.RssKb} | {b.Sim.RssKb} | {diff}{(b.Within(Calibrator.TolerancePercent) ? "" : " ✗")} |\n");
            else sb.Append($"  {b.Index,3}  {served,6}  {b.Real.RssKb,10}  {b.Sim.RssKb,10}  {diff,7}{(b.Within(Calibrator.TolerancePercent) ? "" : "  ✗")}\n");
        }
        if (o.RealBoundaries != o.SimBoundaries)
            sb.Append(markdown ? "\n" : "  ").Append($"note: the real run has {o.RealBoundaries} boundaries, the sim {o.SimBoundaries}; the first {o.Boundaries.Count} are compared\n");
        string verdict = o.Boundaries.Count == 0 ? "nothing to compare"
            : o.Agrees ? $"all {o.Boundaries.Count} within {Calibrator.TolerancePercent:0}%: the calibrated sim agrees with the real run"
            : $"{o.Boundaries.Count(b => !b.Within(Calibrator.TolerancePercent))} of {o.Boundaries.Count} off by more than {Calibrator.TolerancePercent:0}%";
        sb.Append(markdown ? $"\n**{verdict}.**\n" : $"  {verdict}\n");
        return sb.ToString();
    }

    private static string StormTable(CalibrationOutcome o, bool markdown)
    {
        var sb = new StringBuilder();
        double tol = StormComparison.TolerancePercent;
        int seeds = o.Storm.Max(f => f.Seeds);
        string what = "the recycle storm: the figures of summary.json's \"storm\", real against the calibrated sim" +
                      (seeds > 1 ? $" (the median and the range of {seeds} seeds: a storm's figures move from run to run)" : "");
        string Mark(StormFigure f) => f.Within(tol) ? "" : f.InSimRange ? "in the sim's range" : "✗";
        if (markdown)
            sb.Append($"## The recycle storm\n\n{char.ToUpperInvariant(what[0])}{what[1..]}.\n\n| figure | real | sim (median) | sim range | difference | |\n|---|---:|---:|---:|---:|---|\n");
        else
            sb.Append($"  {what}:\n  {"",-30}  {"real",9}  {"sim",9}  {"sim range",15}  {"diff",7}\n");
        int w = Math.Max(30, o.Storm.Max(f => f.Label.Length));
        foreach (var f in o.Storm)
        {
            string diff = double.IsFinite(f.DifferencePercent) ? (f.DifferencePercent >= 0 ? "+" : "") + f.DifferencePercent.ToString("0.0", Inv) + "%" : "n/a";
            string real = f.Real.ToString("0.###", Inv), sim = f.Sim.ToString("0.###", Inv);
            string range = f.SimMin == f.SimMax ? f.SimMin.ToString("0.###", Inv) : $"{f.SimMin.ToString("0.###", Inv)}–{f.SimMax.ToString("0.###", Inv)}";
            if (markdown) sb.Append($"| {f.Label} (`{f.Name}`) | {real} | {sim} | {range} | {diff} | {Mark(f)} |\n");
            else sb.Append($"  {f.Label.PadRight(w)}  {real,9}  {sim,9}  {range,15}  {diff,7}{(Mark(f).Length > 0 ? "  " + Mark(f) : "")}\n");
        }
        int off = o.Storm.Count(f => !f.Agrees(tol)), ranged = o.Storm.Count(f => !f.Within(tol) && f.InSimRange);
        string verdict = off == 0
            ? (ranged == 0 ? $"all {o.Storm.Count} within {tol:0}%: the calibrated sim draws the same storm"
                           : $"all {o.Storm.Count} agree ({o.Storm.Count - ranged} within {tol:0}% of the sim's median, {ranged} inside the range its seeds drew): the calibrated sim draws the same storm")
            : $"{off} of {o.Storm.Count} off by more than {tol:0}% and outside the sim's range: " + string.Join(", ", o.Storm.Where(f => !f.Agrees(tol)).Select(f => f.Name));
        sb.Append(markdown ? $"\n**{verdict}.**\n" : $"  {verdict}\n");
        return sb.ToString();
    }

    public static string Markdown(CalibrationOutcome o)
    {
        var sb = new StringBuilder();
        sb.Append($"# Calibration of the simulator on {Path.GetFileName(o.RealDir)}\n\n");
        sb.Append($"Real run: `{o.RealDir}` (engine {EngineNames.Of(o.Fit.Original.Engine)}). ");
        sb.Append("The simulator's memory model was fitted by replaying the sim's allocator over the requests each real child served; ");
        sb.Append($"{o.Fit.Memory.States} child states, rms residual {Calibrator.F(o.Fit.Memory.RmsResidualKb, "0")} KiB.\n\n");
        sb.Append("| parameter | fitted | uncertainty | how |\n|---|---:|---:|---|\n");
        foreach (var r in Parameters(o.Fit)) sb.Append($"| `{r.Name}` | {r.Value} | {r.Uncertainty} | {r.How} |\n");
        var notes = o.Fit.Notes.ToList();
        if (notes.Count > 0) { sb.Append('\n'); foreach (var n in notes) sb.Append("- ").Append(n).Append('\n'); }
        sb.Append('\n').Append(BoundaryTable(o, markdown: true));
        if (o.Storm.Count > 0) sb.Append('\n').Append(StormTable(o, markdown: true));
        sb.Append($"\nFiles: [`calibrated.toml`](calibrated.toml) (run it with `./run.sh {o.ScenarioPath}`), [`memory.toml`](memory.toml), ");
        sb.Append("the sim's run in [`sim/`](sim/report.html), the compare report in [`compare/`](compare/report.html).\n");
        return sb.ToString();
    }

    public static string Json(CalibrationOutcome o)
    {
        var fit = o.Fit;
        object E(Estimate e) => new { value = Finite(e.Value), uncertainty = Finite(e.Uncertainty), how = e.How };
        var doc = new
        {
            real_run = o.RealDir,
            calibrated_scenario = o.ScenarioPath,
            sim_run = o.SimDir,
            compare_report = o.CompareHtml,
            memory = new
            {
                child_baseline_kb = E(fit.Memory.ChildBaseline),
                leak_scale = E(fit.Memory.LeakScale),
                per_request_kb = E(fit.Memory.PerRequest),
                retain_fraction = E(fit.Memory.RetainFraction),
                retain_max_kb = E(fit.Memory.RetainMax),
                retain_shrink = E(fit.Memory.RetainShrink),
                child_vsz_kb = E(fit.Memory.ChildVsz),
                master_rss_kb = E(fit.Memory.MasterRss),
                master_vsz_kb = E(fit.Memory.MasterVsz),
                rms_residual_kb = Finite(fit.Memory.RmsResidualKb),
                states = fit.Memory.States,
            },
            work = new { overhead_ms = E(fit.Work.OverheadMs), idle_requests = fit.Work.IdleRequests, mean_ms = fit.Calibrated.Request.WorkMs.Mean },
            work_spread_ms = E(fit.Work.SpreadMs),
            cold_start_ms = E(fit.ColdStartMs),
            master_start_ms = fit.Calibrated.Memory.MasterStart.TotalMilliseconds,
            start_spread = fit.StartSpread is { } ss ? new { ms = E(ss.Ms), real_repeats = ss.Real, sim_repeats = ss.Sim } : null,
            exit_time = fit.ExitTime is { } et ? new { ms = E(et.Ms), spread_ms = E(et.SpreadMs), recycles = et.Exits } : null,
            accept_wakeup = fit.AcceptWakeup is { } aw
                ? new
                {
                    ms = E(aw.Ms),
                    real_out_of_turn = aw.Real.OutOfTurn, real_compared = aw.Real.Compared,
                    sim_out_of_turn = aw.Sim?.OutOfTurn, sim_compared = aw.Sim?.Compared,
                }
                : null,
            load_start_s = fit.LoadStartS,
            notes = fit.Notes.ToList(),
            boundaries_are_recycles = o.BoundariesAreRecycles,
            tolerance_percent = Calibrator.TolerancePercent,
            boundaries = o.Boundaries.Select(b => new
            {
                index = b.Index,
                real = new { pid = b.Real.Pid, served = b.Real.Served, t_s = b.Real.T, rss_kb = b.Real.RssKb },
                sim = new { pid = b.Sim.Pid, served = b.Sim.Served, t_s = b.Sim.T, rss_kb = b.Sim.RssKb },
                difference_percent = Finite(Math.Round(b.DifferencePercent, 3)),
            }),
            agrees = o.Agrees,
            storm_tolerance_percent = StormComparison.TolerancePercent,
            storm_seeds = o.Storm.Count > 0 ? o.Storm.Max(f => f.Seeds) : 0,
            storm = o.Storm.Select(f => new
            {
                figure = f.Name, real = f.Real, sim = f.Sim, sim_min = f.SimMin, sim_max = f.SimMax,
                difference_percent = Finite(Math.Round(f.DifferencePercent, 3)),
                within_tolerance = f.Within(StormComparison.TolerancePercent), in_sim_range = f.InSimRange,
            }),
            storm_agrees = o.Storm.Count > 0 ? o.StormAgrees : (bool?)null,
        };
        return JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    private static double? Finite(double v) => double.IsFinite(v) ? v : null;
}
