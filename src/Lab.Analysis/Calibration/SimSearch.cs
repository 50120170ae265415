namespace Lab.Analysis.Calibration;

/// <summary>
/// The search of the fits that run the sim (AcceptWakeupFit, StartSpreadFit): the sim's count at
/// 0, then at doubling values from a start until it reaches the real run's count, then three
/// geometric bisections between the last two; the smallest value at which the sim reaches the
/// real count is kept (the counts move in steps, so "the nearest" would often keep 0).
/// </summary>
internal static class SimSearch
{
    /// <param name="Ms">The value kept (ms).</param>
    /// <param name="Count">The sim's count there.</param>
    /// <param name="Uncertainty">Half the last bracket (0 when 0 is kept; NaN when capped).</param>
    /// <param name="Tried">How many values the sim was run at.</param>
    /// <param name="Capped">Even at the largest value the sim's count stayed under the real one.</param>
    public sealed record Result(double Ms, int Count, double Uncertainty, int Tried, bool Capped);

    public static Result Smallest(Func<double, int> countAt, int target, double startMs, double maxMs)
    {
        var tried = new List<(double Ms, int N)> { (0, countAt(0)) };
        double lo = 0, hi = double.NaN;
        bool capped = false;
        if (tried[0].N < target)
        {
            for (double ms = startMs; ms <= maxMs; ms *= 2)
            {
                int n = countAt(ms);
                tried.Add((ms, n));
                if (n >= target) { hi = ms; break; }
                lo = ms;
            }
            capped = double.IsNaN(hi);
            if (!capped)
                for (int k = 0; k < 3 && lo > 0; k++)
                {
                    double mid = Math.Round(Math.Sqrt(lo * hi), 3);
                    int n = countAt(mid);
                    tried.Add((mid, n));
                    if (n >= target) hi = mid; else lo = mid;
                }
        }
        var best = tried.Where(x => x.N >= target).OrderBy(x => x.Ms).FirstOrDefault();
        if (best == default) best = tried.OrderBy(x => Math.Abs(x.N - target)).ThenBy(x => x.Ms).First();
        double err = best.Ms == 0 ? 0 : double.IsNaN(hi) ? double.NaN : (hi - lo) / 2;
        return new Result(best.Ms, best.N, err, tried.Count, capped);
    }
}
