using System.Globalization;
using Lab.Core.Records;

namespace Lab.Import.Parsing;

/// <summary>smem's columns (its -c names; the header prints them as PID, User, Command, Name, Swap, USS, PSS, RSS, VSS, Maps).</summary>
public enum SmemField { Pid, User, Command, Name, Swap, Uss, Pss, Rss, Vss, Maps }

/// <summary>
/// Reads repeated `smem -P php-fpm` outputs (smem 1.5: PID User Command Swap USS PSS RSS, sorted by
/// PSS; sizes in KiB, or with -k in units such as 1.3M; with -t a line of dashes and a totals line)
/// into snapshots:
/// <list type="bullet">
/// <item>each header line starts a snapshot (so does a PID already in the current one, for smem -H);
/// a blank line, a prompt or a timestamp ends one; the columns are the header's, in its order;</item>
/// <item>the command is what lies between the columns before it and those after it (smem cuts it to
/// 27 characters: "php-fpm: master process (/e" — the role is still told, by Lab's <see cref="FpmCommand"/>);</item>
/// <item>smem lists itself (`/usr/bin/python3 /usr/bin/smem -P php-fpm` matches its own filter), and a
/// process ending while smem reads it shows as "?": both are ignored and counted;</item>
/// <item>times: `date` lines next to the snapshots, else snapshot index × the interval (<see cref="BlockTimes"/>);</item>
/// <item>a line starting with a PID that does not fit the header's columns, a percentage (smem -p)
/// or a header without RSS, PSS and USS is bad input: "FILE:LINE: ..." (<see cref="ImportException"/>).</item>
/// </list>
/// </summary>
public static class SmemParser
{

    private static readonly Dictionary<string, SmemField> HeaderNames = new(StringComparer.Ordinal)
    {
        ["PID"] = SmemField.Pid, ["User"] = SmemField.User, ["Command"] = SmemField.Command, ["Name"] = SmemField.Name,
        ["Swap"] = SmemField.Swap, ["USS"] = SmemField.Uss, ["PSS"] = SmemField.Pss, ["RSS"] = SmemField.Rss,
        ["VSS"] = SmemField.Vss, ["Maps"] = SmemField.Maps,
    };

