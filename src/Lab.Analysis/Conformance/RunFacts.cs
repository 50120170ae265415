using System.Text.RegularExpressions;
using Lab.Core.Logging;
using Lab.Core.Records;
using Lab.Results;
using Lab.Results.Reading;

namespace Lab.Analysis.Conformance;

/// <summary>
/// What one run of a conformance scenario showed, as numbers the rules compare across engines:
/// request outcomes, events by kind and cause, spawn batches, the status page's counters and the
/// log's wordings. Read from the results folder only, so every engine is measured the same way.
/// </summary>
public sealed partial class RunFacts
{
    private readonly RunFolder _run;

    /// <param name="runLength">The scenario's run length: the window the rules look at is the load's start plus this (what comes after — the lab's status scrape, the end of the run — is no rule's).</param>
    public RunFacts(RunFolder run, double runLength)
    {
        _run = run;
        var statuses = new Dictionary<int, int>();
        for (int i = 0; i < run.Requests.Count; i++)
            statuses[run.Requests.Status[i]] = statuses.GetValueOrDefault(run.Requests.Status[i]) + 1;
        Statuses = statuses;
        // the load starts at the first request's intended time (0 on the simulator; a little after
        // the master's launch on the real engines); the rules look at the run's length from there
        double loadStart = run.Requests.Count > 0 ? run.Requests.TIntended.Min() : 0;
        Events = run.Events;
        LogKinds = run.FpmLog.Select(Wording).Where(w => w is not null).Select(w => w!).ToList();
        WindowEnd = loadStart + runLength;
    }

    /// <summary>Requests by status (200, 500, 502, 503, 504, 0).</summary>
    public IReadOnlyDictionary<int, int> Statuses { get; }
    public IReadOnlyList<PoolEvent> Events { get; }
    /// <summary>The end of the window the rules look at: events from then on (the lab's status scrape, its SIGTERM at the end) are no rule's.</summary>
    public double WindowEnd { get; }
    /// <summary>fpm.log's lines as wordings: the kind of the table's line, or the line with its numbers blanked.</summary>
    public IReadOnlyList<string> LogKinds { get; }
    public string Directory => _run.Directory;

    public int Requests(int status) => Statuses.GetValueOrDefault(status);
    public int RequestsTotal => Statuses.Values.Sum();

    /// <summary>Events of a kind before the run's end (optionally of one why / spawn cause).</summary>
    public int Count(PoolEventKind kind, ExitCause? why = null, SpawnCause? spawned = null) =>
        Events.Count(e => e.Kind == kind && e.T < WindowEnd && (why is null || e.Why == why) && (spawned is null || e.Spawned == spawned));

    /// <summary>Child exits before the run's end, by how they ended: signaled or exited with a code.</summary>
    public int Exits(bool signaled, ExitCause? why = null) =>
        Events.Count(e => e.Kind == PoolEventKind.Exit && e.T < WindowEnd && e.How.Known && e.How.Signaled == signaled && (why is null || e.Why == why));

    /// <summary>The sizes of the process manager's spawn batches (maintenance or ondemand forks within 200 ms of each other), in order.</summary>
    public IReadOnlyList<int> SpawnBatches(params SpawnCause[] causes)
    {
        var batches = new List<int>();
        double last = double.NegativeInfinity;
        foreach (var e in Events.Where(e => e.Kind == PoolEventKind.Spawn && causes.Contains(e.Spawned)).OrderBy(e => e.T))
        {
            if (batches.Count > 0 && e.T - last < 0.2) batches[^1]++;
            else batches.Add(1);
            last = e.T;
        }
        return batches;
    }

    /// <summary>A status page counter at the end of the run (-1 when the page could not be read: no master listening).</summary>
    public long Status(string field) => _run.Summary?.PoolStatus.TryGetValue(field, out var v) == true ? v : -1;

    /// <summary>Lines of fpm.log of one wording.</summary>
    public int LogLines(FpmLogKind kind) => LogKinds.Count(k => k == kind.ToString());

    /// <summary>Seconds from a request's start to its end, for the requests of a status.</summary>
    public IReadOnlyList<double> Durations(int status)
    {
        var r = _run.Requests;
        var list = new List<double>();
        for (int i = 0; i < r.Count; i++) if (r.Status[i] == status) list.Add(r.TEnd[i] - r.TStart[i]);
        return list;
    }

    /// <summary>A log line's wording: its kind in Lab.Core's table, or — a line the table does not know — its message with numbers blanked (NOTICE and above only).</summary>
    private static string? Wording(string raw)
    {
        if (FpmLogParser.ParseLine(raw) is not { } line) return null;
        var kind = FpmLogParser.Classify(line.Message).Kind;
        if (kind != FpmLogKind.Other) return kind.ToString();
        if (line.Level == FpmLogLevel.Debug) return null;
        return "other: " + DigitsRx().Replace(line.Message, "N");
    }

    [GeneratedRegex(@"\d+")]
    private static partial Regex DigitsRx();
}
