using Lab.Core.Scenarios;

namespace Lab.Results.Planning;

/// <summary>
/// How much a run will write, estimated from its scenario before it starts: the requests its
/// load sends (the phases' rates over their lengths, closed-model users at one request per
/// work + wait + think, capped by iterations and by the run's length) and the sample rows (one
/// per process per tick, the master and at most max_children children). From it follow the
/// folder's form — past <see cref="CompressAboveBytes"/> of plain CSV, requests, samples and
/// ps.log are written gzipped (requests.csv.gz, samples.csv.gz, ps.log.gz) — and whether the
/// run must be confirmed (past <see cref="ConfirmAboveBytes"/> written).
/// </summary>
public sealed record RunSize(double Requests, double SampleRows, bool SummaryRecords)
{
    /// <summary>Plain CSV bytes per row, as the writer formats them (measured on the sim).</summary>
    public const double RequestRowBytes = 72, SampleRowBytes = 50, PsLogRowBytes = 90;
    /// <summary>The same rows gzipped (requests.csv.gz of an hour at 1,000 req/s: 13.5 bytes a row).</summary>
    public const double RequestRowGzBytes = 14, SampleRowGzBytes = 10, PsLogRowGzBytes = 10;
    /// <summary>Per second of the run with records = "summary" (requests-by-second.csv).</summary>
    public const double SummaryBytesPerSecond = 80;

    /// <summary>A run whose plain files would pass this writes them gzipped.</summary>
    public const double CompressAboveBytes = 64.0 * 1024 * 1024;
    /// <summary>A run that would write more than this asks for --yes first.</summary>
    public const double ConfirmAboveBytes = 2.0 * 1024 * 1024 * 1024;

    public double RunSeconds { get; init; }

    public static RunSize Of(Scenario s)
    {
        double runS = s.RunLength.TotalSeconds;
        double requests = 0, t = 0, level = 0, users = 0;
        double cycleS = Math.Max(1e-3, (s.Request.WorkMs.Mean + s.Request.WaitMs.Mean) / 1000);
        foreach (var p in s.Load.Phases)
        {
            double d = Math.Max(0, Math.Min(p.During.TotalSeconds, runS - t));
            t += p.During.TotalSeconds;
            switch (p.Kind)
            {
                case LoadPhaseKind.Inject: requests += p.Rate * d; level = p.Rate; break;
                case LoadPhaseKind.RampingInject: requests += (level + p.Rate) / 2 * d; level = p.Rate; break;
                case LoadPhaseKind.InjectRandom: requests += (p.MinRate + p.MaxRate) / 2 * d; level = (p.MinRate + p.MaxRate) / 2; break;
                case LoadPhaseKind.KeepConstant: requests += p.Copies * d / (cycleS + p.Think.TotalSeconds); users = p.Copies; break;
                case LoadPhaseKind.RampingConstant: requests += (users + p.Copies) / 2 * d / (cycleS + p.Think.TotalSeconds); users = p.Copies; break;
            }
        }
        if (s.Load.Iterations is { } cap) requests = Math.Min(requests, cap);
        double ticks = runS / Math.Max(1e-3, s.SampleInterval.TotalSeconds) + 1;
        double sampleRows = ticks * (s.Pool.MaxChildren + 1);
        return new RunSize(requests, sampleRows, s.RequestRecords == RecordsMode.Summary) { RunSeconds = runS };
    }

    /// <summary>The plain CSV the run would write (requests.csv, samples.csv, ps.log).</summary>
    public double PlainBytes => (SummaryRecords ? 0 : Requests * RequestRowBytes) + SampleRows * (SampleRowBytes + PsLogRowBytes);

    /// <summary>Whether requests.csv, samples.csv and ps.log are written gzipped.</summary>
    public bool Compress => PlainBytes > CompressAboveBytes;

    /// <summary>What the run writes, in the form it will have.</summary>
    public double Bytes => Compress
        ? (SummaryRecords ? RunSeconds * SummaryBytesPerSecond : Requests * RequestRowGzBytes) + SampleRows * (SampleRowGzBytes + PsLogRowGzBytes)
        : PlainBytes + (SummaryRecords ? RunSeconds * SummaryBytesPerSecond : 0);

    /// <summary>The same run with records = "summary".</summary>
    public RunSize AsSummary => this with { SummaryRecords = true };

    /// <summary>Whether it writes so much that it must be confirmed (--yes).</summary>
    public bool NeedsConfirmation => Bytes > ConfirmAboveBytes;
}
