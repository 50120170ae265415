using System.Globalization;

namespace Lab.Import.Parsing;

/// <summary>The ps columns the importer reads; every other column is skipped.</summary>
public enum PsField
{
    Other, Pid, Ppid, Rss, Vsz, User,
    /// <summary>BSD STAT: the state letter and its flags ('s' = session leader: php-fpm's master).</summary>
    Stat,
    /// <summary>S: the state letter alone (no flags).</summary>
    State,
    Time, Command,
    /// <summary>lstart's five words ("Tue Jan  6 04:32:10 2026").</summary>
    LStart,
}

/// <summary>
/// How the columns of a block's process lines are laid out: from the block's header
/// (`PID RSS VSZ CMD`, in any order), from the `-o` list of the ps command of its prompt, or
/// `ps aux`'s layout. COMMAND takes the rest of the line when it is the last column (its inner
/// spaces kept); when it is not, the columns after it are counted from the right.
/// </summary>
public sealed record PsColumns(IReadOnlyList<PsField> Fields, string Source)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>`ps aux` (and `ps u ...`): USER PID %CPU %MEM VSZ RSS TTY STAT START TIME COMMAND.</summary>
    public static readonly PsColumns Aux = new(
        [PsField.User, PsField.Pid, PsField.Other, PsField.Other, PsField.Vsz, PsField.Rss, PsField.Other, PsField.Stat, PsField.Other, PsField.Time, PsField.Command],
        "ps aux");

    /// <summary>What a header-less line of three numbers and a command is taken for: `ps -o pid,rss,vsz,cmd`.</summary>
    public static readonly PsColumns PidRssVszCmd = new([PsField.Pid, PsField.Rss, PsField.Vsz, PsField.Command], "ps -o pid,rss,vsz,cmd");

    public bool IsAux => ReferenceEquals(this, Aux);
    public bool HasRss => Fields.Contains(PsField.Rss);

    /// <summary>A header's column name → the field it holds (procps's header names).</summary>
    public static PsField FieldOfHeader(string name) => name switch
    {
        "PID" => PsField.Pid,
        "PPID" => PsField.Ppid,
        "RSS" or "RSZ" => PsField.Rss,
        "VSZ" or "VSIZE" => PsField.Vsz,
        "USER" or "EUSER" or "RUSER" or "UID" or "UNAME" => PsField.User,
        "STAT" => PsField.Stat,
        "S" => PsField.State,
        "TIME" => PsField.Time,
        "COMMAND" or "CMD" or "ARGS" => PsField.Command,
        "STARTED" => PsField.LStart, // lstart's header (five words) — and start's (one word): told apart per line
        _ => PsField.Other,
    };

    /// <summary>A `-o` format name → the field it holds (procps's format specifiers).</summary>
    public static PsField FieldOfFormat(string name) => name.ToLowerInvariant() switch
    {
        "pid" or "tgid" => PsField.Pid,
        "ppid" => PsField.Ppid,
        "rss" or "rssize" or "rsz" => PsField.Rss,
        "vsz" or "vsize" => PsField.Vsz,
        "user" or "euser" or "ruser" or "uname" or "uid" or "euid" or "ruid" => PsField.User,
        "stat" => PsField.Stat,
        "s" or "state" => PsField.State,
        "time" or "cputime" or "bsdtime" => PsField.Time,
        "cmd" or "args" or "command" or "comm" or "ucmd" or "ucomm" => PsField.Command,
        "lstart" => PsField.LStart,
        _ => PsField.Other,
    };

    /// <summary>A header line: it names a PID column and every word is an upper-case ps column name.</summary>
    public static bool TryParseHeader(string line, out PsColumns columns)
    {
        columns = null!;
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length < 2 || !words.Contains("PID")) return false;
        foreach (var w in words)
            foreach (char ch in w)
                if (!(ch is >= 'A' and <= 'Z' or >= '0' and <= '9' or '%' or '_' or '+' or '-' or ':')) return false;
        columns = new PsColumns(words.Select(FieldOfHeader).ToArray(), "header \"" + string.Join(' ', words) + "\"");
        return true;
    }

    /// <summary>
    /// The layout a ps command line promises: its -o/--format list (`ps -o pid,rss,vsz,cmd`,
    /// `ps -eo pid=,rss=`), or `ps aux`'s layout for BSD-style u (`ps aux`, `ps u -C php-fpm`).
    /// Null when the command has no ps, or a layout the importer does not know (the header decides then).
    /// </summary>
    public static PsColumns? FromPsCommand(string commandLine)
    {
        foreach (var segment in commandLine.Split(['|', ';', '&', '(', ')', '`'], StringSplitOptions.RemoveEmptyEntries))
        {
            var words = segment.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(w => w.Trim('\'', '"')).Where(w => w.Length > 0).ToList();
            int ps = words.FindIndex(IsPsProgram);
            if (ps < 0) continue;
            var formats = new List<string>();
            bool bsdU = false;
            for (int i = ps + 1; i < words.Count; i++)
            {
                string w = words[i];
                if (OptionsWithValue.Contains(w)) { i++; continue; } // -C php-fpm8.2, -u www-data, --sort -rss
                // -o LIST, -eo LIST (any short options ending in o), --format LIST, BSD "o"/"axo" LIST.
                // (-O adds its list to a default layout: left to the header.)
                if (w is "-o" or "o" or "--format"
                    || (w.Length > 2 && w[0] == '-' && w[1] != '-' && w[^1] == 'o' && w.Count(c => c == 'o') == 1 && !w.Contains('='))
                    || (w.Length > 1 && w[^1] == 'o' && w.All(char.IsAsciiLetterLower) && LooksLikeBsdOptions(w[..^1])))
                {
                    if (i + 1 < words.Count) formats.Add(words[++i]);
                }
                else if (w.StartsWith("--format=", StringComparison.Ordinal)) formats.Add(w["--format=".Length..]);
                else if (w.StartsWith("-o", StringComparison.Ordinal) && w.Length > 2) formats.Add(w[2..]);
                else if (w.Length > 0 && w[0] != '-' && w.All(char.IsLetter) && w.Contains('u') && LooksLikeBsdOptions(w)) bsdU = true;
                else if (w.Length > 1 && w[0] == '-' && w[1] != '-' && w.All(c => c == '-' || char.IsLetter(c)) && w.Contains("aux", StringComparison.Ordinal)) bsdU = true; // ps -aux
            }
            if (formats.Count > 0)
            {
                var fields = new List<PsField>();
                foreach (var list in formats)
                    foreach (var item in list.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries))
                    {
                        int eq = item.IndexOf('=');
                        fields.Add(FieldOfFormat(eq >= 0 ? item[..eq] : item));
                    }
                if (fields.Contains(PsField.Pid)) return new PsColumns(fields, "ps -o " + string.Join(',', formats));
                return null;
            }
            if (bsdU) return Aux;
            return null;
        }
        return null;
    }

    /// <summary>True when the command line runs ps (the word "ps", or a path ending in /ps).</summary>
    public static bool RunsPs(string commandLine) =>
        commandLine.Split(['|', ';', '&', '(', ')', '`', ' ', '\'', '"'], StringSplitOptions.RemoveEmptyEntries).Any(IsPsProgram);

    // ps options whose value is the next word (so that `-u user` is not read as BSD "u").
    private static readonly HashSet<string> OptionsWithValue = new(StringComparer.Ordinal)
    {
        "-C", "-u", "-U", "-p", "-g", "-G", "-t", "-s", "-q", "--sort", "--pid", "--ppid", "--user", "--User",
        "--group", "--Group", "--sid", "--tty", "--cols", "--columns", "--width", "--rows", "--lines", "-k",
    };

    private static bool IsPsProgram(string word) => word == "ps" || word.EndsWith("/ps", StringComparison.Ordinal);

    // BSD option letters of procps ("aux", "axu", "u", "uax", "auxww", "aux" with f/e/h/w/c ...).
    private static bool LooksLikeBsdOptions(string w) => w.All(c => "auxwwfehcrTgjlmnsSvX".Contains(c));

    /// <summary>
    /// Splits a process line by this layout. False when it does not fit: too few columns, a
    /// PID or RSS that is not a whole number.
    /// </summary>
    public bool TryParse(string line, int lineNumber, out PsLine result)
    {
        result = null!;
        var tokens = Tokenize(line);
        int cmdIndex = -1;
        for (int i = 0; i < Fields.Count; i++) if (Fields[i] == PsField.Command) { cmdIndex = i; break; }
        int before = cmdIndex >= 0 ? cmdIndex : Fields.Count;

        var values = new Dictionary<PsField, string>();
        int t = 0;
        for (int i = 0; i < before; i++)
        {
            if (t >= tokens.Count) return false;
            if (Fields[i] == PsField.LStart && IsWeekday(tokens[t].Text))
            {
                // lstart: "Tue Jan  6 04:32:10 2026", five words.
                if (t + 5 > tokens.Count) return false;
                t += 5;
                continue;
            }
            if (Fields[i] != PsField.Other && Fields[i] != PsField.LStart) values.TryAdd(Fields[i], tokens[t].Text);
            t++;
        }
        int right = tokens.Count;
        for (int i = Fields.Count - 1; i > cmdIndex && cmdIndex >= 0; i--)
        {
            if (right - 1 < t) return false;
            right--;
            if (Fields[i] != PsField.Other && Fields[i] != PsField.LStart) values.TryAdd(Fields[i], tokens[right].Text);
        }
        string command = "";
        if (cmdIndex >= 0)
        {
            // The command: what is left between the columns before it and after it (empty when cut off).
            if (t < right) command = line[tokens[t].Start..(tokens[right - 1].Start + tokens[right - 1].Text.Length)];
        }
        else if (t != tokens.Count) return false; // more columns than the layout has

        if (!values.TryGetValue(PsField.Pid, out var pidText) || !int.TryParse(pidText, NumberStyles.None, Inv, out int pid) || pid <= 0) return false;
        if (!values.TryGetValue(PsField.Rss, out var rssText) || !long.TryParse(rssText, NumberStyles.None, Inv, out long rss)) return false;
        long? vsz = null;
        if (values.TryGetValue(PsField.Vsz, out var vszText))
        {
            if (!long.TryParse(vszText, NumberStyles.None, Inv, out long v)) return false;
            vsz = v;
        }
        int? ppid = values.TryGetValue(PsField.Ppid, out var ppidText) && int.TryParse(ppidText, NumberStyles.None, Inv, out int pp) ? pp : null;
        double? cpu = values.TryGetValue(PsField.Time, out var timeText) && CpuTime.TryParse(timeText, out double s) ? s : null;
        string? stat = values.GetValueOrDefault(PsField.Stat);
        char? state = values.TryGetValue(PsField.State, out var st) && st.Length == 1 ? st[0] : null;
        result = new PsLine(lineNumber, pid, rss, vsz, cpu, stat, values.GetValueOrDefault(PsField.User), ppid, command) { StateLetter = state };
        return true;
    }

    private static bool IsWeekday(string w) => w is "Mon" or "Tue" or "Wed" or "Thu" or "Fri" or "Sat" or "Sun";

    private readonly record struct Token(int Start, string Text);

    private static List<Token> Tokenize(string line)
    {
        var list = new List<Token>();
        int i = 0;
        while (i < line.Length)
        {
            while (i < line.Length && line[i] == ' ') i++;
            int start = i;
            while (i < line.Length && line[i] != ' ') i++;
            if (i > start) list.Add(new Token(start, line[start..i]));
        }
        return list;
    }
}

/// <summary>CPU time columns: `ps aux`'s TIME "M:SS", `ps -o time`'s "[DD-]HH:MM:SS".</summary>
public static class CpuTime
{
    public static bool TryParse(string text, out double seconds)
    {
        seconds = 0;
        long days = 0;
        int dash = text.IndexOf('-');
        if (dash > 0)
        {
            if (!long.TryParse(text.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out days)) return false;
            text = text[(dash + 1)..];
        }
        var parts = text.Split(':');
        if (parts.Length is < 2 or > 3) return false;
        long total = 0;
        foreach (var p in parts)
        {
            if (p.Length == 0 || !long.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out long n)) return false;
            total = total * 60 + n;
        }
        seconds = days * 86400 + total;
        return true;
    }
}
