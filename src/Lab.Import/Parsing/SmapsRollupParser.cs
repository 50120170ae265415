using System.Globalization;
using System.Text.RegularExpressions;
using Lab.Core.Records;

namespace Lab.Import.Parsing;

/// <summary>
/// Reads concatenated /proc/PID/smaps_rollup dumps, as an operator's loop prints them
/// (`for p in $(pgrep php-fpm); do echo $p; cat /proc/$p/smaps_rollup; done`, repeated), into
/// snapshots. smaps_rollup (Linux 4.14+, kernel Documentation/filesystems/proc.rst) is one
/// "[rollup]" entry summing the process's mappings: `Rss:`, `Pss:`, `Pss_Anon:`, ..., `Shared_Clean:`,
/// `Private_Clean:`, `Private_Dirty:`, ..., `Swap:`, `SwapPss:`, `Locked:`, each "N kB".
/// <list type="bullet">
/// <item>a dump belongs to the PID on the line before it: a line holding a PID alone, a PID and the
/// process's title (`echo $p $(ps -o args= -p $p)`: the roles then come from it), or head's
/// `==> /proc/PID/smaps_rollup &lt;==`;</item>
/// <item>RSS = Rss:, PSS = Pss:, USS = Private_Clean: + Private_Dirty:, swap = Swap:; the other
/// fields are read past (kernels add fields);</item>
/// <item>a new snapshot begins when a PID repeats (the loop went round again), at a timestamp
/// line (`date` between rounds: it also gives the time) or at a prompt. Blank lines are not
/// separators: a loop may print one per process;</item>
/// <item>a PID line without a dump under it (cat: No such file: the process ended between pgrep
/// and cat) is skipped and counted; other text is skipped;</item>
/// <item>without titles, the roles follow <see cref="UntitledRoles"/> (the lowest PID present in
/// every snapshot is the master), said in the notes;</item>
/// <item>bad input — a field line before any PID line, a needed field that is not "N kB", a dump
/// lacking Rss/Pss/Private_Clean/Private_Dirty, a field twice in one dump (that is /proc/PID/smaps,
/// one entry per mapping) — is "FILE:LINE: ..." (<see cref="ImportException"/>).</item>
/// </list>
/// </summary>
public static partial class SmapsRollupParser
{
    private static readonly string[] Needed = ["Rss", "Pss", "Private_Clean", "Private_Dirty"];

    // "55d1c0f4e000-7ffd5e3b1000 ---p 00000000 00:00 0      [rollup]"
    [GeneratedRegex(@"^[0-9a-f]+-[0-9a-f]+\s+\S+\s+[0-9a-f]+\s+[0-9a-f]+:[0-9a-f]+\s+\d+\s+\[rollup\]$")]
    private static partial Regex RollupHeader();

    // "Pss_Anon:           905 kB"
    [GeneratedRegex(@"^(?<key>[A-Za-z][A-Za-z0-9_]*):\s+(?<value>.*)$")]
    private static partial Regex FieldLine();

    // "30187", "30187 php-fpm: pool www", "==> /proc/30187/smaps_rollup <=="
    [GeneratedRegex(@"^(?:(?<pid>\d{1,7})(?:\s+(?<title>\S.*))?|==> /proc/(?<hpid>\d{1,7})/smaps_rollup <==)$")]
    private static partial Regex PidLine();

    /// <summary>True for a line only smaps_rollup prints: its "[rollup]" header, or a field line with a name of smaps'.</summary>
    public static bool LooksLikeRollup(string line)
    {
        string t = line.Trim();
        if (RollupHeader().IsMatch(t)) return true;
        var m = FieldLine().Match(t);
        return m.Success && m.Groups["key"].Value is "Pss" or "Private_Dirty" && m.Groups["value"].Value.EndsWith(" kB", StringComparison.Ordinal);
    }

    private sealed class Dump
    {
        public required int Pid;
        public required int Line;
        public string? Title;
        public readonly Dictionary<string, long> Fields = new(StringComparer.Ordinal);
    }

    private sealed class Snapshot
    {
        public TimeMark? Leading, Trailing;
        public readonly List<Dump> Dumps = new();
        public readonly HashSet<int> Pids = new();
    }

