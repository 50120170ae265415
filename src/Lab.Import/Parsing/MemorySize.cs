using System.Globalization;
using Lab.Scenarios;

namespace Lab.Import.Parsing;

/// <summary>
/// A size as smem prints it: KiB ("12860"), or with -k its units() — the value in bytes scaled to
/// K, M, G or T with one decimal ("524.0K", "1.3M", "2.3G"; "0" for zero; below 1 KiB no suffix,
/// bytes).
/// </summary>
public static class MemorySize
{
    /// <summary>Parses a size into KiB; abbreviated is true for smem -k's form (one decimal: rounded).</summary>
    public static bool TryParseKb(string text, out long kb, out bool abbreviated)
    {
        kb = 0;
        abbreviated = false;
        if (text.Length == 0) return false;
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out kb)) return true;
        double? parsed;
        if (!char.IsAsciiLetter(text[^1]))
            // smem's units() below 1 KiB: bytes, no suffix ("512.0")
            parsed = double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double bytes) ? bytes / 1024 : null;
        else if (char.ToUpperInvariant(text[^1]) == 'T')
            // a scenario size stops at G: T is 1024 G
            parsed = text.Length > 1 && char.IsAsciiDigit(text[^2]) ? ScenarioUnits.ParseSizeKb(text[..^1] + "G", out _) * 1024 : null;
        else
            // K, M, G with one decimal ("524.0K", "1.3M"): the lab's own size units
            parsed = text.Length > 1 && char.IsAsciiDigit(text[^2]) ? ScenarioUnits.ParseSizeKb(text, out _) : null;
        if (parsed is not { } v || !double.IsFinite(v)) return false;
        kb = (long)Math.Round(v, MidpointRounding.AwayFromZero);
        abbreviated = true;
        return true;
    }
}
