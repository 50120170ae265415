using System.Text;
using System.Text.RegularExpressions;

namespace Lab.Scenarios.PoolFiles;

/// <summary>One "directive = value" line of a php-fpm configuration, where it was written.</summary>
/// <param name="Section">"global" or the pool's name.</param>
/// <param name="Value">The value as php-fpm reads it: unquoted, comment stripped, $pool and ${ENV} expanded.</param>
public sealed record FpmIniEntry(string Section, string Key, string Value, string File, int Line)
{
    /// <summary>"www.conf:12".</summary>
    public string Where => $"{File}:{Line}";
}

/// <summary>A section ([global] or a pool) as it first appears.</summary>
public sealed record FpmIniSection(string Name, string File, int Line)
{
    public bool IsGlobal => Name == "global";
}

/// <summary>
/// A php-fpm configuration read as php-fpm reads it (php-src sapi/fpm/fpm/fpm_conf.c, PHP's INI
/// syntax): [sections], "directive = value" lines, ';' comments (and '#' at the start of a line),
/// values in double or single quotes, $pool in a pool's values, ${VAR} from the environment, and
/// include = glob (a relative glob is relative to php-fpm's prefix, /usr for the distribution's
/// build, as php-fpm resolves it; the files in name order), at any depth. Every entry keeps its file and line. The pools are the
/// sections other than [global], in the order they first appear.
/// </summary>
public sealed partial class FpmIniFile
{
    private readonly List<FpmIniEntry> _entries = [];
    private readonly List<FpmIniSection> _sections = [];
    private readonly List<string> _files = [];

    /// <summary>php-fpm's prefix when it is not given with -p: where a relative include is looked for (Debian's php-fpm: /usr).</summary>
    public const string DefaultPrefix = "/usr";

    private readonly string _prefix;

    private FpmIniFile(string path, string prefix)
    {
        Path = path;
        _prefix = prefix;
    }

    /// <summary>The file read first (as given).</summary>
    public string Path { get; }
    public IReadOnlyList<FpmIniEntry> Entries => _entries;
    public IReadOnlyList<FpmIniSection> Sections => _sections;
    /// <summary>Every file read, the includes too, in reading order.</summary>
    public IReadOnlyList<string> Files => _files;

    public IEnumerable<FpmIniSection> Pools => _sections.Where(s => !s.IsGlobal);

    /// <summary>The entries of one section (the last one of a key wins, as in php-fpm).</summary>
    public IEnumerable<FpmIniEntry> EntriesOf(string section) => _entries.Where(e => e.Section == section);

    /// <summary>The value of a directive in a section (the last given), or null.</summary>
    public FpmIniEntry? Find(string section, string key) => _entries.LastOrDefault(e => e.Section == section && e.Key == key);

    /// <summary>Reads a configuration file and everything it includes.</summary>
    /// <exception cref="FpmIniException">A file cannot be read, or a line is not php-fpm's syntax (file:line).</exception>
    /// <param name="prefix">php-fpm's prefix (its -p): relative includes are relative to it.</param>
    public static FpmIniFile Read(string path, string prefix = DefaultPrefix)
    {
        var file = new FpmIniFile(path, prefix);
        file.ReadFile(System.IO.Path.GetFullPath(path), path, section: null, depth: 0, includedFrom: null);
        return file;
    }

    /// <summary>Reads configuration text.</summary>
    public static FpmIniFile Parse(string text, string name, string prefix = DefaultPrefix)
    {
        var file = new FpmIniFile(name, prefix);
        file.ParseText(text, name, null, 0);
        return file;
    }

    private string? ReadFile(string fullPath, string shown, string? section, int depth, string? includedFrom)
    {
        if (depth > 16) throw new FpmIniException($"{includedFrom}: includes nested more than 16 deep (an include loop?)");
        string text;
        try { text = File.ReadAllText(fullPath); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            string what = includedFrom is null ? "" : $"{includedFrom}: include: ";
            throw new FpmIniException($"{what}cannot read {shown}: {e.Message}");
        }
        _files.Add(fullPath);
        return ParseText(text, shown, section, depth);
    }

