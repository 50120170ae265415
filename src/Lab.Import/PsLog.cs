using Lab.Core.Records;

namespace Lab.Import;

/// <summary>One process line of a pasted ps log, as read (null: the column was not in the log).</summary>
/// <param name="LineNumber">1-based line of the input file.</param>
/// <param name="Stat">ps's STAT column with its flags, e.g. "Ss", "S", "R+" (null without one).</param>
/// <param name="Command">COMMAND as printed, maybe cut by the terminal ("php-fpm: master proce").</param>
public sealed record PsLine(int LineNumber, int Pid, long RssKb, long? VszKb, double? CpuS, string? Stat, string? User, int? Ppid, string Command)
{
    /// <summary>ps's S column (the state letter alone), when the log has it.</summary>
    public char? StateLetter { get; init; }

    /// <summary>ps's state letter: STAT's first character, or S; '?' when the log has neither.</summary>
    public char State => Stat is { Length: > 0 } s ? s[0] : StateLetter ?? '?';

    /// <summary>Proportional set size in KiB (smem's PSS, smaps_rollup's Pss:); -1 when the log has none (ps).</summary>
    public long PssKb { get; init; } = Sample.Unknown;
    /// <summary>Unique set size in KiB (smem's USS; smaps_rollup's Private_Clean + Private_Dirty); -1 when the log has none.</summary>
    public long UssKb { get; init; } = Sample.Unknown;
    /// <summary>Swapped out, KiB (smem's Swap, smaps_rollup's Swap:); -1 when the log has none.</summary>
    public long SwapKb { get; init; } = Sample.Unknown;
}

/// <summary>What printed a pasted log's snapshots.</summary>
public enum LogFormat
{
    /// <summary>Repeated `ps aux | grep php` (or `ps -o ...`) outputs: RSS and VSZ.</summary>
    Ps,
    /// <summary>Repeated `smem -P php-fpm` outputs (with or without -k, -t): Swap, USS, PSS, RSS.</summary>
    Smem,
    /// <summary>Concatenated /proc/PID/smaps_rollup dumps, each after a line with its PID: Rss, Pss, USS, Swap.</summary>
    SmapsRollup,
}

/// <summary>A php-fpm process of one block: its line and its role.</summary>
public sealed record PsProcess(PsLine Line, ProcessRole Role)
{
    public int Pid => Line.Pid;
}

/// <summary>A timestamp found in the log: a `date` line, or ps.log's own "# t=12.250s 2026-01-01 00:00:12 UTC".</summary>
/// <param name="RunT">Seconds since the start of a lab run (ps.log's t=), else null.</param>
/// <param name="Wall">The wall-clock time printed (UTC when the line says its offset; else as printed), null if none.</param>
/// <param name="HasDate">False for a time of day alone (`date +%T`): days are counted by wrap-around.</param>
public sealed record TimeMark(int LineNumber, double? RunT, DateTime? Wall, bool HasDate);

/// <summary>One `ps` snapshot of the pool: the php-fpm processes it listed, PID order.</summary>
/// <param name="T">Seconds since the first block (from the log's timestamps, or index × interval).</param>
public sealed record PsBlock(IReadOnlyList<PsProcess> Processes, double T);

/// <summary>Where the blocks' times come from.</summary>
public enum TimeSource
{
    /// <summary>Block index × the interval (--interval, default 1s): the log has no usable timestamps.</summary>
    Interval,
    /// <summary>The lab's own ps.log: its "# t=" lines, seconds since the run's start.</summary>
    LabPsLog,
    /// <summary>`date` lines (or other timestamps) next to each block.</summary>
    Timestamps,
}

/// <summary>What the reader saw and let pass, line by line (the import prints it).</summary>
public sealed record ParseCounts
{
    public int Lines { get; init; }
    public int Prompts { get; init; }
    public int Headers { get; init; }
    public int TimestampLines { get; init; }
    /// <summary>php-fpm process lines kept (masters and children).</summary>
    public int FpmLines { get; init; }
    /// <summary>The `grep php` line of each pipeline, dropped.</summary>
    public int GrepLines { get; init; }
    /// <summary>Process lines of something else than php-fpm (php-cli, an editor, ...), ignored.</summary>
    public int OtherProcessLines { get; init; }
    /// <summary>php-fpm lines whose role could not be told (title cut before it, no STAT or PPID), ignored.</summary>
    public int UnknownRoleLines { get; init; }
    /// <summary>Text that is no process line (warnings, `bash: ...`, other commands' output), skipped.</summary>
    public int TextLines { get; init; }
    /// <summary>smem -t's totals lines (the dashes and the sums under them), skipped.</summary>
    public int TotalsLines { get; init; }
}

/// <summary>A pasted ps log, read: its blocks with their times, and what was skipped.</summary>
/// <param name="EpochUtc">The wall-clock time of the first block when the log says it (full dates), else null.</param>
/// <param name="Notes">What the reader assumed or let pass, in words, for the summary and the report.</param>
/// <param name="IgnoredCommands">A few distinct commands of ignored non-php-fpm processes.</param>
/// <param name="SkippedText">A few skipped text lines, with their line numbers.</param>
public sealed record PsLog(
    string SourceName,
    IReadOnlyList<PsBlock> Blocks,
    TimeSource TimeSource,
    DateTime? EpochUtc,
    ParseCounts Counts,
    IReadOnlyList<string> Notes,
    IReadOnlyList<string> IgnoredCommands,
    IReadOnlyList<string> SkippedText)
{
    /// <summary>What printed the snapshots (ps unless said otherwise).</summary>
    public LogFormat Format { get; init; } = LogFormat.Ps;

    /// <summary>True when the log gives PSS and USS (smem, smaps_rollup): the host's share of shared pages can be told.</summary>
    public bool HasPss => Format != LogFormat.Ps;

    /// <summary>What one snapshot is called in messages: "ps block", "smem snapshot", "smaps_rollup snapshot".</summary>
    public string SnapshotWord => Format switch
    {
        LogFormat.Smem => "smem snapshot",
        LogFormat.SmapsRollup => "smaps_rollup snapshot",
        _ => "ps block",
    };

    /// <summary>The program that printed it: "ps", "smem", "smaps_rollup".</summary>
    public string ToolName => Format switch
    {
        LogFormat.Smem => "smem",
        LogFormat.SmapsRollup => "smaps_rollup",
        _ => "ps",
    };

    /// <summary>What the log is called in messages: "ps log", "smem output", "smaps_rollup dump".</summary>
    public string FormatName => Format switch
    {
        LogFormat.Smem => "smem output",
        LogFormat.SmapsRollup => "smaps_rollup dump",
        _ => "ps log",
    };

    /// <summary>Typical spacing between blocks (median), in seconds; 0 with fewer than two blocks.</summary>
    public double MedianSpacingS
    {
        get
        {
            if (Blocks.Count < 2) return 0;
            var d = new double[Blocks.Count - 1];
            for (int i = 1; i < Blocks.Count; i++) d[i - 1] = Blocks[i].T - Blocks[i - 1].T;
            Array.Sort(d);
            return d.Length % 2 == 1 ? d[d.Length / 2] : (d[d.Length / 2 - 1] + d[d.Length / 2]) / 2;
        }
    }
}
