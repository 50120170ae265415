using System.Globalization;

namespace Lab.Report;

/// <summary>
/// Numbers as the lab's reports write them (the run and compare reports, the sweep's, advise's):
/// invariant culture, units a PHP operator reads at a glance. A number that is not finite
/// (nothing to show) is written "—".
/// </summary>
public static class Fmt
{
    public static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>What a figure that cannot be told (NaN, infinite) is written as.</summary>
    public const string None = "—";

    /// <summary>KiB as a human size: "812 KiB", "23.4 MiB", "1.20 GiB".</summary>
    public static string Size(double kb)
    {
        if (!double.IsFinite(kb)) return None;
        double a = Math.Abs(kb);
        return a >= 1024 * 1024 ? (kb / 1024 / 1024).ToString("0.00", Inv) + " GiB"
            : a >= 1024 ? (kb / 1024).ToString("0.0", Inv) + " MiB"
            : kb.ToString(a < 10 ? "0.#" : "0", Inv) + " KiB";
    }

    /// <summary>KiB with one more digit (a fitted figure): "812.4 KiB", "4.02 MiB", "1.203 GiB".</summary>
    public static string SizeFine(double kb)
    {
        if (!double.IsFinite(kb)) return None;
        double a = Math.Abs(kb);
        return a >= 1024 * 1024 ? (kb / 1024 / 1024).ToString("0.000", Inv) + " GiB"
            : a >= 1024 ? (kb / 1024).ToString("0.00", Inv) + " MiB"
            : kb.ToString(a < 10 ? "0.##" : "0.#", Inv) + " KiB";
    }

    /// <summary>
    /// A fitted leak with its uncertainty: "4.02 MiB ± 0.21 MiB (95% interval 3.59 … 4.45 MiB)";
    /// "±" is the standard error.
    /// </summary>
    public static string Fitted(double value, double? stderr, double? low95, double? high95)
    {
        string s = SizeFine(value);
        if (stderr is { } se && double.IsFinite(se)) s += " ± " + SizeFine(se);
        if (low95 is { } lo && high95 is { } hi && double.IsFinite(lo) && double.IsFinite(hi)) s += $" (95% interval {SizeFine(lo)} … {SizeFine(hi)})";
        return s;
    }

    /// <summary>Milliseconds: "0.42 ms", "20.0 ms", "153 ms", "12.3 s".</summary>
    public static string Ms(double ms) =>
        !double.IsFinite(ms) ? None
        : ms >= 10_000 ? (ms / 1000).ToString("0.0", Inv) + " s"
        : ms >= 100 ? ms.ToString("0", Inv) + " ms"
        : ms >= 1 ? ms.ToString("0.0", Inv) + " ms"
        : ms.ToString("0.00", Inv) + " ms";

    /// <summary>Seconds of run time: "2.5 s", "30 s", "12.5 min".</summary>
    public static string Seconds(double s) =>
        s >= 600 ? (s / 60).ToString("0.#", Inv) + " min"
        : s >= 10 ? s.ToString("0.#", Inv) + " s"
        : s.ToString("0.##", Inv) + " s";

    public static string Rate(double perSecond) => perSecond.ToString(perSecond >= 100 ? "0" : "0.##", Inv) + " req/s";

    /// <summary>A size in bytes: "870 MB", "14 GB" (decimal units, as df -H and file managers show).</summary>
    public static string Bytes(double bytes) =>
        bytes >= 1e9 ? (bytes / 1e9).ToString(bytes >= 1e10 ? "0" : "0.#", Inv) + " GB"
        : bytes >= 1e6 ? (bytes / 1e6).ToString("0", Inv) + " MB"
        : (bytes / 1e3).ToString("0", Inv) + " kB";

    /// <summary>A ratio: "4.17×".</summary>
    public static string Ratio(double r) => (double.IsFinite(r) ? r.ToString("0.##", Inv) : None) + "×";

    public static string Int(long n) => n.ToString("#,0", Inv);

    public static string Num(double v, string format = "0.###") => double.IsFinite(v) ? v.ToString(format, Inv) : None;

    /// <summary>A fraction as a percentage: 0.2 → "20%".</summary>
    public static string Percent(double fraction) => (fraction * 100).ToString("0.#", Inv) + "%";

    /// <summary>"1 child" / "3 children" style plurals.</summary>
    public static string Count(long n, string one, string many) => $"{Int(n)} {(n == 1 ? one : many)}";
}
