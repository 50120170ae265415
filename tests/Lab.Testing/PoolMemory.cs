using System.Globalization;

namespace Lab.Testing;

/// <summary>
/// A run's pool memory at its ticks that read smaps_rollup, from samples.csv (t_s, pid, role,
/// rss_kb, vsz_kb, cpu_s, state, requests, pss_kb, uss_kb, swap_kb): the end-to-end tests' view
/// of "what ps adds up to" against "what the host pays".
/// </summary>
public sealed record PssTick(double T, long RssKb, long PssKb, long UssKb, IReadOnlyList<string[]> Rows)
{
    public double Ratio => (double)RssKb / PssKb;

    public static IReadOnlyList<PssTick> Of(string dir)
    {
        static long L(string s) => long.Parse(s, CultureInfo.InvariantCulture);
        return LabSandbox.Csv(dir, "samples.csv").Where(c => c.Length >= 11 && c[8].Length > 0)
            .GroupBy(c => c[0])
            .Select(g => new PssTick(double.Parse(g.Key, CultureInfo.InvariantCulture), g.Sum(c => L(c[3])), g.Sum(c => L(c[8])), g.Sum(c => L(c[9])), g.ToList()))
            .OrderBy(t => t.T).ToList();
    }

    /// <summary>A child row's RSS − USS: the pages it shares (KiB).</summary>
    public static long SharedKb(string[] row) => long.Parse(row[3], CultureInfo.InvariantCulture) - long.Parse(row[9], CultureInfo.InvariantCulture);
}
