using System.Globalization;
using System.Net;
using System.Text.Json;
using Lab.Engines.Real;

namespace Lab.Record.Status;

/// <summary>One child as the status page (?full) shows it.</summary>
/// <param name="State">php-fpm's request stage: "Idle", "Reading headers", "Running", "Finishing", ...</param>
/// <param name="Requests">Requests the child has begun (php-fpm counts one when it starts reading its headers).</param>
public sealed record StatusProcess(int Pid, string State, long Requests, string RequestUri)
{
    /// <summary>In the middle of a request: begun (counted) but not finished (fpm_request.c's stages before "Finishing").</summary>
    public bool InRequest => State is not ("Idle" or "Finishing");

    /// <summary>Requests it has finished.</summary>
    public long Finished => InRequest ? Math.Max(0, Requests - 1) : Requests;
}

/// <summary>The status page at one moment: the pool's counters ("accepted conn", ...) and its children.</summary>
public sealed record StatusSnapshot(IReadOnlyDictionary<string, long> Counters, IReadOnlyList<StatusProcess> Processes)
{
    /// <summary>"accepted conn": requests the pool's children have begun since the master started.</summary>
    public long AcceptedConn => Counters.TryGetValue("accepted conn", out long v) ? v : -1;

    public StatusProcess? Of(int pid) => Processes.FirstOrDefault(p => p.Pid == pid);

    /// <summary>php-fpm's ?json&amp;full page.</summary>
    public static StatusSnapshot Parse(JsonElement root)
    {
        var counters = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var prop in root.EnumerateObject())
            if (prop.Value.ValueKind == JsonValueKind.Number && prop.Value.TryGetInt64(out long v)) counters[prop.Name] = v;
        var processes = new List<StatusProcess>();
        if (root.TryGetProperty("processes", out var list) && list.ValueKind == JsonValueKind.Array)
            foreach (var p in list.EnumerateArray())
            {
                if (!p.TryGetProperty("pid", out var pid) || !pid.TryGetInt32(out int id)) continue;
                string state = p.TryGetProperty("state", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()! : "";
                long requests = p.TryGetProperty("requests", out var r) && r.TryGetInt64(out long n) ? n : 0;
                string uri = p.TryGetProperty("request uri", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString()! : "";
                processes.Add(new StatusProcess(id, state, requests, uri));
            }
        return new StatusSnapshot(counters, processes);
    }
}

/// <summary>
/// Reads a pool's status page over FastCGI (the lab's client), "?json&amp;full", marked with a
/// query parameter of its own so the child serving it can be told apart: that request is the
/// lab's, not the pool's traffic.
/// </summary>
public sealed class StatusReader(EndPoint endPoint, string path)
{
    /// <summary>The marker of the lab's own status requests ("leaklab=N" in the request URI).</summary>
    public string Marker { get; } = "leaklab=" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

    public EndPoint EndPoint { get; } = endPoint;
    public string Path { get; } = path;

    /// <summary>The status page now, or null when it did not answer 200 with php-fpm's JSON.</summary>
    /// <exception cref="Exception">The pool cannot be reached, or does not answer within the timeout.</exception>
    public StatusSnapshot? Read(TimeSpan timeout)
    {
        using var doc = StatusScrape.FetchJsonAsync(EndPoint, Path, "json&full&" + Marker, timeout, CancellationToken.None).GetAwaiter().GetResult();
        return doc is null ? null : StatusSnapshot.Parse(doc.RootElement);
    }

    /// <summary>The child serving this very request in a snapshot (0 if none shows it).</summary>
    public int ServedBy(StatusSnapshot s) =>
        s.Processes.FirstOrDefault(p => p.InRequest && p.RequestUri.Contains(Marker, StringComparison.Ordinal))?.Pid ?? 0;
}
