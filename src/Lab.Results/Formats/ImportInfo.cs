using Lab.Results.Formats;

namespace Lab.Results;

/// <summary>
/// import.json, in the folder of an imported ps log: what the log does not say (settings left
/// "unknown", not guessed) and how its snapshots were turned into requests, if the user said
/// (import --requests-per-block N or --rate R); without either, "requests" count ps observations.
/// </summary>
/// <param name="Source">The log's file name.</param>
/// <param name="Unknown">Scenario keys the log does not give (pool.pm, pool.max_children, pool.max_requests, ...).</param>
/// <param name="RequestsPerBlock">--requests-per-block: requests the pool served between two ps blocks.</param>
/// <param name="RateRps">--rate: requests per second of log the pool served.</param>
public sealed record ImportInfo(string Source, IReadOnlyList<string> Unknown, double? RequestsPerBlock, double? RateRps)
{
    public const string File = "import.json";

    /// <summary>Whether snapshots were turned into requests (a rate or requests per block was given).</summary>
    public bool HasRequests => RequestsPerBlock is not null || RateRps is not null;

    /// <summary>What samples.csv's requests column counts: "request" with a rate, else "observation".</summary>
    public string Unit => HasRequests ? RunHeader.PerRequest : RunHeader.PerObservation;

    /// <summary>The keys a log never gives: every setting of php-fpm's pool and of the requests and load.</summary>
    public static readonly IReadOnlyList<string> NeverInALog =
    [
        "pool.pm", "pool.max_children", "pool.max_requests", "pool.memory_limit", "pool.request_terminate_timeout",
        "pool.request_slowlog_timeout", "pool.listen_backlog", "pool.start_servers", "pool.min_spare_servers",
        "pool.max_spare_servers", "pool.max_spawn_rate", "pool.process_idle_timeout",
        "request.leak", "request.transient", "request.work", "request.wait", "load",
    ];

    public string ToJson() => Json.Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("source", Source);
        w.WriteStartArray("unknown");
        foreach (var k in Unknown) w.WriteStringValue(k);
        w.WriteEndArray();
        Json.WriteNumberOrNull(w, "requests_per_block", RequestsPerBlock);
        Json.WriteNumberOrNull(w, "rate_rps", RateRps);
        w.WriteString("unit", Unit);
        w.WriteEndObject();
    });

    public static ImportInfo FromJson(string json, string file)
    {
        using var doc = Json.Parse(json, file);
        var r = doc.RootElement;
        var unknown = new List<string>();
        if (r.TryGetProperty("unknown", out var u) && u.ValueKind == System.Text.Json.JsonValueKind.Array)
            foreach (var e in u.EnumerateArray()) if (e.GetString() is { } k) unknown.Add(k);
        return new ImportInfo(Json.StrOrNull(r, "source", file) ?? "", unknown,
            r.TryGetProperty("requests_per_block", out _) ? Json.DoubleOrNull(r, "requests_per_block", file) : null,
            r.TryGetProperty("rate_rps", out _) ? Json.DoubleOrNull(r, "rate_rps", file) : null);
    }
}
