using System.Globalization;

namespace Lab.Scenarios;

/// <summary>
/// The units of scenario files, both ways: sizes ("4M", "512K", "1.5G", "64KiB", "100B"),
/// durations ("250ms", "30s", "1m30s", "100us"), php's memory_limit ("128M", "-1", bytes) and
/// signals ("KILL", "TERM", "SEGV", a number). Parsers return null and a problem text on bad
/// input; formatters write the shortest exact text, so a value parsed back from its text is
/// the same value, bit for bit.
/// </summary>
public static class ScenarioUnits
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private const double KiBPerMiB = 1024, KiBPerGiB = 1024 * 1024;

    // ---- sizes -------------------------------------------------------------------------

    public const string SizeUnitsText = "B, K, M or G (php style; KiB, MiB, GiB also accepted)";

    private static readonly string[] SizeUnitNames = ["K", "M", "G", "B", "KiB", "MiB", "GiB"];

    /// <summary>A size in KiB (fractional for sizes under 1 KiB), or null and the problem.</summary>
    public static double? ParseSizeKb(string text, out string? problem)
    {
        problem = null;
        var s = text.Trim();
        if (s.StartsWith('-')) { problem = "must not be negative"; return null; }
        int i = 0;
        string number = ReadNumber(s, ref i), unit = s[i..].Trim();
        if (number.Length == 0 || !double.TryParse(number, NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, Inv, out double n))
        {
            problem = $"is not a size: write a number and a unit, {SizeUnitsText} (e.g. \"4M\")";
            return null;
        }
        if (unit.Length == 0)
        {
            problem = $"needs a unit: {SizeUnitsText} (e.g. \"{number}K\" or \"{number}M\")";
            return null;
        }
        double? kb = unit.ToUpperInvariant() switch
        {
            "B" => n / 1024,
            "K" or "KIB" => n,
            "M" or "MIB" => n * KiBPerMiB,
            "G" or "GIB" => n * KiBPerGiB,
            _ => null,
        };
        if (kb is null)
        {
            problem = $"has an unknown size unit \"{unit}\"{Suggest.DidYouMean(unit, SizeUnitNames)}; units: {SizeUnitsText}";
            return null;
        }
        if (double.IsInfinity(kb.Value)) { problem = "is too large"; return null; }
        return kb;
    }

    /// <summary>A size in KiB, the shortest exact way: "4M", "512K", "1.5K", "100B".</summary>
    public static string FormatSizeKb(double kb)
    {
        if (kb == 0) return "0K";
        foreach (var (factor, unit) in new[] { (KiBPerGiB, "G"), (KiBPerMiB, "M"), (1.0, "K") })
        {
            double q = kb / factor;
            if (q == Math.Floor(q) && Math.Abs(q) < 1e15) return q.ToString("0", Inv) + unit;
        }
        double bytes = kb * 1024;
        if (bytes == Math.Floor(bytes) && Math.Abs(bytes) < 1e15 && bytes / 1024 == kb) return bytes.ToString("0", Inv) + "B";
        return kb.ToString("R", Inv) + "K";
    }

    /// <summary>A size in bytes, the shortest exact way: "2G", "512M", "100B".</summary>
    public static string FormatSizeBytes(long bytes)
    {
        if (bytes == 0) return "0K";
        if (bytes % (1L << 30) == 0) return (bytes >> 30).ToString(Inv) + "G";
        if (bytes % (1L << 20) == 0) return (bytes >> 20).ToString(Inv) + "M";
        if (bytes % (1L << 10) == 0) return (bytes >> 10).ToString(Inv) + "K";
        return bytes.ToString(Inv) + "B";
    }

    // ---- php's memory_limit ------------------------------------------------------------

    /// <summary>php's memory_limit: bytes, or a number with K/M/G (case-insensitive); -1 = unlimited.</summary>
    public static long? ParseMemoryLimit(string text, out string? problem)
    {
        problem = null;
        var s = text.Trim();
        if (s == "-1") return -1;
        const string syntax = "must be php's memory_limit syntax: bytes, or a number with K, M or G (e.g. \"128M\"), or -1 for unlimited";
        if (s.Length == 0) { problem = syntax; return null; }
        long factor = char.ToUpperInvariant(s[^1]) switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, _ => 1 };
        string digits = factor == 1 ? s : s[..^1];
        if (digits.StartsWith('-')) { problem = "must be positive, or -1 for unlimited"; return null; }
        if (digits.Length == 0 || !digits.All(char.IsAsciiDigit) || !long.TryParse(digits, NumberStyles.None, Inv, out long n))
        {
            problem = syntax;
            return null;
        }
        if (n == 0) { problem = "must be positive, or -1 for unlimited (0 would fail every request)"; return null; }
        if (n > long.MaxValue / factor) { problem = "is too large"; return null; }
        return n * factor;
    }

    /// <summary>php's memory_limit text: "-1", or bytes with the largest exact K/M/G suffix.</summary>
    public static string FormatMemoryLimit(long bytes) => Lab.Core.Php.FpmConfig.MemoryLimitText(bytes);

    // ---- durations ---------------------------------------------------------------------

    public const string DurationUnitsText = "us, ms, s, m or h";

    private static readonly string[] DurationUnitNames = ["us", "ms", "s", "m", "h"];

    /// <summary>Ticks of one duration unit (TimeSpan ticks are 100 ns).</summary>
    private static long? UnitTicks(string unit) => unit switch
    {
        "us" or "µs" => 10,
        "ms" => TimeSpan.TicksPerMillisecond,
        "s" => TimeSpan.TicksPerSecond,
        "m" => TimeSpan.TicksPerMinute,
        "h" => TimeSpan.TicksPerHour,
        _ => null,
    };

    /// <summary>A duration: one or more number+unit parts ("250ms", "1m30s", "1.5s"), or null and the problem.</summary>
    public static TimeSpan? ParseDuration(string text, out string? problem)
    {
        var parts = SplitDuration(text, out problem);
        if (parts is null) return null;
        double ticks = 0;
        foreach (var (n, unit) in parts) ticks += n * UnitTicks(unit)!.Value;
        ticks = Math.Round(ticks);
        if (ticks > TimeSpan.MaxValue.Ticks) { problem = "is too long"; return null; }
        return TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>A duration in milliseconds as a double (for per-request work and wait), or null and the problem.</summary>
    public static double? ParseDurationMs(string text, out string? problem)
    {
        var parts = SplitDuration(text, out problem);
        if (parts is null) return null;
        double ms = 0;
        foreach (var (n, unit) in parts)
        {
            // Divide for the unit below ms and multiply for those above: both are exact for the
            // numbers the formatter writes, so every written duration parses back to itself.
            ms += unit switch
            {
                "us" or "µs" => n / 1000,
                "ms" => n,
                "s" => n * 1000,
                "m" => n * 60_000,
                _ => n * 3_600_000,
            };
        }
        if (double.IsInfinity(ms)) { problem = "is too long"; return null; }
        return ms;
    }

    private static List<(double Number, string Unit)>? SplitDuration(string text, out string? problem)
    {
        problem = null;
        var s = text.Trim();
        if (s.StartsWith('-')) { problem = "must not be negative"; return null; }
        var parts = new List<(double, string)>();
        int i = 0;
        while (i < s.Length)
        {
            while (i < s.Length && s[i] == ' ') i++;
            string number = ReadNumber(s, ref i);
            while (i < s.Length && s[i] == ' ') i++;
            int unitStart = i;
            while (i < s.Length && (char.IsAsciiLetter(s[i]) || s[i] == 'µ')) i++;
            string unit = s[unitStart..i];
            if (number.Length == 0 || !double.TryParse(number, NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, Inv, out double n))
            {
                problem = $"is not a duration: write a number and a unit, {DurationUnitsText} (e.g. \"30s\", \"250ms\", \"1m30s\")";
                return null;
            }
            if (unit.Length == 0)
            {
                problem = $"needs a unit: {DurationUnitsText} (e.g. \"{number}s\" or \"{number}ms\")";
                return null;
            }
            if (UnitTicks(unit) is null)
            {
                problem = $"has an unknown time unit \"{unit}\"{Suggest.DidYouMean(unit, DurationUnitNames)}; units: {DurationUnitsText}";
                return null;
            }
            parts.Add((n, unit));
            while (i < s.Length && s[i] == ' ') i++;
        }
        if (parts.Count == 0)
        {
            problem = $"is empty: write a number and a unit, {DurationUnitsText} (e.g. \"30s\")";
            return null;
        }
        return parts;
    }

    /// <summary>A duration, exactly: "30s", "250ms", "100us", "10m", "2h"; zero is "0s".</summary>
    public static string FormatDuration(TimeSpan t)
    {
        long ticks = t.Ticks;
        if (ticks == 0) return "0s";
        if (ticks % TimeSpan.TicksPerHour == 0) return (ticks / TimeSpan.TicksPerHour).ToString(Inv) + "h";
        // Minutes only from 10 minutes on: "90s" and "60s" read better than "1m30s" and "1m" here.
        if (ticks % TimeSpan.TicksPerMinute == 0 && ticks >= 10 * TimeSpan.TicksPerMinute) return (ticks / TimeSpan.TicksPerMinute).ToString(Inv) + "m";
        if (ticks % TimeSpan.TicksPerSecond == 0) return (ticks / TimeSpan.TicksPerSecond).ToString(Inv) + "s";
        if (ticks % TimeSpan.TicksPerMillisecond == 0) return (ticks / TimeSpan.TicksPerMillisecond).ToString(Inv) + "ms";
        if (ticks % 10 == 0) return (ticks / 10).ToString(Inv) + "us";
        return (ticks / 10.0).ToString("R", Inv) + "us";
    }

    /// <summary>A duration given in milliseconds, exactly: "50ms", "2s", "100us", "0.5us".</summary>
    public static string FormatDurationMs(double ms)
    {
        if (ms == 0) return "0ms";
        if (ms == Math.Floor(ms) && Math.Abs(ms) < 1e15)
        {
            if (ms % 1000 == 0) return FormatDuration(TimeSpan.FromMilliseconds(ms));
            return ms.ToString("0", Inv) + "ms";
        }
        double us = ms * 1000;
        if (us == Math.Floor(us) && Math.Abs(us) < 1e15 && us / 1000 == ms) return us.ToString("0", Inv) + "us";
        return ms.ToString("R", Inv) + "ms";
    }

    /// <summary>A decimal number at s[i..] (digits, a point, an exponent such as e-05); i moves past it.</summary>
    private static string ReadNumber(string s, ref int i)
    {
        int start = i;
        while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.')) i++;
        // An exponent only when digits follow (so "5e" is not read as a number).
        if (i > start && i < s.Length && (s[i] == 'e' || s[i] == 'E'))
        {
            int j = i + 1;
            if (j < s.Length && (s[j] == '+' || s[j] == '-')) j++;
            if (j < s.Length && char.IsAsciiDigit(s[j]))
            {
                while (j < s.Length && char.IsAsciiDigit(s[j])) j++;
                i = j;
            }
        }
        return s[start..i];
    }

    // ---- signals -----------------------------------------------------------------------

    /// <summary>The signal names kill-child accepts (Linux numbers).</summary>
    public static readonly IReadOnlyDictionary<string, int> Signals = new Dictionary<string, int>
    {
        ["KILL"] = 9, ["TERM"] = 15, ["SEGV"] = 11, ["ABRT"] = 6, ["QUIT"] = 3, ["INT"] = 2, ["HUP"] = 1, ["BUS"] = 7,
        ["STOP"] = 19, ["CONT"] = 18,
    };

    public static string SignalsText => string.Join(", ", Signals.Keys) + " (with or without SIG), or a number from 1 to 64";

    /// <summary>A signal by name ("KILL", "SIGTERM", case-insensitive) or number (1..64).</summary>
    public static int? ParseSignal(string text, out string? problem)
    {
        problem = null;
        var s = text.Trim().ToUpperInvariant();
        if (s.Length > 0 && s.All(char.IsAsciiDigit))
        {
            if (int.TryParse(s, NumberStyles.None, Inv, out int n) && n is >= 1 and <= 64) return n;
            problem = "must be a signal number from 1 to 64";
            return null;
        }
        if (s.StartsWith("SIG", StringComparison.Ordinal)) s = s[3..];
        if (Signals.TryGetValue(s, out int number)) return number;
        problem = $"is not a signal the lab knows{Suggest.DidYouMean(s, Signals.Keys)}; signals: {SignalsText}";
        return null;
    }

    /// <summary>A signal's name when it has one in <see cref="Signals"/>, else its number.</summary>
    public static string FormatSignal(int signal)
    {
        foreach (var (name, n) in Signals) if (n == signal) return name;
        return signal.ToString(Inv);
    }

    // ---- numbers -----------------------------------------------------------------------

    /// <summary>A double as TOML text that parses back to the same double: "2", "0.5", "1E-05".</summary>
    public static string FormatNumber(double v)
    {
        if (v == Math.Floor(v) && Math.Abs(v) < 1e15) return v.ToString("0", Inv);
        return v.ToString("R", Inv);
    }
}
