namespace Lab.Analysis;

/// <summary>The few statistics the fits use (advise's PoolFit, calibrate's MemoryFit and WorkFit), in one place.</summary>
public static class Stats
{
    /// <summary>The median (the mean of the two middle values for an even count); NaN for none.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToList();
        if (v.Count == 0) return double.NaN;
        return v.Count % 2 == 1 ? v[v.Count / 2] : (v[v.Count / 2 - 1] + v[v.Count / 2]) / 2;
    }

    /// <summary>The p-quantile (0..1) of sorted values, linearly interpolated; NaN for none.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p)
    {
        if (sorted.Count == 0) return double.NaN;
        double pos = p * (sorted.Count - 1);
        int lo = (int)Math.Floor(pos), hi = Math.Min(sorted.Count - 1, lo + 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }

    /// <summary>1.4826 × the median absolute deviation from <paramref name="center"/>: a standard deviation robust to a few outliers (NaN for none).</summary>
    public static double RobustSpread(IEnumerable<double> values, double center) => 1.4826 * Median(values.Select(v => Math.Abs(v - center)));

    /// <summary>The sample standard deviation (n − 1); 0 for fewer than two values.</summary>
    public static double StdDev(IReadOnlyList<double> v)
    {
        if (v.Count < 2) return 0;
        double mean = v.Average();
        return Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Count - 1));
    }
}