    /// <summary>Parses one file's text; returns the section in force at its end (php's INI parser carries it into the includes).</summary>
    private string? ParseText(string text, string shown, string? section, int depth)
    {
        int lineNo = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNo++;
            string line = raw.TrimEnd('\r').Trim();
            if (line.Length == 0 || line[0] is ';' or '#') continue;
            string where = $"{shown}:{lineNo}";
            if (line[0] == '[')
            {
                int close = line.IndexOf(']');
                string rest = close < 0 ? "" : StripComment(line[(close + 1)..]).Trim();
                if (close < 0 || rest.Length > 0)
                    throw new FpmIniException($"{where}: syntax error: a section is written [name] on a line of its own, found \"{line}\"", shown, lineNo);
                section = line[1..close].Trim();
                if (section.Length == 0) throw new FpmIniException($"{where}: a section name can not be empty", shown, lineNo);
                if (!_sections.Any(s => s.Name == section)) _sections.Add(new FpmIniSection(section, shown, lineNo));
                continue;
            }
            int eq = line.IndexOf('=');
            if (eq <= 0)
                throw new FpmIniException($"{where}: syntax error: expected directive = value, found \"{line}\"", shown, lineNo);
            string key = line[..eq].Trim();
            string value = Unquote(StripComment(line[(eq + 1)..]).Trim());
            if (!KeyRx().IsMatch(key))
                throw new FpmIniException($"{where}: syntax error: \"{key}\" is not a directive name", shown, lineNo);
            value = ExpandEnvironment(value, where, shown, lineNo);
            if (key == "include")
            {
                string pattern = System.IO.Path.IsPathRooted(value) ? value : System.IO.Path.Combine(_prefix, value);
                var files = Glob(pattern);
                if (files.Count == 0 && !HasWildcard(pattern))
                    throw new FpmIniException($"{where}: include = {value}: no such file ({pattern})", shown, lineNo);
                foreach (var included in files)
                    section = ReadFile(included, included, section, depth + 1, where);
                continue;
            }
            if (section is null)
                throw new FpmIniException($"{where}: {key} is outside any section: write [global] or a pool's [name] above it", shown, lineNo);
            if (section != "global") value = value.Replace("$pool", section, StringComparison.Ordinal);
            _entries.Add(new FpmIniEntry(section, key, value, shown, lineNo));
        }
        return section;
    }

    /// <summary>';' starts a comment unless inside quotes.</summary>
    private static string StripComment(string value)
    {
        char quote = '\0';
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (quote != '\0') { if (c == quote) quote = '\0'; }
            else if (c is '"' or '\'') quote = c;
            else if (c == ';') return value[..i];
        }
        return value;
    }

    private static string Unquote(string v) =>
        v.Length >= 2 && ((v[0] == '"' && v[^1] == '"') || (v[0] == '\'' && v[^1] == '\'')) ? v[1..^1] : v;

    /// <summary>${VAR} from the environment, as PHP's INI parser does (an unset variable is empty).</summary>
    private static string ExpandEnvironment(string value, string where, string shown, int line)
    {
        if (!value.Contains("${", StringComparison.Ordinal)) return value;
        var sb = new StringBuilder();
        int i = 0;
        while (i < value.Length)
        {
            int start = value.IndexOf("${", i, StringComparison.Ordinal);
            if (start < 0) { sb.Append(value, i, value.Length - i); break; }
            int end = value.IndexOf('}', start);
            if (end < 0) throw new FpmIniException($"{where}: syntax error: ${{ without its closing }}", shown, line);
            sb.Append(value, i, start - i).Append(Environment.GetEnvironmentVariable(value[(start + 2)..end]) ?? "");
            i = end + 1;
        }
        return sb.ToString();
    }

    /// <summary>The files a glob names (*, ? and [...] in any segment), sorted as glob(3) sorts them.</summary>
    internal static IReadOnlyList<string> Glob(string pattern)
    {
        string full = System.IO.Path.GetFullPath(pattern);
        var segments = full.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var current = new List<string> { "/" };
        for (int i = 0; i < segments.Length; i++)
        {
            bool last = i == segments.Length - 1;
            string seg = segments[i];
            var next = new List<string>();
            foreach (var dir in current)
            {
                if (!HasWildcard(seg))
                {
                    string p = System.IO.Path.Combine(dir, seg);
                    if (last ? File.Exists(p) : Directory.Exists(p)) next.Add(p);
                    continue;
                }
                if (!Directory.Exists(dir)) continue;
                var rx = new Regex("^" + Regex.Escape(seg).Replace(@"\*", "[^/]*").Replace(@"\?", "[^/]").Replace(@"\[", "[").Replace(@"\]", "]") + "$");
                var found = last ? Directory.EnumerateFiles(dir) : Directory.EnumerateDirectories(dir);
                next.AddRange(found.Where(f => rx.IsMatch(System.IO.Path.GetFileName(f)) && !System.IO.Path.GetFileName(f).StartsWith('.')));
            }
            next.Sort(StringComparer.Ordinal);
            current = next;
        }
        return current;
    }

    private static bool HasWildcard(string s) => s.IndexOfAny(['*', '?', '[']) >= 0;

    [GeneratedRegex(@"^[A-Za-z0-9_.\-]+(\[[^\]]*\])?$")]
    private static partial Regex KeyRx();
}

/// <summary>A php-fpm configuration that cannot be read: the message names the file and line.</summary>
public sealed class FpmIniException(string message, string? file = null, int? line = null) : Exception(message)
{
    public string? File { get; } = file;
    public int? Line { get; } = line;
}
