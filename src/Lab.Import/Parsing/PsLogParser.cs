using System.Globalization;
using Lab.Core.Records;
using Lab.Results.Formats;

namespace Lab.Import.Parsing;

/// <summary>
/// Reads a pasted log of repeated `ps` outputs into blocks (one snapshot each), tolerantly:
/// <list type="bullet">
/// <item>a block starts at a prompt running ps (`[root@lab ~]# ps aux | grep php`, `$ ps -o ...`),
/// at a header line (`USER PID %CPU ...`, `PID RSS VSZ CMD`), after a timestamp or blank line,
/// or when a PID repeats (a loop's output without separators);</item>
/// <item>columns come from the block's header, else from its prompt's ps command (`-o` list, or
/// `aux`), else the last layout seen; header-less lines are tried as `ps aux` and as
/// `ps -o pid,rss,vsz,cmd`;</item>
/// <item>the grep line, other processes, warnings and other text are skipped and counted;</item>
/// <item>times come from the lab's "# t=" lines, else from `date` lines next to every block,
/// else block index × the interval.</item>
/// </list>
/// </summary>
public static class PsLogParser
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private sealed class OpenBlock
    {
        public required int FirstLine;
        public PsColumns? Columns;
        /// <summary>Opened by a ps prompt or a header: a snapshot even when none of its lines is php-fpm (php-fpm was down).</summary>
        public bool Explicit;
        public bool FromPrompt;
        public bool HeaderSeen;
        public readonly List<PsLine> Lines = new();
        public readonly HashSet<int> Pids = new();
        public TimeMark? Leading, Trailing;
        public List<PsProcess> Processes = new();
        public int Greps;
    }

    /// <param name="lines">The file's lines.</param>
    /// <param name="sourceName">Shown in messages (the file's name).</param>
    /// <param name="interval">Block spacing when the log has no timestamps.</param>
    /// <exception cref="ImportException">No ps block, or no php-fpm process in any.</exception>
    public static PsLog Parse(IReadOnlyList<string> lines, string sourceName, TimeSpan interval)
    {
        if (interval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(interval), "the interval must be positive");
        var notes = new List<string>();
        var ignoredCommands = new List<string>();
        var skippedText = new List<string>();
        int prompts = 0, headers = 0, stamps = 0, text = 0, grepLines = 0, otherProcesses = 0, unknownRole = 0, fpm = 0;
        int fpmText = 0; // text lines naming php-fpm that could not be read as process lines (ps -ef, top, ...)

        var cleaned = lines.Select(LogText.Clean).ToArray();
        bool blanksSeparate = !IsDoubleSpaced(cleaned);
        if (!blanksSeparate) notes.Add("the paste is double-spaced: blank lines are not taken as block separators");

        var kept = new List<OpenBlock>();
        OpenBlock? current = null, lastClosed = null;
        TimeMark? pending = null;
        PsColumns? sticky = null;
        var noRssWarned = new HashSet<string>();
        var emptyPrompts = new List<int>();

        void Close()
        {
            if (current is null) return;
            var b = current;
            current = null;
            ResolveRoles(b, ref grepLines, ref otherProcesses, ref unknownRole, ref fpm, ignoredCommands);
            // A snapshot has lines (even only the grep line: php-fpm was down) or at least ps's header.
            // A ps prompt that printed nothing (or only an error) is no snapshot; neither is a stray
            // run of other processes' lines outside any ps prompt.
            bool printed = b.Lines.Count > 0 || (b.HeaderSeen && b.Columns is { HasRss: true });
            if (printed && (b.Explicit || b.Processes.Count > 0 || b.Greps > 0))
            {
                kept.Add(b);
                lastClosed = b;
                return;
            }
            if (b.FromPrompt && !printed) emptyPrompts.Add(b.FirstLine);
            if (b.Leading is not null) pending ??= b.Leading; // a dropped block gives its timestamp back
        }

        void Open(int lineNo, PsColumns? columns, bool isExplicit, bool fromPrompt)
        {
            Close();
            current = new OpenBlock { FirstLine = lineNo, Columns = columns, Explicit = isExplicit, FromPrompt = fromPrompt, Leading = pending };
            pending = null;
            lastClosed = null;
        }

        for (int i = 0; i < cleaned.Length; i++)
        {
            int no = i + 1;
            string line = cleaned[i];
            if (line.Trim().Length == 0)
            {
                if (blanksSeparate) Close();
                continue;
            }
            if (LogText.TryParseTimestamp(line, no, out var mark))
            {
                stamps++;
                Close();
                if (lastClosed is not null) { lastClosed.Trailing ??= mark; }
                pending = mark;
                continue;
            }
            if (PsColumns.TryParseHeader(line, out var headerColumns))
            {
                headers++;
                sticky = headerColumns;
                // A header right under a ps prompt (warnings may come between) is that block's header.
                if (current is { Lines.Count: 0, HeaderSeen: false } c) c.Columns = headerColumns;
                else Open(no, headerColumns, isExplicit: true, fromPrompt: false);
                current!.HeaderSeen = true;
                WarnNoRss(headerColumns, no);
                continue;
            }
            if (LogText.TryParsePrompt(line, out string command))
            {
                prompts++;
                Close();
                if (PsColumns.RunsPs(command))
                {
                    var columns = PsColumns.FromPsCommand(command);
                    if (columns is not null) { sticky = columns; WarnNoRss(columns, no); }
                    Open(no, columns, isExplicit: true, fromPrompt: true);
                }
                continue;
            }
            if (TryParseProcess(line, no, current?.Columns ?? sticky, out var ps))
            {
                if (current is null) Open(no, sticky, isExplicit: false, fromPrompt: false);
                else if (current.Pids.Contains(ps.Pid))
                {
                    var columns = current.Columns;
                    Open(no, columns, isExplicit: false, fromPrompt: false); // the same PID twice: the next snapshot began
                }
                current!.Lines.Add(ps);
                current.Pids.Add(ps.Pid);
                continue;
            }
            text++;
            if (line.Contains("fpm", StringComparison.Ordinal)) fpmText++;
            LogText.KeepSkipped(skippedText, no, line.Trim());
        }
        Close();

        if (emptyPrompts.Count > 0)
            notes.Add($"{emptyPrompts.Count} ps prompt(s) printed no process line (line {string.Join(", ", emptyPrompts.Take(5))}{(emptyPrompts.Count > 5 ? ", ..." : "")}): not taken as snapshots");

        var counts = new ParseCounts
        {
            Lines = lines.Count, Prompts = prompts, Headers = headers, TimestampLines = stamps,
            FpmLines = fpm, GrepLines = grepLines, OtherProcessLines = otherProcesses, UnknownRoleLines = unknownRole, TextLines = text,
        };

        if (kept.Count == 0)
            throw new ImportException(NoBlocksMessage(sourceName, lines.Count, skippedText, fpmText));
        if (fpm == 0)
            throw new ImportException(NoFpmMessage(sourceName, kept.Count, counts, ignoredCommands, fpmText));

        var (times, source, epoch) = BlockTimes.Resolve(kept.Select(b => (b.Leading, b.Trailing)).ToList(), interval, notes);
        var blocks = new List<PsBlock>(kept.Count);
        for (int i = 0; i < kept.Count; i++)
            blocks.Add(new PsBlock(kept[i].Processes.OrderBy(p => p.Pid).ToList(), times[i]));
        if (unknownRole > 0)
            notes.Add($"{unknownRole} php-fpm line(s) ignored: the role (master or pool child) could not be told — the title was cut before it and the log has no STAT or PPID column");
        return new PsLog(sourceName, blocks, source, epoch, counts, notes, ignoredCommands, skippedText);

        void WarnNoRss(PsColumns columns, int no)
        {
            if (!columns.HasRss && noRssWarned.Add(columns.Source))
                notes.Add($"line {no}: the {columns.Source} has no RSS column; its lines cannot be imported (use ps aux, or ps -o pid,rss,vsz,cmd)");
        }
    }

    /// <summary>A process line by the block's layout, else `ps aux`'s shape, else `ps -o pid,rss,vsz,cmd`'s.</summary>
    internal static bool TryParseProcess(string line, int no, PsColumns? columns, out PsLine ps)
    {
        if (columns is not null && !columns.IsAux && columns.HasRss && columns.TryParse(line, no, out ps)) return true;
        if (TryParseAux(line, no, out ps)) return true;
        return PsColumns.PidRssVszCmd.TryParse(line, no, out ps);
    }

    /// <summary>A `ps aux` line, with Lab.Results' parser (procps's layout).</summary>
    private static bool TryParseAux(string line, int no, out PsLine ps)
    {
        ps = null!;
        var p = PsAux.Parse(line);
        if (p is null || p.Pid <= 0) return false;
        ps = new PsLine(no, p.Pid, p.RssKb, p.VszKb, CpuTime.TryParse(p.Time, out double s) ? s : null, p.Stat, p.User, null, p.Command.TrimEnd());
        return true;
    }

    /// <summary>
    /// Roles by command (<see cref="FpmCommand"/>); a php-fpm line of unknown role by STAT (the
    /// master is a session leader, 's') or by PPID (a child's parent is another php-fpm process).
    /// </summary>
    private static void ResolveRoles(OpenBlock b, ref int greps, ref int others, ref int unknown, ref int fpm, List<string> ignoredCommands)
    {
        var kinds = b.Lines.Select(l => FpmCommand.Classify(l.Command)).ToArray();
        var fpmPids = new HashSet<int>(b.Lines.Where((l, i) => kinds[i] is FpmKind.Master or FpmKind.Child or FpmKind.FpmUnknownRole).Select(l => l.Pid));
        for (int i = 0; i < b.Lines.Count; i++)
        {
            var l = b.Lines[i];
            var kind = kinds[i];
            if (kind == FpmKind.FpmUnknownRole)
            {
                // Only BSD STAT carries the session-leader flag; S (the letter alone) cannot tell.
                if (l.Stat is { Length: > 0 } stat) kind = stat.Contains('s') ? FpmKind.Master : FpmKind.Child;
                else if (l.Ppid is int ppid) kind = fpmPids.Contains(ppid) && ppid != l.Pid ? FpmKind.Child : FpmKind.Master;
            }
            switch (kind)
            {
                case FpmKind.Master: b.Processes.Add(new PsProcess(l, ProcessRole.Master)); fpm++; break;
                case FpmKind.Child: b.Processes.Add(new PsProcess(l, ProcessRole.Child)); fpm++; break;
                case FpmKind.Grep: greps++; b.Greps++; break;
                case FpmKind.FpmUnknownRole: unknown++; break;
                default:
                    others++;
                    LogText.KeepIgnored(ignoredCommands, l.Command.Length == 0 ? "(no command)" : LogText.Shorten(l.Command));
                    break;
            }
        }
    }

    /// <summary>True when nearly every text line is followed by a blank one (a double-spaced paste).</summary>
    private static bool IsDoubleSpaced(string[] lines)
    {
        int nonBlank = 0, followedByBlank = 0;
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim().Length == 0) continue;
            nonBlank++;
            if (i + 1 < lines.Length && lines[i + 1].Trim().Length == 0) followedByBlank++;
            else if (i + 1 == lines.Length) followedByBlank++;
        }
        return nonBlank >= 4 && followedByBlank >= 0.8 * nonBlank;
    }


    private static string Unreadable(int fpmText) => fpmText > 0
        ? $" {fpmText} line(s) mention fpm but are not in a layout with PID and RSS columns (ps -ef and top have no RSS column: use ps aux, or ps -o pid,rss,vsz,cmd)."
        : "";

    private static string NoBlocksMessage(string source, int lineCount, List<string> skipped, int fpmText)
    {
        string seen = (skipped.Count > 0 ? $" The first lines read: {string.Join(" | ", skipped.Take(3))}." : "") + Unreadable(fpmText);
        return $"{source}: no ps output found in its {lineCount} line(s). Expected repeated outputs of `ps aux | grep php` "
            + "(or `ps -o pid,rss,vsz,cmd`), as pasted from a terminal, e.g.:\n"
            + "  [root@lab ~]# ps aux | grep php\n"
            + "  root     13670  0.0  0.0  60284 16008 ?        Ss   04:32   0:00 php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)\n"
            + "  nobody   13672  0.0  0.0  62364 11188 ?        S    04:32   0:00 php-fpm: pool www\n"
            + "Prompts, headers, warnings and the grep line may be mixed in." + seen;
    }

    private static string NoFpmMessage(string source, int blocks, ParseCounts c, List<string> ignored, int fpmText)
    {
        string unreadable = Unreadable(fpmText);
        string what = ignored.Count > 0 ? $" Commands seen: {string.Join("; ", ignored)}." : "";
        string unknown = c.UnknownRoleLines > 0
            ? $" {c.UnknownRoleLines} php-fpm line(s) had no role: the title was cut before \"master\"/\"pool\" and there is no STAT or PPID column."
            : "";
        return $"{source}: {blocks} ps block(s) found, but no php-fpm process in them ({c.OtherProcessLines} other process line(s), {c.GrepLines} grep line(s)).{what}{unknown}{unreadable} "
            + "A php-fpm master shows as \"php-fpm: master process (...)\" and its children as \"php-fpm: pool www\" "
            + "(also php-fpm8.2, php8.2-fpm or the lab's lab-fpm; a cut title such as \"php-fpm: master proce\" is fine).";
    }
}
