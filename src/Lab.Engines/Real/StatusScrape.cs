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
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        await using var client = await FastCgiClient.ConnectAsync(pool, timeout.Token);
        var response = await client.SendAsync(FastCgiRequests.Get(statusPath, statusPath + "?json"), ReadOnlyMemory<byte>.Empty, timeout.Token);
        if (response.Status != 200) return null;
        using var doc = JsonDocument.Parse(response.Body);
        var result = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var prop in doc.RootElement.EnumerateObject())
            if (prop.Value.ValueKind == JsonValueKind.Number && prop.Value.TryGetInt64(out long v))
                result[prop.Name] = v;
        return result;
    }
}
