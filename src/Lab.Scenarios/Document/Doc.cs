using System.Globalization;
using System.Text;

namespace Lab.Scenarios.Document;

/// <summary>Where a value came from: a file and line, or the command line.</summary>
internal readonly record struct Origin(string Source, int? Line)
{
    public const string CommandLineSource = "command line";
    public static Origin CommandLine => new(CommandLineSource, null);
    public bool IsCommandLine => Source == CommandLineSource && Line is null;
    /// <summary>"scenarios/x.toml:12", "scenarios/x.toml" or "command line".</summary>
    public override string ToString() => Line is int l ? $"{Source}:{l.ToString(CultureInfo.InvariantCulture)}" : Source;
}

/// <summary>
/// The scenario file as a tree of values, each with its origin: what the TOML said, before
/// any type is applied. Overrides are written into this tree (with the command line as
/// origin), then the whole tree is validated and turned into a Scenario.
/// </summary>
internal abstract class DocValue
{
    public required Origin Origin { get; init; }

    /// <summary>The php-fpm directive the value was read from (pool.from: "pm.max_children"), null otherwise.</summary>
    public string? Directive { get; init; }

    /// <summary>The value as the user wrote it (TOML syntax for file values, raw text for overrides).</summary>
    public abstract string Display { get; }
}

/// <summary>A string, integer (long), float (double), boolean or date (kept as text).</summary>
internal sealed class DocScalar : DocValue
{
    public required object Value { get; init; }

    /// <summary>An override's raw text: its type comes from the key (5 is an integer for max_children, a string for title).</summary>
    public bool Raw { get; init; }

    /// <summary>A TOML date/time: no key takes one.</summary>
    public bool IsDate { get; init; }

    public override string Display => Raw ? (string)Value : Value switch
    {
        string s when IsDate => s,
        string s => TomlText.Quote(s),
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        _ => Value.ToString() ?? "",
    };
}

/// <summary>A table ([pool], an inline table, a [[load.phases]] element); entries in file order.</summary>
internal sealed class DocTable : DocValue
{
    private readonly List<KeyValuePair<string, DocValue>> _entries = [];

    public bool Inline { get; init; }

    public IReadOnlyList<KeyValuePair<string, DocValue>> Entries => _entries;

    public DocValue? this[string key] => _entries.FirstOrDefault(e => e.Key == key).Value;

    public bool Contains(string key) => _entries.Any(e => e.Key == key);

    /// <summary>Sets a key, replacing (in place) what it held.</summary>
    public void Set(string key, DocValue value)
    {
        int i = _entries.FindIndex(e => e.Key == key);
        if (i >= 0) _entries[i] = new(key, value);
        else _entries.Add(new(key, value));
    }

    public void Remove(string key) => _entries.RemoveAll(e => e.Key == key);

    public void Rename(string key, string newKey)
    {
        int i = _entries.FindIndex(e => e.Key == key);
        if (i >= 0) _entries[i] = new(newKey, _entries[i].Value);
    }

    public override string Display => "{ " + string.Join(", ", _entries.Select(e => $"{e.Key} = {e.Value.Display}")) + " }";
}

/// <summary>An array: of tables ([[load.phases]]) or of values.</summary>
internal sealed class DocArray : DocValue
{
    public List<DocValue> Items { get; } = [];

    public override string Display => "[" + string.Join(", ", Items.Select(i => i.Display)) + "]";
}

/// <summary>TOML string literals.</summary>
internal static class TomlText
{
    /// <summary>A TOML basic string: "..." with escapes.</summary>
    public static string Quote(string s) => "\"" + Escape(s, multiline: false) + "\"";

    public static string Escape(string s, bool multiline)
    {
        var sb = new StringBuilder(s.Length + 2);
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append(multiline ? "\n" : "\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (char.IsControl(c)) sb.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.ToString();
    }
}
