using Lab.Results;

namespace Lab.Report;

/// <summary>Sentences of a summary that the terminal, the report and the plots say alike.</summary>
public static class SummaryText
{
    /// <summary>"stopped after 40 requests at 1.97 s: load.iterations" when the cap ended the run; null otherwise.</summary>
    public static string? Stopped(Summary s) =>
        s.StoppedBy is { } by ? $"stopped after {Fmt.Count(s.RequestsTotal, "request", "requests")} at {Fmt.Num(s.DurationS, "0.###")} s: {by}" : null;
}
