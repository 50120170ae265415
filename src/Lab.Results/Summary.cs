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
    /// <summary>"load.iterations" when the cap on requests ended the run before its planned length; null otherwise.</summary>
    public string? StoppedBy { get; init; }
    /// <summary>Run time covered by the records: the latest time of any sample, event or request.</summary>
    public required double DurationS { get; init; }
    /// <summary>The span the load actually ran: from the first intended send to the last request's end (the rates' denominator).</summary>
    public required double LoadDurationS { get; init; }
    public required long RequestsTotal { get; init; }
    public required long RequestsOk { get; init; }
    /// <summary>Sent but not ok (500, 502, 503, 504, ...).</summary>
    public required long RequestsFailed { get; init; }
    /// <summary>Never sent: no free slot at the intended send time (status 0).</summary>
    public required long Dropped { get; init; }
    /// <summary>Requests by status (0 = dropped).</summary>
    public required IReadOnlyDictionary<int, long> StatusCounts { get; init; }
    /// <summary>Answered requests (a response came, of any status: not dropped, not a client timeout) per second of load actually run.</summary>
    public required double ThroughputRps { get; init; }
    /// <summary>Requests sent (not dropped) per second of load actually run.</summary>
    public double OfferedRps { get; init; }
    /// <summary>Requests answered 200 per second of load actually run: what the pool really served.</summary>
    public double GoodputRps { get; init; }
    /// <summary>Corrected latency (end − intended) of answered requests; null if none was answered.</summary>
    public required LatencySummary? LatencyMs { get; init; }
    /// <summary>Uncorrected latency (end − start) of answered requests; null if none was answered.</summary>
    public required LatencySummary? LatencyUncorrectedMs { get; init; }
    /// <summary>Corrected latency of the successful requests (200) alone; null if none.</summary>
    public LatencySummary? LatencyOkMs { get; init; }
    /// <summary>Corrected latency of the failed ones (sent, not 200: refused, memory_limit, child died, client timeout); null if none.</summary>
    public LatencySummary? LatencyFailedMs { get; init; }
    /// <summary>Spawn events: children the master forked during the run.</summary>
    public required long ChildrenSpawned { get; init; }
    /// <summary>Child lives the records show (PoolLedger): spawned ones, and those there before the records began.</summary>
    public long ChildPids { get; init; }
    /// <summary>Of those, the ones with no RSS reading at all (no sample caught them, no rss_kb of theirs).</summary>
    public long ChildPidsUnmeasured { get; init; }
    /// <summary>Children that exited because they reached pm.max_requests.</summary>
    public required long Recycles { get; init; }
    /// <summary>Child exits by why (max_requests, idle, kill-child, timeout, restart, ...).</summary>
    public required IReadOnlyDictionary<string, long> ChildExits { get; init; }
    /// <summary>Requests that failed on memory_limit (status 500).</summary>
    public required long MemoryLimitErrors { get; init; }
    /// <summary>The largest child RSS read: at a sample tick, or right after a request it served.</summary>
    public required long PeakChildRssKb { get; init; }
    /// <summary>The largest total of the master's and the children's RSS: at a sample tick, or at a request's end (each running child at its last known RSS).</summary>
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
    /// <summary>The leak per request (<see cref="Lab.Core.Fitting.LeakFit"/>: what grows without bound, the allocator's bounded retention apart); null if it cannot be fitted.</summary>
    public required double? LeakKbPerRequest { get; init; }
    public required double? LeakKbPerRequestStderr { get; init; }
    /// <summary>The leak's 95% confidence interval.</summary>
    public double? LeakKbPerRequestLow95 { get; init; }
    public double? LeakKbPerRequestHigh95 { get; init; }
    /// <summary>RSS growth per request over these lives (each child's RSS straight against its requests served): the leak and the retention filling up together.</summary>
    public double? RssGrowthKbPerRequest { get; init; }
    public double? RssGrowthKbPerRequestStderr { get; init; }
    /// <summary>What the allocator keeps once saturated, above a fresh child besides the leak (KiB), as the leak's fit sees it.</summary>
    public double? RetentionKb { get; init; }
    /// <summary>How the leak was fitted, in words; null when it was not.</summary>
    public string? LeakFitMethod { get; init; }
    /// <summary>"request", or "observation" for an imported ps log without a request rate (the per-request figures are then per ps block).</summary>
    public string LeakUnit { get; init; } = RunHeader.PerRequest;
    public required long FitPoints { get; init; }
    /// <summary>php-fpm status-page counters at the end (RunOutcome.PoolStatus); empty if none.</summary>
    public required IReadOnlyDictionary<string, long> PoolStatus { get; init; }
    /// <summary>The recycle-storm figures (Storm/StormMeter); null in a summary.json written before them.</summary>
    public Storm.StormSummary? Storm { get; init; }
    /// <summary>What the engine says of how it measured (RunOutcome.Notes), e.g. smaps_rollup read less often than pss_interval to keep its cost; empty if nothing.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    public string ToJson() => Json.Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("engine", Engine);
        w.WriteString("scenario", Scenario);
        w.WriteNumber("seed", Seed);
        w.WriteString("status", Manifest.StatusName(Status));
        if (StoppedBy is null) w.WriteNull("stopped_by"); else w.WriteString("stopped_by", StoppedBy);
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
        w.WriteNumber("offered_rps", OfferedRps);
        w.WriteNumber("goodput_rps", GoodputRps);
        WriteLatency(w, "latency_ms", LatencyMs);
        WriteLatency(w, "latency_uncorrected_ms", LatencyUncorrectedMs);
        WriteLatency(w, "latency_ok_ms", LatencyOkMs);
        WriteLatency(w, "latency_failed_ms", LatencyFailedMs);
        w.WriteNumber("children_spawned", ChildrenSpawned);
        w.WriteNumber("child_pids", ChildPids);
        w.WriteNumber("child_pids_unmeasured", ChildPidsUnmeasured);
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
        Json.WriteNumberOrNull(w, "leak_kb_per_request_low95", LeakKbPerRequestLow95);
        Json.WriteNumberOrNull(w, "leak_kb_per_request_high95", LeakKbPerRequestHigh95);
        Json.WriteNumberOrNull(w, "rss_growth_kb_per_request", RssGrowthKbPerRequest);
        Json.WriteNumberOrNull(w, "rss_growth_kb_per_request_stderr", RssGrowthKbPerRequestStderr);
        Json.WriteNumberOrNull(w, "retention_kb", RetentionKb);
        if (LeakFitMethod is null) w.WriteNull("leak_fit"); else w.WriteString("leak_fit", LeakFitMethod);
        w.WriteString("leak_unit", LeakUnit);
        w.WriteNumber("fit_points", FitPoints);
        Json.WriteLongMap(w, "pool_status", PoolStatus);
        if (Storm is { } st)
        {
            w.WriteStartObject("storm");
            w.WriteNumber("max_recycles_per_s", st.MaxRecyclesPerSecond);
            w.WriteNumber("max_recycles_at_s", st.MaxRecyclesAtS);
            w.WriteNumber("max_starting_at_once", st.MaxStartingAtOnce);
            Json.WriteNumberOrNull(w, "pool_rss_peak_to_mean", st.PoolRssPeakToMean);
            Json.WriteNumberOrNull(w, "pool_pss_peak_to_mean", st.PoolPssPeakToMean);
            Json.WriteNumberOrNull(w, "p99_near_recycles_ms", st.P99NearRecyclesMs);
            Json.WriteNumberOrNull(w, "p99_elsewhere_ms", st.P99ElsewhereMs);
            w.WriteNumber("requests_near_recycles", st.RequestsNearRecycles);
            w.WriteEndObject();
        }
        if (Notes.Count > 0)
        {
            w.WriteStartArray("notes");
            foreach (var n in Notes) w.WriteStringValue(n);
            w.WriteEndArray();
        }
        w.WriteEndObject();
    });

    private static Storm.StormSummary? ReadStorm(JsonElement r, string file)
    {
        if (!r.TryGetProperty("storm", out var st) || st.ValueKind == JsonValueKind.Null) return null;
        // a figure the run could not have (PSS never read, no request near a recycle) may be null or absent
        double? Opt(string key) => st.TryGetProperty(key, out _) ? Json.DoubleOrNull(st, key, file) : null;
        return new Storm.StormSummary((int)Json.Long(st, "max_recycles_per_s", file), Json.Double(st, "max_recycles_at_s", file),
            (int)Json.Long(st, "max_starting_at_once", file), Opt("pool_rss_peak_to_mean"), Opt("pool_pss_peak_to_mean"),
            Opt("p99_near_recycles_ms"), Opt("p99_elsewhere_ms"), Json.Long(st, "requests_near_recycles", file));
    }

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
            StoppedBy = Json.StrOrNull(r, "stopped_by", file),
            DurationS = Json.Double(r, "duration_s", file),
            LoadDurationS = Json.Double(r, "load_duration_s", file),
            RequestsTotal = Json.Long(r, "requests_total", file),
            RequestsOk = Json.Long(r, "requests_ok", file),
            RequestsFailed = Json.Long(r, "requests_failed", file),
            Dropped = Json.Long(r, "dropped", file),
            StatusCounts = counts,
            ThroughputRps = Json.Double(r, "throughput_rps", file),
            // written since issue 9; absent from older folders
            OfferedRps = Optional(r, "offered_rps", file) ?? 0,
            GoodputRps = Optional(r, "goodput_rps", file) ?? 0,
            LatencyMs = ReadLatency(r, "latency_ms", file),
            LatencyUncorrectedMs = ReadLatency(r, "latency_uncorrected_ms", file),
            LatencyOkMs = r.TryGetProperty("latency_ok_ms", out _) ? ReadLatency(r, "latency_ok_ms", file) : null,
            LatencyFailedMs = r.TryGetProperty("latency_failed_ms", out _) ? ReadLatency(r, "latency_failed_ms", file) : null,
            ChildrenSpawned = Json.Long(r, "children_spawned", file),
            ChildPids = (long)(Optional(r, "child_pids", file) ?? 0),
            ChildPidsUnmeasured = (long)(Optional(r, "child_pids_unmeasured", file) ?? 0),
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
            LeakKbPerRequestLow95 = Optional(r, "leak_kb_per_request_low95", file),
            LeakKbPerRequestHigh95 = Optional(r, "leak_kb_per_request_high95", file),
            RssGrowthKbPerRequest = Optional(r, "rss_growth_kb_per_request", file),
            RssGrowthKbPerRequestStderr = Optional(r, "rss_growth_kb_per_request_stderr", file),
            RetentionKb = Optional(r, "retention_kb", file),
            LeakFitMethod = Json.StrOrNull(r, "leak_fit", file),
            LeakUnit = Json.StrOrNull(r, "leak_unit", file) ?? RunHeader.PerRequest,
            FitPoints = Json.Long(r, "fit_points", file),
            PoolStatus = Json.LongMap(r, "pool_status", file),
            Storm = ReadStorm(r, file),
            Notes = r.TryGetProperty("notes", out var notes) && notes.ValueKind == JsonValueKind.Array
                ? notes.EnumerateArray().Select(n => n.GetString() ?? "").ToList() : [],
        };
    }

    /// <summary>A number or null under a key that older folders do not have (null when absent).</summary>
    private static double? Optional(JsonElement r, string key, string file) =>
        r.TryGetProperty(key, out _) ? Json.DoubleOrNull(r, key, file) : null;

    private static LatencySummary? ReadLatency(JsonElement r, string key, string file)
    {
        var l = Json.Get(r, key, file);
        if (l.ValueKind == JsonValueKind.Null) return null;
        return new LatencySummary(Json.Double(l, "p50", file), Json.Double(l, "p90", file), Json.Double(l, "p99", file),
            Json.Double(l, "p999", file), Json.Double(l, "max", file), Json.Double(l, "mean", file));
    }
}
