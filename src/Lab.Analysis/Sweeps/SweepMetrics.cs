using Lab.Results;

namespace Lab.Analysis.Sweeps;

/// <summary>How a metric is read: a memory size (KiB), a latency (ms), or a plain number.</summary>
public enum MetricKind { SizeKb, LatencyMs, Number }

/// <summary>A result metric of a sweep: its column in sweep.csv, its plot's name and words, and how it is read from a summary.</summary>
public sealed record SweepMetric(string Column, string PlotName, string Title, MetricKind Kind, string Unit, string Meaning, Func<Summary, double?> Of);

/// <summary>The metrics a sweep tabulates and plots against its swept key.</summary>
public static class SweepMetrics
{
    /// <summary>Children recycled (pm.max_requests or a [recycle] rule) per 1,000 requests sent: the price of recycling (a fork, a cold child).</summary>
    public static double? RespawnsPer1k(Summary s) => s.RequestsTotal > 0 ? s.Recycles * 1000.0 / s.RequestsTotal : null;

    /// <summary>Failed and dropped requests as a share of all requests, in %.</summary>
    public static double? FailedPercent(Summary s) => s.RequestsTotal > 0 ? (s.RequestsFailed + s.Dropped) * 100.0 / s.RequestsTotal : null;

    public static readonly IReadOnlyList<SweepMetric> All =
    [
        new("peak_pool_rss_kb", "sweep-peak-pool-rss", "Peak pool RSS (master + children)", MetricKind.SizeKb, "KiB",
            "the most the pool's RSS added up to at one moment: what ps adds up to (pages the processes share counted once per process)", s => s.PeakPoolRssKb),
        new("peak_pool_pss_kb", "sweep-peak-pool-pss", "Peak pool PSS (what the host pays)", MetricKind.SizeKb, "KiB",
            "the most the pool's PSS added up to at a tick that read smaps_rollup: shared pages counted once", s => s.PeakPoolPssKb),
        new("rss_pss_ratio", "sweep-rss-pss-ratio", "Summed RSS / summed PSS at the last reading", MetricKind.Number, "×",
            "how many times what ps adds up to overstates what the host pays", s => s.RssPssRatio),
        new("peak_child_rss_kb", "sweep-peak-child-rss", "Peak RSS of one child", MetricKind.SizeKb, "KiB",
            "the largest child ever sampled", s => s.PeakChildRssKb),
        new("peak_child_uss_kb", "sweep-peak-child-uss", "Peak USS of one child (private memory)", MetricKind.SizeKb, "KiB",
            "the most private memory one child held: what ending it gives back", s => s.PeakChildUssKb),
        new("respawns_per_1k_requests", "sweep-respawns", "Respawns per 1,000 requests (children recycled by pm.max_requests)", MetricKind.Number, "per 1,000 requests",
            "forks paid for recycling: each is a cold child (empty opcache, new connections)", RespawnsPer1k),
        new("latency_p99_ms", "sweep-latency-p99", "p99 latency (from the intended send time)", MetricKind.LatencyMs, "ms",
            "corrected for coordinated omission", s => s.LatencyMs?.P99),
        new("throughput_rps", "sweep-throughput", "Throughput (answered requests per second)", MetricKind.Number, "req/s",
            "over the load's length", s => s.ThroughputRps),
        new("failed_percent", "sweep-failed", "Failed or dropped requests (%)", MetricKind.Number, "%",
            "memory_limit errors, children dying mid-request, refusals, timeouts and drops", FailedPercent),
        new("max_recycles_per_s", "sweep-recycle-storm", "Most recycles in any second (the recycle storm)", MetricKind.Number, "recycles",
            "children recycled together: a burst of forks and cold children", s => s.Storm?.MaxRecyclesPerSecond),
        new("pool_rss_peak_to_mean", "sweep-peak-to-mean", "Pool RSS: peak / mean", MetricKind.Number, "ratio",
            "how far the pool's memory swings above its mean: the RAM a synchronised sawtooth wastes", s => s.Storm?.PoolRssPeakToMean),
    ];
}
