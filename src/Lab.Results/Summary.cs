using System.Globalization;
using System.Text.Json;
using Lab.Core.Engines;
using Lab.Results.Formats;

namespace Lab.Results;

/// <summary>Latency percentiles of a run in milliseconds (from its HdrHistogram; max and mean exact).</summary>
public sealed record LatencySummary(double P50, double P90, double P99, double P999, double Max, double Mean);

/// <summary>
/// summary.json: the figures of a run. Computed by <see cref="SummaryBuilder"/> from what the
/// engine observed; numbers rounded to 3 decimals; no wall-clock value, so a simulated run's
/// summary is byte-identical for the same scenario and seed.
/// </summary>
public sealed record Summary
{
    public required string Engine { get; init; }
    public required string Scenario { get; init; }
    public required ulong Seed { get; init; }
    public required RunStatus Status { get; init; }
    /// <summary>Run time covered by the records: the latest time of any sample, event or request.</summary>
    public required double DurationS { get; init; }
    /// <summary>Throughput's denominator: the planned load length for a complete run, else first intended send to last request seen.</summary>
    public required double LoadDurationS { get; init; }
    public required long RequestsTotal { get; init; }
    public required long RequestsOk { get; init; }
    /// <summary>Sent but not ok (500, 502, 503, 504, ...).</summary>
    public required long RequestsFailed { get; init; }
    /// <summary>Never sent: no free slot at the intended send time (status 0).</summary>
    public required long Dropped { get; init; }
    /// <summary>Requests by status (0 = dropped).</summary>
    public required IReadOnlyDictionary<int, long> StatusCounts { get; init; }
    /// <summary>Answered requests (a response came: not dropped, not a client timeout) per second of load.</summary>
    public required double ThroughputRps { get; init; }
    /// <summary>Corrected latency (end − intended) of answered requests; null if none was answered.</summary>
    public required LatencySummary? LatencyMs { get; init; }
    /// <summary>Uncorrected latency (end − start) of answered requests; null if none was answered.</summary>
    public required LatencySummary? LatencyUncorrectedMs { get; init; }
    public required long ChildrenSpawned { get; init; }
    /// <summary>Children that exited because they reached pm.max_requests.</summary>
    public required long Recycles { get; init; }
    /// <summary>Child exits by why (max_requests, idle, kill-child, timeout, restart, ...).</summary>
    public required IReadOnlyDictionary<string, long> ChildExits { get; init; }
    /// <summary>Requests that failed on memory_limit (status 500).</summary>
    public required long MemoryLimitErrors { get; init; }
    public required long PeakChildRssKb { get; init; }
    /// <summary>Largest sum over one tick of the master's and the children's RSS.</summary>
    public required long PeakPoolRssKb { get; init; }
    /// <summary>The same sum at the last tick.</summary>
    public required long FinalPoolRssKb { get; init; }
    /// <summary>
    /// Largest sum over one tick of the processes' PSS (smaps_rollup, every pss_interval): what the
    /// host pays, shared pages counted once. Null when no tick read PSS.
    /// </summary>
    public long? PeakPoolPssKb { get; init; }
    /// <summary>The summed PSS at the last tick that read it; null when none did.</summary>
    public long? FinalPoolPssKb { get; init; }
    /// <summary>The largest child's USS (its private memory: what ending it gives back); null when never read.</summary>
    public long? PeakChildUssKb { get; init; }
    /// <summary>
    /// Summed RSS / summed PSS at the last tick that read PSS (the processes read at that tick):
    /// how many times what ps adds up to overstates what the host pays. Null when no tick read PSS.
    /// </summary>
    public double? RssPssRatio { get; init; }
    /// <summary>Fitted leak per request (LeakFit: child RSS against requests served, per PID); null if it cannot be fitted.</summary>
    public required double? LeakKbPerRequest { get; init; }
    public required double? LeakKbPerRequestStderr { get; init; }
    public required long FitPoints { get; init; }
    /// <summary>php-fpm status-page counters at the end (RunOutcome.PoolStatus); empty if none.</summary>
    public required IReadOnlyDictionary<string, long> PoolStatus { get; init; }

