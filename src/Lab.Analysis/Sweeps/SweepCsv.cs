using System.Globalization;
using System.Text;
using Lab.Core.Engines;
using Lab.Results;

namespace Lab.Analysis.Sweeps;

/// <summary>
/// sweep.csv: one row per cell, in grid order — its settings (one column per swept key), how its
/// run ended, its folder, then the figures of its summary (empty for a failed cell).
/// </summary>
public static class SweepCsv
{
    public const string FileName = "sweep.csv";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The figures after the settings, in column order.</summary>
    private static readonly (string Column, Func<Summary, double?> Of)[] Figures =
    [
        ("requests_total", s => s.RequestsTotal),
        ("requests_ok", s => s.RequestsOk),
        ("requests_failed", s => s.RequestsFailed),
        ("dropped", s => s.Dropped),
        ("children_spawned", s => s.ChildrenSpawned),
        ("recycles", s => s.Recycles),
        ("respawns_per_1k_requests", SweepMetrics.RespawnsPer1k),
        ("peak_pool_rss_kb", s => s.PeakPoolRssKb),
        ("peak_child_rss_kb", s => s.PeakChildRssKb),
        ("final_pool_rss_kb", s => s.FinalPoolRssKb),
        ("latency_p50_ms", s => s.LatencyMs?.P50),
        ("latency_p99_ms", s => s.LatencyMs?.P99),
        ("latency_max_ms", s => s.LatencyMs?.Max),
        ("throughput_rps", s => s.ThroughputRps),
        ("failed_percent", SweepMetrics.FailedPercent),
        ("memory_limit_errors", s => s.MemoryLimitErrors),
        ("leak_kb_per_request", s => s.LeakKbPerRequest),
        ("leak_kb_per_request_stderr", s => s.LeakKbPerRequestStderr),
        // the recycle storm (summary.json's storm)
        ("max_recycles_per_s", s => s.Storm?.MaxRecyclesPerSecond),
        ("max_starting_at_once", s => s.Storm?.MaxStartingAtOnce),
        ("pool_rss_peak_to_mean", s => s.Storm?.PoolRssPeakToMean),
        ("pool_pss_peak_to_mean", s => s.Storm?.PoolPssPeakToMean),
        ("p99_near_recycles_ms", s => s.Storm?.P99NearRecyclesMs),
        ("p99_elsewhere_ms", s => s.Storm?.P99ElsewhereMs),
    ];

    public static string Header(SweepPlan plan) =>
        string.Join(',', new[] { "cell" }.Concat(plan.Axes.Select(a => Quote(a.Key))).Concat(["status", "reason", "folder"]).Concat(Figures.Select(f => f.Column)));

    public static string Render(SweepPlan plan, IReadOnlyList<CellResult> results)
    {
        var b = new StringBuilder();
        b.Append(Header(plan)).Append('\n');
        foreach (var r in results)
        {
            var fields = new List<string> { (r.Cell.Index + 1).ToString(Inv) };
            fields.AddRange(r.Cell.Settings.Select(s => Quote(s.Value)));
            fields.Add(Manifest.StatusName(r.Status));
            fields.Add(Quote(r.Reason ?? ""));
            fields.Add(Quote(r.Cell.Folder));
            foreach (var (_, of) in Figures)
                fields.Add(r.Summary is { } s && r.Status != RunStatus.Failed && of(s) is { } v && double.IsFinite(v) ? Number(v) : "");
            b.Append(string.Join(',', fields)).Append('\n');
        }
        return b.ToString();
    }

    private static string Number(double v) => Math.Round(v, 3).ToString("0.###", Inv);

    /// <summary>RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled.</summary>
    public static string Quote(string s) =>
        s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}
