using Lab.Core.Records;

namespace Lab.Results.Lives;

/// <summary>One RSS reading of a child: a sample tick, or the end of a request it served.</summary>
/// <param name="Served">Requests the child had served at that moment.</param>
/// <param name="Row">The row in samples.csv or requests.csv (-1 when not from a file).</param>
public readonly record struct LifePoint(double T, long Served, long RssKb, bool FromRequest, int Row);

/// <summary>
/// One child process from its start to its end, as the run's records show it: its spawn and exit
/// events, the requests it served and every RSS reading of it (samples and request ends). A PID
/// used again later is another life.
/// </summary>
public sealed class ChildLife
{
    internal ChildLife(int id, int pid, double firstT)
    {
        Id = id;
        Pid = pid;
        FirstT = firstT;
    }

    /// <summary>0, 1, 2, ... in order of appearance.</summary>
    public int Id { get; }
    public int Pid { get; }
    /// <summary>When the records first speak of it (its spawn, or its first reading).</summary>
    public double FirstT { get; internal set; }
    /// <summary>A spawn event started it (else it was there before the records, or its start was not logged).</summary>
    public bool Spawned { get; internal set; }
    /// <summary>The exit event's detail ("code 0;max_requests"); null while it lives, or if it just stopped being seen.</summary>
    public string? ExitDetail { get; internal set; }
    public double? ExitT { get; internal set; }
    public string? ExitWhy => ExitDetail is null ? null : SummaryBuilder.ExitWhy(ExitDetail);
    /// <summary>Requests it served (answered 200 or 500) as recorded.</summary>
    public long Served { get; internal set; }
    /// <summary>Its latest RSS reading (KiB); -1 before the first.</summary>
    public long LastRssKb { get; internal set; } = -1;
    public long PeakRssKb { get; internal set; }
    /// <summary>Time of its latest reading (or of its start when none).</summary>
    public double LastT { get; internal set; }
    /// <summary>RSS readings (samples and request ends).</summary>
    public int Readings { get; internal set; }
    public bool Measured => Readings > 0;
    /// <summary>Every reading, in order, when the ledger keeps them (reports); null otherwise.</summary>
    public List<LifePoint>? Points { get; internal set; }

    public ProcessRole Role => ProcessRole.Child;
}