    /// <summary>smem's header: every word one of its column names, with PID and PSS or USS (what tells it from ps's header).</summary>
    public static bool TryParseHeader(string line, out SmemField[] fields)
    {
        fields = [];
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length < 2 || !words.All(HeaderNames.ContainsKey)) return false;
        fields = words.Select(w => HeaderNames[w]).ToArray();
        return fields.Contains(SmemField.Pid) && (fields.Contains(SmemField.Pss) || fields.Contains(SmemField.Uss));
    }

    private sealed class Snapshot
    {
        public required SmemField[] Fields;
        public TimeMark? Leading, Trailing;
        public readonly List<(PsLine Line, FpmKind Kind)> Lines = new();
        public readonly HashSet<int> Pids = new();
    }

    /// <exception cref="ImportException">Bad input (file:line), or no snapshot holding a php-fpm process.</exception>
    public static PsLog Parse(IReadOnlyList<string> lines, string sourceName, TimeSpan interval)
    {
        var notes = new List<string>();
        var skippedText = new List<string>();
        var ignoredCommands = new List<string>();
        int prompts = 0, headers = 0, stamps = 0, text = 0, totals = 0, others = 0, exiting = 0, abbreviated = 0;
        var kept = new List<Snapshot>();
        Snapshot? current = null, lastClosed = null;
        SmemField[]? fields = null;
        TimeMark? pending = null;
        bool totalsNext = false;

        void Close()
        {
            if (current is null) return;
            kept.Add(current);
            lastClosed = current;
            current = null;
        }

        void Open(SmemField[] f)
        {
            Close();
            current = new Snapshot { Fields = f, Leading = pending };
            pending = null;
            lastClosed = null;
        }

        for (int i = 0; i < lines.Count; i++)
        {
            int no = i + 1;
            string line = LogText.Clean(lines[i]);
            string trimmed = line.Trim();
            if (trimmed.Length == 0) { Close(); totalsNext = false; continue; }
            if (totalsNext)
            {
                // smem -t: the line under the dashes sums the columns (the PID column counts the processes)
                totalsNext = false;
                totals++;
                continue;
            }
            if (trimmed.Length >= 10 && trimmed.All(c => c == '-'))
            {
                Close();
                totals++;
                totalsNext = true;
                continue;
            }
            if (TryParseHeader(line, out var headerFields))
            {
                headers++;
                foreach (var needed in new[] { SmemField.Rss, SmemField.Pss, SmemField.Uss })
                    if (!headerFields.Contains(needed))
                        throw new ImportException($"{sourceName}:{no}: smem's header has no {needed.ToString().ToUpperInvariant()} column: \"{trimmed}\". "
                            + "The import needs RSS, PSS and USS: use smem's default columns (PID User Command Swap USS PSS RSS), e.g. smem -P php-fpm.");
                fields = headerFields;
                Open(headerFields);
                continue;
            }
            if (LogText.TryParseTimestamp(line, no, out var mark))
            {
                stamps++;
                Close();
                if (lastClosed is not null) lastClosed.Trailing ??= mark;
                pending = mark;
                continue;
            }
            if (LogText.TryParsePrompt(line, out _))
            {
                prompts++;
                Close();
                continue;
            }
            if (fields is not null && char.IsAsciiDigit(trimmed[0]))
            {
                var ps = ParseRow(line, no, fields, sourceName, ref abbreviated);
                if (current is null || current.Pids.Contains(ps.Pid)) Open(current?.Fields ?? fields); // smem -H: a PID repeats
                var kind = FpmCommand.Classify(ps.Command);
                current!.Lines.Add((ps, kind));
                current.Pids.Add(ps.Pid);
                continue;
            }
            text++;
            LogText.KeepSkipped(skippedText, no, trimmed);
        }
        Close();

        if (kept.Count == 0)
            throw new ImportException($"{sourceName}: no smem output found in its {lines.Count} line(s): smem's header (\"PID User Command Swap USS PSS RSS\") was seen but no process line under it.");

        // Roles: by the command smem shows; without one (smem -c with Name only) by the PID rule.
        bool titled = kept.Any(s => s.Lines.Any(l => l.Kind is FpmKind.Master or FpmKind.Child));
        int? untitledMaster = null;
        bool useRule = !titled && kept.Any(s => s.Lines.Any(l => l.Kind == FpmKind.FpmUnknownRole));
        if (useRule)
        {
            untitledMaster = UntitledRoles.Master(kept.Select(s => (IReadOnlyCollection<int>)s.Lines.Where(l => l.Kind == FpmKind.FpmUnknownRole).Select(l => l.Line.Pid).ToHashSet()).ToList());
            notes.Add(UntitledRoles.Note(untitledMaster, "smem's Name column", "paste smem with its Command column (smem -P php-fpm) to have them from php-fpm's titles"));
        }
        int fpm = 0, unknownRole = 0;
        var blocks = new List<List<PsProcess>>();
        foreach (var s in kept)
        {
            var processes = new List<PsProcess>();
            foreach (var (l, kind) in s.Lines)
            {
                switch (kind)
                {
                    case FpmKind.Master: processes.Add(new PsProcess(l, ProcessRole.Master)); fpm++; break;
                    case FpmKind.Child: processes.Add(new PsProcess(l, ProcessRole.Child)); fpm++; break;
                    case FpmKind.FpmUnknownRole when useRule:
                        processes.Add(new PsProcess(l, l.Pid == untitledMaster ? ProcessRole.Master : ProcessRole.Child)); fpm++; break;
                    case FpmKind.FpmUnknownRole: unknownRole++; break;
                    default:
                        if (l.Command.Trim() is "?" or "") { exiting++; break; }
                        others++;
                        string cmd = l.Command.Trim();
                        LogText.KeepIgnored(ignoredCommands, cmd);
                        break;
                }
            }
            blocks.Add(processes.OrderBy(p => p.Pid).ToList());
        }
        if (fpm == 0)
            throw new ImportException($"{sourceName}: {kept.Count} smem snapshot(s) found, but no php-fpm process in them"
                + (ignoredCommands.Count > 0 ? $" (commands seen: {string.Join("; ", ignoredCommands)})" : "")
                + ". A php-fpm master shows as \"php-fpm: master process (...)\" and its children as \"php-fpm: pool www\": smem -P php-fpm lists them.");

        if (exiting > 0)
            notes.Add($"{exiting} smem line(s) with no command (\"?\": a process that ended while smem read it) ignored");
        if (others > 0)
            notes.Add($"{others} line(s) of other processes ignored ({string.Join("; ", ignoredCommands)}){(ignoredCommands.Any(c => c.Contains("smem", StringComparison.Ordinal) || c.Contains("python", StringComparison.Ordinal)) ? " — smem -P php-fpm lists smem itself (python3 /usr/bin/smem), whose command line matches its filter" : "")}");
        if (unknownRole > 0)
            notes.Add($"{unknownRole} php-fpm line(s) ignored: the role (master or pool child) could not be told from the command");
        if (abbreviated > 0)
            notes.Add("smem -k: each size is rounded to a tenth of its unit (1.3M is 1.25 to 1.35 MiB), so the values are that precise; smem without -k prints exact KiB");
        notes.Add("sizes are smem's: summed over /proc/PID/smaps (USS = Private_Clean + Private_Dirty)");

        var (times, source, epoch) = BlockTimes.Resolve(kept.Select(s => (s.Leading, s.Trailing)).ToList(), interval, notes);
        var counts = new ParseCounts
        {
            Lines = lines.Count, Prompts = prompts, Headers = headers, TimestampLines = stamps, FpmLines = fpm,
            OtherProcessLines = others + exiting, UnknownRoleLines = unknownRole, TextLines = text, TotalsLines = totals,
        };
        var psBlocks = blocks.Select((b, i) => new PsBlock(b, times[i])).ToList();
        return new PsLog(sourceName, psBlocks, source, epoch, counts, notes, ignoredCommands, skippedText) { Format = LogFormat.Smem };
    }

    /// <summary>One process line by the header's columns; the command takes what lies between the columns before and after it.</summary>
    private static PsLine ParseRow(string line, int no, SmemField[] fields, string source, ref int abbreviated)
    {
        var tokens = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int textAt = Array.IndexOf(fields, SmemField.Command);
        var values = new Dictionary<SmemField, string>();
        string command = "";
        if (textAt < 0)
        {
            if (tokens.Length != fields.Length) throw Bad(source, no, line, fields);
            for (int i = 0; i < fields.Length; i++) values[fields[i]] = tokens[i];
        }
        else
        {
            int after = fields.Length - textAt - 1;
            if (tokens.Length < textAt + after) throw Bad(source, no, line, fields);
            for (int i = 0; i < textAt; i++) values[fields[i]] = tokens[i];
            for (int i = 0; i < after; i++) values[fields[textAt + 1 + i]] = tokens[tokens.Length - after + i];
            command = string.Join(' ', tokens[textAt..(tokens.Length - after)]);
        }
        if (!int.TryParse(values[SmemField.Pid], NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid <= 0) throw Bad(source, no, line, fields);
        int abbr = 0;
        long Size(SmemField f)
        {
            if (!values.TryGetValue(f, out var v)) return Sample.Unknown;
            if (v.EndsWith('%') || v == "N/A")
                throw new ImportException($"{source}:{no}: smem printed percentages (smem -p), not sizes: \"{line.Trim()}\". Paste smem without -p (KiB, or -k for units).");
            if (!MemorySize.TryParseKb(v, out long kb, out bool rounded)) throw Bad(source, no, line, fields);
            if (rounded) abbr++;
            return kb;
        }
        long rss = Size(SmemField.Rss), pss = Size(SmemField.Pss), uss = Size(SmemField.Uss), swap = Size(SmemField.Swap);
        long vss = Size(SmemField.Vss);
        abbreviated += abbr;
        if (textAt < 0 && values.TryGetValue(SmemField.Name, out var name)) command = name;
        return new PsLine(no, pid, rss, vss >= 0 ? vss : null, null, null, values.GetValueOrDefault(SmemField.User), null, command)
        {
            PssKb = pss, UssKb = uss, SwapKb = swap,
        };
    }

    private static ImportException Bad(string source, int no, string line, SmemField[] fields) =>
        new($"{source}:{no}: not a smem process line: \"{line.Trim()}\" — under the header above it a line holds "
            + $"{string.Join(' ', fields.Select(Name))} (sizes in KiB, or 1.3M, 524.0K with smem -k).");

    private static string Name(SmemField f) => HeaderNames.First(kv => kv.Value == f).Key;
}
