using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Lab.Import.Parsing;

/// <summary>The kinds of lines a pasted terminal log holds, apart from process lines.</summary>
public static partial class LogText
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>How many examples of skipped text or ignored commands a parser keeps for its messages.</summary>
    public const int ExamplesKept = 5;

    /// <summary>A line as a message quotes it: at most 80 characters.</summary>
    public static string Shorten(string s) => s.Length <= 80 ? s : s[..77] + "...";

    /// <summary>Keeps line no's text as an example of what was skipped (the first <see cref="ExamplesKept"/>).</summary>
    public static void KeepSkipped(List<string> examples, int no, string trimmed)
    {
        if (examples.Count < ExamplesKept) examples.Add($"line {no}: {Shorten(trimmed)}");
    }

    /// <summary>Keeps a command as an example of what was ignored (the first <see cref="ExamplesKept"/> distinct ones).</summary>
    public static void KeepIgnored(List<string> examples, string command)
    {
        if (examples.Count < ExamplesKept && !examples.Contains(command)) examples.Add(command);
    }

    /// <summary>
    /// A line as the terminal showed it: colour escapes removed (`grep --color` marks "php"),
    /// a trailing CR dropped (a log saved on Windows), tabs as spaces.
    /// </summary>
    public static string Clean(string line)
    {
        if (line.Contains('\x1b')) line = AnsiEscape().Replace(line, "");
        if (line.Contains('\t')) line = line.Replace('\t', ' ');
        var sb = (StringBuilder?)null;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (c is '\r' or '\0' or '\b' or '\a')
            {
                sb ??= new StringBuilder(line, 0, i, line.Length);
                continue;
            }
            sb?.Append(c);
        }
        return sb?.ToString() ?? line;
    }

    [GeneratedRegex(@"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>]")]
    private static partial Regex AnsiEscape();

    // A shell prompt, then the command typed: "[root@lab ~]# ps aux | grep php", "root@lab:~# ...",
    // "user@host:~/dir$ ...", "bash-5.2$ ...", "$ ...", "# ...", "% ..." (zsh), "❯ ..." (starship).
    [GeneratedRegex(@"^\s*(?:\([^)]*\)\s*)?(?:\[[^\]]*\]|[\w.-]+@[\w.-]+(?::\S*?)?|[\w.-]+|~\S*|/\S*)?\s*[#$%❯](?:\s+(?<cmd>.*))?$")]
    private static partial Regex PromptLine();

    /// <summary>A shell prompt line; command is what was typed after it ("" for a bare prompt).</summary>
    public static bool TryParsePrompt(string line, out string command)
    {
        var m = PromptLine().Match(line);
        command = m.Success ? m.Groups["cmd"].Value.Trim() : "";
        return m.Success;
    }

    // ps.log's block line: "# t=12.250s 2026-01-01 00:00:12 UTC".
    [GeneratedRegex(@"^#\s*t=(?<t>\d+(?:\.\d+)?)s(?:\s+(?<date>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})(?:\s+UTC)?)?\s*$")]
    private static partial Regex LabBlockLine();

    // ISO 8601 / `date -Is` / `date '+%F %T'`: "2026-01-06T04:32:10+00:00", "2026-01-06 04:32:10.123", "... UTC".
    [GeneratedRegex(@"^(?<d>\d{4}-\d{2}-\d{2})[T ](?<t>\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?)\s*(?<z>Z|[+-]\d{2}(?::?\d{2})?|[A-Z]{2,5})?$")]
    private static partial Regex IsoLine();

    // `date +%s` / `date +%s.%N`: seconds since 1970.
    [GeneratedRegex(@"^(?<s>\d{9,11})(?:[.,](?<f>\d{1,9}))?$")]
    private static partial Regex EpochLine();

    // `date +%T`: a time of day alone.
    [GeneratedRegex(@"^(?<h>\d{1,2}):(?<m>\d{2}):(?<s>\d{2})(?:[.,](?<f>\d{1,9}))?$")]
    private static partial Regex TimeOnlyLine();

    private static readonly string[] Months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    private static readonly string[] Weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

    /// <summary>
    /// A timestamp line: ps.log's "# t=..." line, or what `date` prints — its default
    /// ("Tue Jan  6 04:32:10 UTC 2026", "Tue 06 Jan 2026 04:32:10 AM UTC"), -Is / '+%F %T',
    /// +%s (epoch seconds) or +%T (time of day).
    /// </summary>
    public static bool TryParseTimestamp(string line, int lineNumber, out TimeMark mark)
    {
        mark = null!;
        string s = line.Trim();
        if (s.Length == 0) return false;
        Match m;
        if ((m = LabBlockLine().Match(s)).Success)
        {
            double t = double.Parse(m.Groups["t"].Value, Inv);
            DateTime? wall = m.Groups["date"].Success
                ? DateTime.SpecifyKind(DateTime.ParseExact(m.Groups["date"].Value, "yyyy-MM-dd HH:mm:ss", Inv), DateTimeKind.Utc)
                : null;
            mark = new TimeMark(lineNumber, t, wall, true);
            return true;
        }
        if ((m = IsoLine().Match(s)).Success)
        {
            string text = m.Groups["d"].Value + "T" + m.Groups["t"].Value.Replace(',', '.');
            string z = m.Groups["z"].Value;
            if (z.Length > 0 && (z[0] == '+' || z[0] == '-'))
            {
                string off = z.Length == 3 ? z + ":00" : z.Contains(':') ? z : z[..3] + ":" + z[3..];
                if (!DateTimeOffset.TryParse(text + off, Inv, DateTimeStyles.None, out var dto)) return false;
                mark = new TimeMark(lineNumber, null, dto.UtcDateTime, true);
                return true;
            }
            if (!DateTime.TryParse(text, Inv, DateTimeStyles.None, out var dt)) return false;
            // "Z", "UTC" or a zone abbreviation: taken as printed (only differences between blocks matter).
            mark = new TimeMark(lineNumber, null, DateTime.SpecifyKind(dt, DateTimeKind.Utc), true);
            return true;
        }
        if ((m = EpochLine().Match(s)).Success)
        {
            long secs = long.Parse(m.Groups["s"].Value, Inv);
            double frac = m.Groups["f"].Success ? double.Parse("0." + m.Groups["f"].Value, Inv) : 0;
            mark = new TimeMark(lineNumber, null, DateTime.UnixEpoch.AddSeconds(secs).AddTicks((long)Math.Round(frac * TimeSpan.TicksPerSecond)), true);
            return true;
        }
        if ((m = TimeOnlyLine().Match(s)).Success)
        {
            int h = int.Parse(m.Groups["h"].Value, Inv), mi = int.Parse(m.Groups["m"].Value, Inv), se = int.Parse(m.Groups["s"].Value, Inv);
            if (h > 23 || mi > 59 || se > 60) return false;
            double frac = m.Groups["f"].Success ? double.Parse("0." + m.Groups["f"].Value, Inv) : 0;
            var wall = new DateTime(1, 1, 1, h, mi, Math.Min(se, 59), DateTimeKind.Utc).AddTicks((long)Math.Round(frac * TimeSpan.TicksPerSecond));
            mark = new TimeMark(lineNumber, null, wall, false);
            return true;
        }
        return TryParseDateOutput(s, lineNumber, out mark);
    }

    /// <summary>`date`'s default output in the C or an English locale, in any order of its words.</summary>
    private static bool TryParseDateOutput(string s, int lineNumber, out TimeMark mark)
    {
        mark = null!;
        int? month = null, day = null, year = null;
        TimeSpan? time = null;
        bool? pm = null;
        foreach (var raw in s.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            string w = raw.TrimEnd(',');
            string lower = w.ToLowerInvariant();
            if (w.Length >= 3 && Array.IndexOf(Months, lower.Length >= 3 ? lower[..3] : lower) is int mo and >= 0 && month is null && w.All(char.IsLetter)) { month = mo + 1; continue; }
            if (w.Length >= 3 && w.All(char.IsLetter) && Array.IndexOf(Weekdays, lower[..3]) >= 0) continue;
            if (lower is "am" or "pm") { pm = lower == "pm"; continue; }
            if (TimeOnlyLine().Match(w) is { Success: true } tm && time is null)
            {
                int h = int.Parse(tm.Groups["h"].Value, Inv), mi = int.Parse(tm.Groups["m"].Value, Inv), se = int.Parse(tm.Groups["s"].Value, Inv);
                if (h > 23 || mi > 59 || se > 60) return false;
                double frac = tm.Groups["f"].Success ? double.Parse("0." + tm.Groups["f"].Value, Inv) : 0;
                time = new TimeSpan(h, mi, Math.Min(se, 59)) + TimeSpan.FromTicks((long)Math.Round(frac * TimeSpan.TicksPerSecond));
                continue;
            }
            if (w.Length == 4 && w.All(char.IsAsciiDigit) && year is null) { year = int.Parse(w, Inv); continue; }
            if (w.Length is 1 or 2 && w.All(char.IsAsciiDigit) && day is null) { day = int.Parse(w, Inv); continue; }
            if (w.Length is >= 1 and <= 5 && w.All(char.IsAsciiLetterUpper)) continue;                       // zone: UTC, CET, CEST
            if (w.Length == 5 && (w[0] is '+' or '-') && w[1..].All(char.IsAsciiDigit)) continue;            // zone: +0100
            return false;
        }
        if (month is null || day is null || year is null || time is null || day < 1 || day > 31) return false;
        var t = time.Value;
        if (pm is bool isPm)
        {
            int h = t.Hours % 12 + (isPm ? 12 : 0);
            t = new TimeSpan(t.Days, h, t.Minutes, t.Seconds) + TimeSpan.FromTicks(t.Ticks % TimeSpan.TicksPerSecond);
        }
        if (day > DateTime.DaysInMonth(year.Value, month.Value)) return false;
        mark = new TimeMark(lineNumber, null, new DateTime(year.Value, month.Value, day.Value, 0, 0, 0, DateTimeKind.Utc) + t, true);
        return true;
    }
}
