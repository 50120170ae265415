using System.Text.RegularExpressions;

namespace Lab.Report.Model;

/// <summary>A line of fpm.log worth showing, with its 1-based line number.</summary>
internal readonly record struct LogLine(int Number, string Level, string Text);

/// <summary>How often a kind of message was logged ("[pool www] child N started" × 9).</summary>
internal readonly record struct LogKind(string Level, string Pattern, int Count);

/// <summary>
/// fpm.log in brief: counts per level and per kind of message (numbers blanked out), every
/// WARNING/ERROR/ALERT line (the first and last ones when there are very many) and the first
/// and last few NOTICE lines.
/// </summary>
internal sealed partial class FpmLogDigest
{
    public const int NoticeEnds = 5;
    public const int MaxProblemLines = 40;

    public int Total { get; private init; }
    /// <summary>Lines per level (DEBUG, NOTICE, WARNING, ERROR, ALERT, or "other" for lines without a level).</summary>
    public IReadOnlyDictionary<string, int> PerLevel { get; private init; } = new Dictionary<string, int>();
    public IReadOnlyList<LogKind> Kinds { get; private init; } = [];
    /// <summary>WARNING, ERROR and ALERT lines (at most MaxProblemLines: the first and last halves).</summary>
    public IReadOnlyList<LogLine> Problems { get; private init; } = [];
    public int ProblemsOmitted { get; private init; }
    public IReadOnlyList<LogLine> FirstNotices { get; private init; } = [];
    public IReadOnlyList<LogLine> LastNotices { get; private init; } = [];

    public static readonly string[] Levels = ["ALERT", "ERROR", "WARNING", "NOTICE", "DEBUG", "other"];

    [GeneratedRegex(@"^\[[^\]]*\]\s+(DEBUG|NOTICE|WARNING|ERROR|ALERT):\s?(.*)$")]
    private static partial Regex LevelLine();

    [GeneratedRegex(@"\d+(\.\d+)?")]
    private static partial Regex Digits();

    public static FpmLogDigest Of(IReadOnlyList<string> lines)
    {
        var perLevel = new Dictionary<string, int>();
        var kinds = new Dictionary<(string, string), int>();
        var problems = new List<LogLine>();
        var notices = new List<LogLine>();
        int total = 0, problemCount = 0;
        var lastNotices = new Queue<LogLine>();
        for (int i = 0; i < lines.Count; i++)
        {
            string line = lines[i];
            if (line.Length == 0) continue;
            total++;
            var m = LevelLine().Match(line);
            string level = m.Success ? m.Groups[1].Value : "other";
            string message = m.Success ? m.Groups[2].Value : line;
            perLevel[level] = perLevel.GetValueOrDefault(level) + 1;
            string pattern = Digits().Replace(message.Length > 160 ? message[..160] + "…" : message, "N");
            kinds[(level, pattern)] = kinds.GetValueOrDefault((level, pattern)) + 1;
            var entry = new LogLine(i + 1, level, line);
            if (level is "WARNING" or "ERROR" or "ALERT")
            {
                problemCount++;
                if (problems.Count < MaxProblemLines / 2) problems.Add(entry);
                else
                {
                    // Keep the last ones in the second half (a ring over the tail).
                    problems.Add(entry);
                    if (problems.Count > MaxProblemLines) problems.RemoveAt(MaxProblemLines / 2);
                }
            }
            else if (level == "NOTICE")
            {
                if (notices.Count < NoticeEnds) notices.Add(entry);
                else
                {
                    lastNotices.Enqueue(entry);
                    if (lastNotices.Count > NoticeEnds) lastNotices.Dequeue();
                }
            }
        }
        return new FpmLogDigest
        {
            Total = total,
            PerLevel = perLevel,
            Kinds = kinds.Select(k => new LogKind(k.Key.Item1, k.Key.Item2, k.Value))
                .OrderBy(k => Array.IndexOf(Levels, k.Level)).ThenByDescending(k => k.Count).ThenBy(k => k.Pattern, StringComparer.Ordinal)
                .ToList(),
            Problems = problems,
            ProblemsOmitted = problemCount - problems.Count,
            FirstNotices = notices,
            LastNotices = lastNotices.ToList(),
        };
    }
}
