namespace Lab.Import.Parsing;

/// <summary>
/// Which program printed a pasted log: smem when a line is smem's header (PID User Command Swap
/// USS PSS RSS), smaps_rollup when a line is its "[rollup]" header or a Pss:/Private_Dirty: "N kB"
/// line, else ps (whose parser is the most tolerant, and says what it expected when it finds nothing).
/// </summary>
public static class FormatDetection
{
    public static LogFormat Detect(IReadOnlyList<string> lines)
    {
        bool rollup = false;
        foreach (var raw in lines)
        {
            string line = LogText.Clean(raw);
            if (SmemParser.TryParseHeader(line, out _)) return LogFormat.Smem;
            rollup |= SmapsRollupParser.LooksLikeRollup(line);
        }
        return rollup ? LogFormat.SmapsRollup : LogFormat.Ps;
    }

    /// <summary>Reads the log with the parser of its format.</summary>
    public static PsLog Parse(IReadOnlyList<string> lines, string sourceName, TimeSpan interval) => Detect(lines) switch
    {
        LogFormat.Smem => SmemParser.Parse(lines, sourceName, interval),
        LogFormat.SmapsRollup => SmapsRollupParser.Parse(lines, sourceName, interval),
        _ => PsLogParser.Parse(lines, sourceName, interval),
    };
}
