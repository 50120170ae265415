using System.Text.Json;
using Lab.Results;

namespace Lab.Report.Model;

/// <summary>One summary.json figure: its flattened key ("latency_ms.p99"), the value as the file writes it, and a reading in units.</summary>
internal sealed record SummaryRow(string Key, string Value, string Reading);

/// <summary>
/// Every key of summary.json, nested objects flattened with dots (latency_ms.p99,
/// child_exits.max_requests, pool_status.accepted conn), in the file's order. An empty object
/// keeps one row under its own key, so no key of the file is ever left out.
/// </summary>
internal static class SummaryRows
{
    public static IReadOnlyList<SummaryRow> Of(Summary summary)
    {
        // summary.json's own writer: the rows are exactly the file's keys, for a run that wrote
        // the file and for one whose summary was computed.
        using var doc = JsonDocument.Parse(summary.ToJson());
        var rows = new List<SummaryRow>();
        Flatten(doc.RootElement, "", rows);
        return rows;
    }

    private static void Flatten(JsonElement e, string prefix, List<SummaryRow> rows)
    {
        foreach (var p in e.EnumerateObject())
        {
            string key = prefix.Length == 0 ? p.Name : prefix + "." + p.Name;
            if (p.Value.ValueKind == JsonValueKind.Object)
            {
                if (!p.Value.EnumerateObject().Any()) rows.Add(new SummaryRow(key, "{}", "none"));
                else Flatten(p.Value, key, rows);
                continue;
            }
            string value = p.Value.ValueKind switch
            {
                JsonValueKind.String => p.Value.GetString()!,
                JsonValueKind.Null => "null",
                _ => p.Value.GetRawText(),
            };
            rows.Add(new SummaryRow(key, value, Reading(key, p.Value)));
        }
    }

    private static string Reading(string key, JsonElement v)
    {
        if (v.ValueKind == JsonValueKind.Null)
            return key.StartsWith("leak_kb", StringComparison.Ordinal) ? "could not be fitted" : key.StartsWith("latency", StringComparison.Ordinal) ? "no request answered" : "";
        if (v.ValueKind != JsonValueKind.Number) return "";
        double x = v.GetDouble();
        string leaf = key[(key.LastIndexOf('.') + 1)..];
        if (key.StartsWith("latency", StringComparison.Ordinal)) return Fmt.Ms(x);
        if (key.StartsWith("status_counts.", StringComparison.Ordinal) && int.TryParse(leaf, out int status))
            return Lab.Core.Records.RequestStatus.Describe(status);
        if (key is "leak_kb_per_request" or "leak_kb_per_request_stderr") return Fmt.Size(x) + " per request";
        if (leaf.EndsWith("_kb", StringComparison.Ordinal)) return Fmt.Size(x);
        if (leaf.EndsWith("_s", StringComparison.Ordinal)) return Fmt.Seconds(x);
        if (leaf.EndsWith("_rps", StringComparison.Ordinal)) return Fmt.Rate(x);
        return ""; // counts, the seed, php-fpm's status counters: the value says it all
    }
}