    public string ToJson() => Json.Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("engine", Engine);
        w.WriteString("scenario", Scenario);
        w.WriteNumber("seed", Seed);
        w.WriteString("status", Manifest.StatusName(Status));
        w.WriteNumber("duration_s", DurationS);
        w.WriteNumber("load_duration_s", LoadDurationS);
        w.WriteNumber("requests_total", RequestsTotal);
        w.WriteNumber("requests_ok", RequestsOk);
        w.WriteNumber("requests_failed", RequestsFailed);
        w.WriteNumber("dropped", Dropped);
        w.WriteStartObject("status_counts");
        foreach (var k in StatusCounts.Keys.Order()) w.WriteNumber(k.ToString(CultureInfo.InvariantCulture), StatusCounts[k]);
        w.WriteEndObject();
        w.WriteNumber("throughput_rps", ThroughputRps);
        WriteLatency(w, "latency_ms", LatencyMs);
        WriteLatency(w, "latency_uncorrected_ms", LatencyUncorrectedMs);
        w.WriteNumber("children_spawned", ChildrenSpawned);
        w.WriteNumber("recycles", Recycles);
        Json.WriteLongMap(w, "child_exits", ChildExits);
        w.WriteNumber("memory_limit_errors", MemoryLimitErrors);
        w.WriteNumber("peak_child_rss_kb", PeakChildRssKb);
        w.WriteNumber("peak_pool_rss_kb", PeakPoolRssKb);
        w.WriteNumber("final_pool_rss_kb", FinalPoolRssKb);
        Json.WriteNumberOrNull(w, "peak_pool_pss_kb", PeakPoolPssKb);
        Json.WriteNumberOrNull(w, "final_pool_pss_kb", FinalPoolPssKb);
        Json.WriteNumberOrNull(w, "peak_child_uss_kb", PeakChildUssKb);
        Json.WriteNumberOrNull(w, "rss_pss_ratio", RssPssRatio);
        Json.WriteNumberOrNull(w, "leak_kb_per_request", LeakKbPerRequest);
        Json.WriteNumberOrNull(w, "leak_kb_per_request_stderr", LeakKbPerRequestStderr);
        w.WriteNumber("fit_points", FitPoints);
        Json.WriteLongMap(w, "pool_status", PoolStatus);
        w.WriteEndObject();
    });

    private static void WriteLatency(Utf8JsonWriter w, string key, LatencySummary? l)
    {
        if (l is null) { w.WriteNull(key); return; }
        w.WriteStartObject(key);
        w.WriteNumber("p50", l.P50);
        w.WriteNumber("p90", l.P90);
        w.WriteNumber("p99", l.P99);
        w.WriteNumber("p999", l.P999);
        w.WriteNumber("max", l.Max);
        w.WriteNumber("mean", l.Mean);
        w.WriteEndObject();
    }

    /// <param name="file">Named in errors.</param>
    public static Summary FromJson(string json, string file = ResultsFiles.Summary)
    {
        using var doc = Json.Parse(json, file);
        var r = doc.RootElement;
        var status = Manifest.ReadStatus(r, file);
        var counts = new Dictionary<int, long>();
        foreach (var (k, n) in Json.LongMap(r, "status_counts", file))
            counts[int.TryParse(k, NumberStyles.None, CultureInfo.InvariantCulture, out int s) ? s
                : throw new ResultsFormatException(file, null, $"status_counts key \"{k}\" should be a status number")] = n;
        return new Summary
        {
            Engine = Json.Str(r, "engine", file),
            Scenario = Json.Str(r, "scenario", file),
            Seed = Json.ULong(r, "seed", file),
            Status = status,
            DurationS = Json.Double(r, "duration_s", file),
            LoadDurationS = Json.Double(r, "load_duration_s", file),
            RequestsTotal = Json.Long(r, "requests_total", file),
            RequestsOk = Json.Long(r, "requests_ok", file),
            RequestsFailed = Json.Long(r, "requests_failed", file),
            Dropped = Json.Long(r, "dropped", file),
            StatusCounts = counts,
            ThroughputRps = Json.Double(r, "throughput_rps", file),
            LatencyMs = ReadLatency(r, "latency_ms", file),
            LatencyUncorrectedMs = ReadLatency(r, "latency_uncorrected_ms", file),
            ChildrenSpawned = Json.Long(r, "children_spawned", file),
            Recycles = Json.Long(r, "recycles", file),
            ChildExits = Json.LongMap(r, "child_exits", file),
            MemoryLimitErrors = Json.Long(r, "memory_limit_errors", file),
            PeakChildRssKb = Json.Long(r, "peak_child_rss_kb", file),
            PeakPoolRssKb = Json.Long(r, "peak_pool_rss_kb", file),
            FinalPoolRssKb = Json.Long(r, "final_pool_rss_kb", file),
            PeakPoolPssKb = (long?)Json.DoubleOrAbsent(r, "peak_pool_pss_kb", file),
            FinalPoolPssKb = (long?)Json.DoubleOrAbsent(r, "final_pool_pss_kb", file),
            PeakChildUssKb = (long?)Json.DoubleOrAbsent(r, "peak_child_uss_kb", file),
            RssPssRatio = Json.DoubleOrAbsent(r, "rss_pss_ratio", file),
            LeakKbPerRequest = Json.DoubleOrNull(r, "leak_kb_per_request", file),
            LeakKbPerRequestStderr = Json.DoubleOrNull(r, "leak_kb_per_request_stderr", file),
            FitPoints = Json.Long(r, "fit_points", file),
            PoolStatus = Json.LongMap(r, "pool_status", file),
        };
    }

    private static LatencySummary? ReadLatency(JsonElement r, string key, string file)
    {
        var l = Json.Get(r, key, file);
        if (l.ValueKind == JsonValueKind.Null) return null;
        return new LatencySummary(Json.Double(l, "p50", file), Json.Double(l, "p90", file), Json.Double(l, "p99", file),
            Json.Double(l, "p999", file), Json.Double(l, "max", file), Json.Double(l, "mean", file));
    }
}
