using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Lab.Core.Logging;
using Lab.Core.Records;

namespace Lab.Results.Reading;

/// <summary>One line of a php-fpm error log, split.</summary>
/// <param name="Message">The text after the level (and after the debug "pid N, func(), line L: " prefix).</param>
public sealed record FpmLogLine(string Raw, FpmLogLevel Level, string Timestamp, string Message);

/// <summary>
/// Reads php-fpm's error log (php-src sapi/fpm/fpm/zlog.c): "[25-Nov-2026 04:32:10] NOTICE: msg"
/// at log_level notice and above, "[25-Nov-2026 04:32:10.123456] DEBUG: pid 13670,
/// fpm_children_make(), line 420: msg" at debug. A message becomes a <see cref="FpmLogFact"/>
/// through patterns built from Lab.Core's wording table (<see cref="FpmMessages.Table"/>), the
/// same templates the simulator and the dotnet master write with: the wording exists once.
/// </summary>
public static partial class FpmLogParser
{
    [GeneratedRegex(@"^\[(?<ts>\d{2}-[A-Za-z]{3}-\d{4} \d{2}:\d{2}:\d{2})(?<us>\.\d{1,6})?\] (?<level>DEBUG|NOTICE|WARNING|ERROR|ALERT): (?:pid \d+, (?:\w+|\(null\))\(\), line \d+: )?(?<msg>.*)$")]
    private static partial Regex LineRx();

    /// <summary>One pattern per wording, in the table's order.</summary>
    private static readonly (FpmMessage Message, Regex Pattern)[] Patterns =
        FpmMessages.Table.Select(m => (m, Compile(m, anchored: true))).ToArray();

    /// <summary>PHP's memory_limit fatal error inside a child's stderr line.</summary>
    private static readonly Regex MemoryLimitPattern = Compile(FpmMessages.PhpMemoryLimit, anchored: false);

    /// <summary>A template → a regular expression: literal text escaped, each {placeholder} a named group.</summary>
    public static Regex Compile(FpmMessage message, bool anchored)
    {
        var sb = new StringBuilder(anchored ? "^" : "");
        var seen = new HashSet<string>();
        var segments = message.Segments;
        for (int i = 0; i < segments.Count; i++)
        {
            var (placeholder, text) = segments[i];
            if (!placeholder) { sb.Append(Regex.Escape(text)); continue; }
            string body = text switch
            {
                "pool" => @"[^\]]+",
                "pid" or "code" or "signal" or "n" or "m" or "k" => @"-?\d+",
                "seconds" => @"\d+\.\d+",
                "signame" => @"[A-Z0-9]*",
                "core" => @"(?: - core dumped)?",
                _ => i == segments.Count - 1 && anchored ? ".*" : ".*?",
            };
            sb.Append(seen.Add(text) ? $"(?<{text}>{body})" : $"(?:{body})");
        }
        if (anchored) sb.Append('$');
        return new Regex(sb.ToString(), RegexOptions.CultureInvariant | RegexOptions.Singleline);
    }

    public static FpmLogLine? ParseLine(string raw)
    {
        var m = LineRx().Match(raw.TrimEnd('\r', '\n'));
        if (!m.Success) return null;
        var level = m.Groups["level"].Value switch
        {
            "DEBUG" => FpmLogLevel.Debug,
            "NOTICE" => FpmLogLevel.Notice,
            "WARNING" => FpmLogLevel.Warning,
            "ERROR" => FpmLogLevel.Error,
            _ => FpmLogLevel.Alert,
        };
        return new FpmLogLine(raw, level, m.Groups["ts"].Value, m.Groups["msg"].Value);
    }

    /// <summary>The line as php-fpm would have written it at log_level notice: no microseconds, no debug prefix.</summary>
    public static string AsNoticeLevel(FpmLogLine line) =>
        $"[{line.Timestamp}] {FpmMessages.LevelName(line.Level)}: {line.Message}";

    /// <summary>What a message says, by the first wording of the table it matches (<see cref="FpmLogKind.Other"/> if none).</summary>
    public static FpmLogFact Classify(string message)
    {
        foreach (var (wording, pattern) in Patterns)
        {
            var m = pattern.Match(message);
            if (!m.Success) continue;
            var fact = Fact(wording.Kind, m);
            if (fact.Kind == FpmLogKind.ChildStderr && MemoryLimitPattern.Match(fact.Text) is { Success: true } ml)
                fact = fact with { N = Long(ml, "n"), M = Long(ml, "m"), K = Long(ml, "k"), Script = ml.Groups["script"].Value };
            return fact;
        }
        return new FpmLogFact(FpmLogKind.Other, Text: message);
    }

    private static FpmLogFact Fact(FpmLogKind kind, Match m) => new(kind,
        Pool: m.Groups["pool"].Value,
        Pid: (int)Long(m, "pid"),
        Code: (int)Long(m, "code"),
        Signal: m.Groups["signal"].Success ? (int)Long(m, "signal") : m.Groups["signame"].Success ? Math.Max(0, FpmMessages.SignalNumber(m.Groups["signame"].Value)) : 0,
        Core: m.Groups["core"].Length > 0,
        Seconds: m.Groups["seconds"].Success ? double.Parse(m.Groups["seconds"].Value, CultureInfo.InvariantCulture) : 0,
        N: Long(m, "n"), M: Long(m, "m"), K: Long(m, "k"),
        Text: m.Groups["text"].Value, Script: m.Groups["script"].Value, Method: m.Groups["method"].Value, Uri: m.Groups["uri"].Value);

    private static long Long(Match m, string group) =>
        m.Groups[group].Success && long.TryParse(m.Groups[group].Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v) ? v : 0;
}
