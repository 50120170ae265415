using System.Net;
using System.Text.Json;
using Lab.FastCgi;

namespace Lab.Engines.Real;

/// <summary>
/// Reads the pool's status page (php-fpm's pm.status_path, ?json) over FastCGI, as nginx would
/// ask for it, into php-fpm's counters ("accepted conn", "max listen queue", ...). Works on the
/// real php-fpm and the lab's master alike.
/// </summary>
public static class StatusScrape
{
    /// <summary>The status page's pool counters, or null if it did not answer 200.</summary>
    public static async Task<IReadOnlyDictionary<string, long>?> FetchAsync(EndPoint pool, string statusPath, CancellationToken cancel)
    {
        using var doc = await FetchJsonAsync(pool, statusPath, "json", TimeSpan.FromSeconds(5), cancel);
        if (doc is null) return null;
        var result = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var prop in doc.RootElement.EnumerateObject())
            if (prop.Value.ValueKind == JsonValueKind.Number && prop.Value.TryGetInt64(out long v))
                result[prop.Name] = v;
        return result;
    }

    /// <summary>
    /// GET statusPath?query over FastCGI, the answer parsed as JSON; null if it did not answer 200.
    /// Throws when the pool cannot be reached or does not answer within the timeout.
    /// </summary>
    /// <param name="query">e.g. "json" or "json&amp;full".</param>
    public static async Task<JsonDocument?> FetchJsonAsync(EndPoint pool, string statusPath, string query, TimeSpan timeout, CancellationToken cancel)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        cts.CancelAfter(timeout);
        await using var client = await FastCgiClient.ConnectAsync(pool, cts.Token);
        var response = await client.SendAsync(FastCgiRequests.Get(statusPath, statusPath + "?" + query), ReadOnlyMemory<byte>.Empty, cts.Token);
        if (response.Status != 200) return null;
        return JsonDocument.Parse(response.Body);
    }
}
