using Lab.Core.Records;

namespace Lab.Results.Reading;

/// <summary>What one pass over a run's requests found: how many, of what outcome, the leak they asked for, the last moment they speak of.</summary>
public sealed record RequestOverview(long Count, long Ok, long Dropped, double LeakKbSum, double LastT)
{
    public static RequestOverview Empty { get; } = new(0, 0, 0, 0, 0);

    /// <summary>The mean leak the requests asked for (leak_kb), 0 without requests.</summary>
    public double MeanLeakKb => Count == 0 ? 0 : LeakKbSum / Count;

    internal sealed class Builder
    {
        private long _count, _ok, _dropped;
        private double _leak, _last;

        public void Add(in RequestRecord r)
        {
            _count++;
            if (r.Ok) _ok++;
            if (r.Dropped) _dropped++;
            _leak += r.LeakKb;
            double t = !r.Dropped && double.IsFinite(r.TEnd) ? r.TEnd : r.TIntended;
            if (double.IsFinite(t) && t > _last) _last = t;
        }

        public RequestOverview Build() => new(_count, _ok, _dropped, _leak, _last);
    }
}

/// <summary>One second of requests-by-second.csv (records = "summary"): requests that ended in it, latency percentiles of the answered ones (NaN: none).</summary>
public readonly record struct BySecondRow(double T, long Requests, long Ok, long Failed, long Dropped, long Served,
    double P50Ms, double P90Ms, double P99Ms, double MaxMs);

/// <summary>requests-by-second.csv, in time order.</summary>
public sealed class BySecondTable(IReadOnlyList<BySecondRow> rows)
{
    public IReadOnlyList<BySecondRow> Rows { get; } = rows;

    public RequestOverview Overview => new(Rows.Sum(r => r.Requests), Rows.Sum(r => r.Ok), Rows.Sum(r => r.Dropped), 0,
        Rows.Count == 0 ? 0 : Rows[^1].T + 1);
}
