using System.Globalization;

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
        double scale = char.ToUpperInvariant(text[^1]) switch
        {
            'K' => 1,
            'M' => 1024,
            'G' => 1024.0 * 1024,
            'T' => 1024.0 * 1024 * 1024,
            _ => 1.0 / 1024, // smem's units() below 1 KiB: bytes, no suffix ("512.0")
        };
        string number = char.IsAsciiLetter(text[^1]) ? text[..^1] : text;
        if (number.Length == 0 || !double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
            return false;
        kb = (long)Math.Round(v * scale, MidpointRounding.AwayFromZero);
        abbreviated = true;
        return true;
    }
}