    /// <exception cref="ImportException">Bad input (file:line), or no dump in the file.</exception>
    public static PsLog Parse(IReadOnlyList<string> lines, string sourceName, TimeSpan interval)
    {
        var notes = new List<string>();
        var skippedText = new List<string>();
        int prompts = 0, stamps = 0, text = 0, empty = 0;
        var emptyPids = new List<int>();
        var kept = new List<Snapshot>();
        Snapshot? current = null, lastClosed = null;
        Dump? dump = null;
        TimeMark? pending = null;

        void EndDump()
        {
            if (dump is null) return;
            var d = dump;
            dump = null;
            if (d.Fields.Count == 0)
            {
                empty++;
                if (emptyPids.Count < LogText.ExamplesKept) emptyPids.Add(d.Pid);
                return;
            }
            foreach (var key in Needed)
                if (!d.Fields.ContainsKey(key))
                    throw new ImportException($"{sourceName}:{d.Line}: the smaps_rollup under PID {d.Pid} has no {key}: line "
                        + $"(a dump needs {string.Join(", ", Needed.Select(k => k + ":"))}; was the paste cut?)");
            if (current is null || current.Pids.Contains(d.Pid))
            {
                CloseSnapshot();
                current = new Snapshot { Leading = pending };
                pending = null;
                lastClosed = null;
            }
            current.Dumps.Add(d);
            current.Pids.Add(d.Pid);
        }

        void CloseSnapshot()
        {
            if (current is null) return;
            kept.Add(current);
            lastClosed = current;
            current = null;
        }

        for (int i = 0; i < lines.Count; i++)
        {
            int no = i + 1;
            string t = LogText.Clean(lines[i]).Trim();
            if (t.Length == 0) continue;
            if (LogText.TryParseTimestamp(t, no, out var mark))
            {
                stamps++;
                EndDump();
                CloseSnapshot();
                if (lastClosed is not null) lastClosed.Trailing ??= mark;
                pending = mark;
                continue;
            }
            var pm = PidLine().Match(t);
            if (pm.Success)
            {
                EndDump();
                string pidText = pm.Groups["hpid"].Success ? pm.Groups["hpid"].Value : pm.Groups["pid"].Value;
                int pid = int.Parse(pidText, NumberStyles.None, CultureInfo.InvariantCulture);
                if (pid <= 0) throw new ImportException($"{sourceName}:{no}: PID {pidText} is no process ID.");
                dump = new Dump { Pid = pid, Line = no, Title = pm.Groups["title"].Success ? pm.Groups["title"].Value.Trim() : null };
                continue;
            }
            if (RollupHeader().IsMatch(t))
            {
                if (dump is null) throw NoPid(sourceName, no, t);
                continue;
            }
            var fm = FieldLine().Match(t);
            if (fm.Success && fm.Groups["value"].Value.EndsWith("kB", StringComparison.Ordinal))
            {
                string key = fm.Groups["key"].Value, value = fm.Groups["value"].Value;
                if (dump is null) throw NoPid(sourceName, no, t);
                if (!long.TryParse(value[..^2].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long kb))
                    throw new ImportException($"{sourceName}:{no}: \"{t}\" is not a smaps_rollup line: {key}: needs a whole number of kB (\"{key}:   1234 kB\").");
                if (!dump.Fields.TryAdd(key, kb))
                    throw new ImportException($"{sourceName}:{no}: a second {key}: line under PID {dump.Pid}: this looks like /proc/PID/smaps (one entry per mapping), "
                        + "not smaps_rollup (one entry for the whole process). Paste cat /proc/PID/smaps_rollup (Linux 4.14+).");
                continue;
            }
            if (LogText.TryParsePrompt(t, out _))
            {
                prompts++;
                EndDump();
                CloseSnapshot();
                continue;
            }
            text++;
            LogText.KeepSkipped(skippedText, no, t);
        }
        EndDump();
        CloseSnapshot();

        if (kept.Count == 0)
            throw new ImportException($"{sourceName}: no smaps_rollup dump found in its {lines.Count} line(s). Expected, repeated, the output of "
                + "`for p in $(pgrep php-fpm); do echo $p; cat /proc/$p/smaps_rollup; done`: a line with the PID, then \"Rss:  1234 kB\", \"Pss: ...\" lines."
                + (empty > 0 ? $" {empty} PID line(s) had no dump under them." : ""));

        // Roles: from the titles given on the PID lines, else the PID rule.
        bool titled = kept.Any(s => s.Dumps.Any(d => d.Title is not null));
        int? master = null;
        if (!titled)
        {
            master = UntitledRoles.Master(kept.Select(s => (IReadOnlyCollection<int>)s.Pids).ToList());
            notes.Add(UntitledRoles.Note(master, "smaps_rollup",
                "to give the roles, print each PID's title beside it: for p in $(pgrep php-fpm); do echo $p $(ps -o args= -p $p); cat /proc/$p/smaps_rollup; done"));
        }
        int fpm = 0, others = 0, unknownRole = 0;
        var ignoredCommands = new List<string>();
        var blocks = new List<PsBlock>();
        var rows = new List<List<PsProcess>>();
        foreach (var s in kept)
        {
            var processes = new List<PsProcess>();
            foreach (var d in s.Dumps)
            {
                ProcessRole? role;
                if (!titled) role = d.Pid == master ? ProcessRole.Master : ProcessRole.Child;
                else
                {
                    var kind = d.Title is null ? FpmKind.FpmUnknownRole : FpmCommand.Classify(d.Title);
                    role = kind switch { FpmKind.Master => ProcessRole.Master, FpmKind.Child => ProcessRole.Child, _ => null };
                    if (role is null)
                    {
                        if (kind == FpmKind.FpmUnknownRole) unknownRole++;
                        else
                        {
                            others++;
                            LogText.KeepIgnored(ignoredCommands, d.Title!);
                        }
                        continue;
                    }
                }
                var f = d.Fields;
                var line = new PsLine(d.Line, d.Pid, f["Rss"], null, null, null, null, null, d.Title ?? "")
                {
                    PssKb = f["Pss"], UssKb = f["Private_Clean"] + f["Private_Dirty"], SwapKb = f.GetValueOrDefault("Swap", Sample.Unknown),
                };
                processes.Add(new PsProcess(line, role.Value));
                fpm++;
            }
            rows.Add(processes.OrderBy(p => p.Pid).ToList());
        }
        if (fpm == 0)
            throw new ImportException($"{sourceName}: {kept.Count} smaps_rollup snapshot(s) found, but no php-fpm process among them"
                + (ignoredCommands.Count > 0 ? $" (titles seen: {string.Join("; ", ignoredCommands)})" : "")
                + ". A php-fpm master's title is \"php-fpm: master process (...)\", its children's \"php-fpm: pool www\".");
        if (empty > 0)
            notes.Add($"{empty} PID line(s) without a smaps_rollup dump under them (PID {string.Join(", ", emptyPids)}{(empty > emptyPids.Count ? ", ..." : "")}: the process ended between pgrep and cat, or could not be read) skipped");
        if (others > 0) notes.Add($"{others} dump(s) of other processes ignored ({string.Join("; ", ignoredCommands)})");
        if (unknownRole > 0) notes.Add($"{unknownRole} dump(s) ignored: their title does not say master or pool child");
        notes.Add("USS = Private_Clean + Private_Dirty, PSS = Pss:, RSS = Rss:, swap = Swap: of each dump; the dumps carry no VSZ, CPU time or state");

        var (times, source, epoch) = BlockTimes.Resolve(kept.Select(s => (s.Leading, s.Trailing)).ToList(), interval, notes);
        for (int i = 0; i < rows.Count; i++) blocks.Add(new PsBlock(rows[i], times[i]));
        var counts = new ParseCounts
        {
            Lines = lines.Count, Prompts = prompts, TimestampLines = stamps, FpmLines = fpm,
            OtherProcessLines = others, UnknownRoleLines = unknownRole, TextLines = text,
        };
        return new PsLog(sourceName, blocks, source, epoch, counts, notes, ignoredCommands, skippedText) { Format = LogFormat.SmapsRollup };
    }

    private static ImportException NoPid(string source, int no, string line) =>
        new($"{source}:{no}: \"{line}\" comes before any PID line: each smaps_rollup dump must follow a line with its PID "
            + "(for p in $(pgrep php-fpm); do echo $p; cat /proc/$p/smaps_rollup; done).");
}
