using System.Globalization;

namespace Lab.Cli.Terminal;

public static class Units
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>KiB as a human size: "812 KiB", "23.4 MiB", "1.20 GiB".</summary>
    public static string Kb(double kb) =>
        kb >= 1024 * 1024 ? (kb / 1024 / 1024).ToString("0.00", Inv) + " GiB"
        : kb >= 1024 ? (kb / 1024).ToString("0.0", Inv) + " MiB"
        : kb.ToString("0", Inv) + " KiB";

    public static string Ms(double ms) =>
        ms >= 10_000 ? (ms / 1000).ToString("0.0", Inv) + " s"
        : ms >= 100 ? ms.ToString("0", Inv) + " ms"
        : ms.ToString("0.0", Inv) + " ms";

    public static string Seconds(double s) => s.ToString("0.0", Inv) + " s";
}
