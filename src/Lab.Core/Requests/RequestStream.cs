using System.Globalization;
using Lab.Core.Randomness;
using Lab.Core.Scenarios;

namespace Lab.Core.Requests;

/// <summary>What one request asks the child to do. Ids start at 1, in send order.</summary>
/// <param name="Kind">The request's kind ([[request.kinds]]), null without kinds.</param>
/// <param name="Script">The script requested (its URI path, "/leak.php").</param>
/// <param name="ExtraQuery">The scenario's own query string for it (request.query or the kind's), "" if none.</param>
/// <param name="LabParameters">Whether the lab's parameters (id, leak_kb, ...) go on the query: only the lab's own scripts read them.</param>
public readonly record struct RequestSpec(long Id, long LeakKb, long TransientKb, double WorkMs, double WaitMs,
    string? Kind = null, string Script = "/leak.php", string ExtraQuery = "", bool LabParameters = true)
{
    /// <summary>
    /// The query string every engine puts on the request: the lab's parameters (the lab's
    /// scripts and the dotnet worker read them), then the scenario's own query.
    /// </summary>
    public string Query
    {
        get
        {
            if (!LabParameters) return ExtraQuery;
            string lab = $"id={Id}&leak_kb={LeakKb}&transient_kb={TransientKb}&work_ms={WorkMs.ToString("0.###", CultureInfo.InvariantCulture)}&wait_ms={WaitMs.ToString("0.###", CultureInfo.InvariantCulture)}";
            return ExtraQuery.Length > 0 ? lab + "&" + ExtraQuery : lab;
        }
    }

    /// <summary>The request URI: the script and, when there is one, "?" and the query.</summary>
    public string Uri => Query is { Length: > 0 } q ? Script + "?" + q : Script;
}

/// <summary>
/// The scenario's request stream: request i's kind, leak, transient memory and work are a pure
/// function of (seed, i), identical on every engine.
/// </summary>
/// <param name="labParameters">
/// False for a docroot of the user's own scripts (php.root): the lab sends only the scenario's
/// query, and the request asks for no leak, transient memory, work or wait (they are 0 in
/// requests.csv: the lab did not ask for any). The kind drawn is the same either way.
/// </param>
public sealed class RequestStream(RequestProfile profile, ulong seed, bool labParameters = true)
{
    private readonly double[] _cumulative = Cumulative(profile.Kinds);

    public RequestProfile Profile { get; } = profile;
    public ulong Seed { get; } = seed;

    public RequestSpec For(long id)
    {
        ulong i = (ulong)id;
        var kind = KindOf(i);
        var leakD = kind?.LeakKb ?? Profile.LeakKb;
        var transientD = kind?.TransientKb ?? Profile.TransientKb;
        var workD = kind?.WorkMs ?? Profile.WorkMs;
        var waitD = kind?.WaitMs ?? Profile.WaitMs;
        string script = kind?.Script ?? Profile.Script;
        string query = kind?.Query ?? Profile.Query;
        if (!labParameters) return new RequestSpec(id, 0, 0, 0, 0, kind?.Name, script, query, LabParameters: false);

        long leak = (long)Math.Round(leakD.Draw(Seed, LabRandom.Streams.Leak, i));
        long transient = (long)Math.Round(transientD.Draw(Seed, LabRandom.Streams.Transient, i));
        double work = workD.Draw(Seed, LabRandom.Streams.Work, i);
        work = Math.Round(work, 3);
        double wait = waitD.Draw(Seed, LabRandom.Streams.Wait, i);
        wait = Math.Round(wait, 3);
        return new RequestSpec(id, leak, transient, work, wait, kind?.Name, script, query);
    }

    /// <summary>Request i's kind (null without kinds): one draw of its own stream against the kinds' cumulative probabilities.</summary>
    private RequestKind? KindOf(ulong i)
    {
        if (_cumulative.Length == 0) return null;
        double u = LabRandom.Uniform(Seed, LabRandom.Streams.Kind, i) * _cumulative[^1];
        for (int k = 0; k < _cumulative.Length; k++)
            if (u < _cumulative[k]) return Profile.Kinds[k];
        return Profile.Kinds[^1];
    }

    private static double[] Cumulative(IReadOnlyList<RequestKind> kinds)
    {
        var p = RequestKind.Probabilities(kinds);
        var c = new double[p.Length];
        double acc = 0;
        for (int k = 0; k < p.Length; k++) c[k] = acc += p[k];
        return c;
    }
}
