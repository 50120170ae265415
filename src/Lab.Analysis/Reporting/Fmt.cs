using System.Globalization;

namespace Lab.Analysis.Reporting;

/// <summary>Numbers as the sweep and advise write them: invariant culture, units an operator reads at a glance.</summary>
public static class Fmt
{
    public static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>KiB as a human size: "812 KiB", "23.4 MiB", "1.20 GiB".</summary>
    public static string Size(double kb)
    {
        if (!double.IsFinite(kb)) return "—";
        double a = Math.Abs(kb);
        return a >= 1024 * 1024 ? (kb / 1024 / 1024).ToString("0.00", Inv) + " GiB"
            : a >= 1024 ? (kb / 1024).ToString("0.0", Inv) + " MiB"
            : kb.ToString(a < 10 ? "0.#" : "0", Inv) + " KiB";
    }

    /// <summary>Milliseconds: "0.42 ms", "20.0 ms", "153 ms", "12.3 s".</summary>
    public static string Ms(double ms) =>
        !double.IsFinite(ms) ? "—"
        : ms >= 10_000 ? (ms / 1000).ToString("0.0", Inv) + " s"
        : ms >= 100 ? ms.ToString("0", Inv) + " ms"
        : ms >= 1 ? ms.ToString("0.0", Inv) + " ms"
        : ms.ToString("0.00", Inv) + " ms";

    public static string Int(long n) => n.ToString("#,0", Inv);

    public static string Num(double v, string format = "0.###") => double.IsFinite(v) ? v.ToString(format, Inv) : "—";

    /// <summary>A fraction as a percentage: 0.2 → "20%".</summary>
    public static string Percent(double fraction) => (fraction * 100).ToString("0.#", Inv) + "%";

    /// <summary>"1 child" / "3 children".</summary>
    public static string Count(long n, string one, string many) => $"{Int(n)} {(n == 1 ? one : many)}";
}
