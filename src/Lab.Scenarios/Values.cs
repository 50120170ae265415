using System.Globalization;
using Lab.Core.Scenarios;
using Lab.Scenarios.Document;

namespace Lab.Scenarios;

/// <summary>
/// Typed reads of document values. A file value must have the TOML type the key asks for; an
/// override's raw text is parsed by the key's type (so max_children=5 is an integer, and a
/// string "5" for an integer key is accepted only on the command line).
/// </summary>
internal static class Values
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Text(DocValue v, string path)
    {
        if (v is DocScalar { Value: string s, IsDate: false }) return s;
        throw Errors.Value(v, path, "must be a string (in quotes)");
    }

    public static long Integer(DocValue v, string path, string expected)
    {
        switch (v)
        {
            case DocScalar { Value: long l }:
                return l;
            case DocScalar { Raw: true, Value: string s } when long.TryParse(s.Trim(), NumberStyles.AllowLeadingSign, Inv, out long parsed):
                return parsed;
            case DocScalar { Raw: false, Value: string, IsDate: false }:
                throw Errors.Value(v, path, $"{expected}, written without quotes");
            default:
                throw Errors.Value(v, path, expected);
        }
    }

    /// <summary>An int in [min, max]; <paramref name="expected"/> says what is allowed.</summary>
    public static int Int(DocValue v, string path, int min, string expected, int max = int.MaxValue)
    {
        long n = Integer(v, path, expected);
        if (n < min || n > max) throw Errors.Value(v, path, n > int.MaxValue ? $"{expected} (at most {max.ToString(Inv)})" : expected);
        return (int)n;
    }

    public static bool Bool(DocValue v, string path)
    {
        return v switch
        {
            DocScalar { Value: bool b } => b,
            DocScalar { Raw: true, Value: string s } when s.Trim() is "true" or "false" => s.Trim() == "true",
            _ => throw Errors.Value(v, path, "must be true or false (without quotes)"),
        };
    }

    public static double Number(DocValue v, string path, string expected)
    {
        double d = v switch
        {
            DocScalar { Value: long l } => l,
            DocScalar { Value: double x } => x,
            DocScalar { Raw: true, Value: string s } when double.TryParse(s.Trim(), NumberStyles.Float, Inv, out double parsed) => parsed,
            DocScalar { Raw: false, Value: string, IsDate: false } => throw Errors.Value(v, path, $"{expected}, written without quotes"),
            _ => throw Errors.Value(v, path, expected),
        };
        if (double.IsNaN(d) || double.IsInfinity(d)) throw Errors.Value(v, path, expected);
        return d;
    }

    /// <summary>One of the choices (case-insensitive), returned as the choice is spelled.</summary>
    public static string Choice(DocValue v, string path, IReadOnlyList<string> choices)
    {
        string oneOf = $"must be one of {Errors.List(choices)}";
        if (v is not DocScalar { Value: string s, IsDate: false }) throw Errors.Value(v, path, $"{oneOf} (a string)");
        foreach (var c in choices)
            if (string.Equals(c, s.Trim(), StringComparison.OrdinalIgnoreCase)) return c;
        throw Errors.Value(v, path, oneOf + Suggest.DidYouMean(s.Trim(), choices));
    }

    /// <summary>The text of a value that must be written with a unit; a TOML number is reported as missing its unit.</summary>
    private static string UnitText(DocValue v, string path, string what)
    {
        return v switch
        {
            DocScalar { Value: string s, IsDate: false } => s,
            DocScalar { Value: long l } => l.ToString(Inv),
            DocScalar { Value: double d } => d.ToString("R", Inv),
            _ => throw Errors.Value(v, path, $"must be {what}"),
        };
    }

    public static double SizeKb(DocValue v, string path)
    {
        string text = UnitText(v, path, "a size with a unit, e.g. \"4M\"");
        return ScenarioUnits.ParseSizeKb(text, out var problem) ?? throw Errors.Value(v, path, problem!);
    }

    /// <summary>A size in whole KiB (rounded to the nearest KiB).</summary>
    public static long SizeKbWhole(DocValue v, string path) => (long)Math.Round(SizeKb(v, path));

    public static long SizeBytes(DocValue v, string path) => (long)Math.Round(SizeKb(v, path) * 1024);

    public static TimeSpan Duration(DocValue v, string path)
    {
        string text = UnitText(v, path, "a duration with a unit, e.g. \"30s\"");
        return ScenarioUnits.ParseDuration(text, out var problem) ?? throw Errors.Value(v, path, problem!);
    }

    /// <summary>A duration or 0 (off): 0 may be written bare (0 or "0"), any other duration needs its unit.</summary>
    public static TimeSpan Timeout(DocValue v, string path)
    {
        bool zero = v switch
        {
            DocScalar { Value: long l } => l == 0,
            DocScalar { Value: double d } => d == 0,
            DocScalar { Value: string s, IsDate: false } => s.Trim() == "0",
            _ => false,
        };
        if (zero) return TimeSpan.Zero;
        return Duration(v, path);
    }

    public static double DurationMs(DocValue v, string path)
    {
        string text = UnitText(v, path, "a duration with a unit, e.g. \"50ms\"");
        return ScenarioUnits.ParseDurationMs(text, out var problem) ?? throw Errors.Value(v, path, problem!);
    }

    public static long MemoryLimit(DocValue v, string path)
    {
        string text = v switch
        {
            DocScalar { Value: long l } => l.ToString(Inv),
            DocScalar { Value: string s, IsDate: false } => s,
            _ => throw Errors.Value(v, path, "must be php's memory_limit: bytes, or a number with K, M or G (e.g. \"128M\"), or -1 for unlimited"),
        };
        return ScenarioUnits.ParseMemoryLimit(text, out var problem) ?? throw Errors.Value(v, path, problem!);
    }

    public static int Signal(DocValue v, string path)
    {
        string text = v switch
        {
            DocScalar { Value: long l } => l.ToString(Inv),
            DocScalar { Value: string s, IsDate: false } => s,
            _ => throw Errors.Value(v, path, $"must be a signal: {ScenarioUnits.SignalsText}"),
        };
        return ScenarioUnits.ParseSignal(text, out var problem) ?? throw Errors.Value(v, path, problem!);
    }

    /// <summary>
    /// A request quantity: a constant ("4M", "50ms") or a distribution table
    /// { dist = "uniform", min, max } | { dist = "normal", mean, stddev } | { dist = "exponential", mean }
    /// | { dist = "lognormal", mean, stddev } | { dist = "choice", values = [...], weights = [...] }.
    /// </summary>
    public static Distribution Distribution(DocValue v, string path, bool size)
    {
        Func<DocValue, string, double> read = size ? SizeKb : DurationMs;
        string example = size ? "\"4M\"" : "\"50ms\"";
        if (v is not DocTable table)
        {
            if (v is DocArray) throw Errors.Value(v, path, $"must be a constant like {example} or a distribution like {{ dist = \"uniform\", min = ..., max = ... }}");
            return Core.Scenarios.Distribution.Const(read(v, path));
        }

        if (table["dist"] is not { } distValue)
            throw Errors.Value(v, path, $"a distribution needs dist = one of {Errors.List(ScenarioSchema.DistributionKinds.Select(k => $"\"{k}\""))}");
        string dist = Choice(distValue, path + ".dist", ScenarioSchema.DistributionKinds);
        var keys = ScenarioSchema.DistributionKeys(dist);
        foreach (var (key, value) in table.Entries)
        {
            if (keys.Contains(key)) continue;
            var all = ScenarioSchema.DistributionKeys("");
            string hint = all.Contains(key) ? "" : Suggest.DidYouMean(key, keys);
            throw Errors.At(value.Origin, $"{path}.{key}: {key} is not a key of {Errors.A(dist)} distribution{hint}; its keys: {Errors.List(keys)}");
        }
        DocValue Given(string key) => table[key]
            ?? throw Errors.Value(v, path, $"{Errors.A(dist)} distribution needs {string.Join(" and ", keys.Skip(1))}; {key} is missing");
        double Param(string key) => read(Given(key), $"{path}.{key}");
        switch (dist)
        {
            case "uniform":
            {
                double min = Param("min"), max = Param("max");
                if (min > max) throw Errors.Value(v, path, $"min ({Show(min, size)}) must not be greater than max ({Show(max, size)})");
                return Core.Scenarios.Distribution.Uniform(min, max);
            }
            case "normal":
                return Core.Scenarios.Distribution.Normal(Param("mean"), Param("stddev"));
            case "lognormal":
            {
                double mean = Param("mean"), stddev = Param("stddev");
                if (mean <= 0) throw Errors.Value(table["mean"]!, $"{path}.mean", "must be larger than 0 (a log-normal quantity is positive)");
                return Core.Scenarios.Distribution.LogNormal(mean, stddev);
            }
            case "choice":
            {
                var valuesDoc = Given("values");
                var values = Items(valuesDoc, $"{path}.values").Select(item => read(item, $"{path}.values")).ToList();
                if (values.Count == 0) throw Errors.Value(valuesDoc, $"{path}.values", $"must list at least one value, e.g. [{example}]");
                List<double> weights;
                if (table["weights"] is { } weightsDoc)
                {
                    const string expected = "must be numbers larger than 0, one per value";
                    weights = Items(weightsDoc, $"{path}.weights").Select(item => Number(item, $"{path}.weights", expected) is double w && w > 0
                        ? w : throw Errors.Value(weightsDoc, $"{path}.weights", expected)).ToList();
                    if (weights.Count != values.Count)
                        throw Errors.Value(weightsDoc, $"{path}.weights", $"has {weights.Count} weights for {values.Count} values: give one weight per value");
                }
                else weights = values.Select(_ => 1.0).ToList(); // equally likely
                return Core.Scenarios.Distribution.Choice(values, weights);
            }
            default:
                return Core.Scenarios.Distribution.Exponential(Param("mean"));
        }
    }

    /// <summary>
    /// The items of a list: a TOML array, or on the command line a raw "[a, b]" (TOML) or "a,b".
    /// </summary>
    public static IReadOnlyList<DocValue> Items(DocValue v, string path)
    {
        switch (v)
        {
            case DocArray a:
                return a.Items;
            case DocScalar { Raw: true, Value: string raw }:
            {
                string text = raw.Trim();
                if (text.StartsWith('['))
                    return TomlDocReader.ReadInlineValue(text) is DocArray parsed
                        ? parsed.Items
                        : throw Errors.Value(v, path, "is not a valid TOML array, e.g. [\"0K\", \"3M\"]");
                return text.Length == 0 ? [] : text.Split(',').Select(part => (DocValue)new DocScalar { Origin = v.Origin, Value = part.Trim(), Raw = true }).ToList();
            }
            default:
                throw Errors.Value(v, path, "must be a list in brackets, e.g. [\"0K\", \"3M\"]");
        }
    }

    /// <summary>A list of non-empty strings.</summary>
    public static IReadOnlyList<string> TextList(DocValue v, string path, string expected) =>
        Items(v, path).Select(item => item is DocScalar { Value: string s, IsDate: false } && s.Trim().Length > 0
            ? s.Trim() : throw Errors.Value(v, path, expected)).ToList();

    /// <summary>A share of all requests: "1%" (0 &lt; share ≤ 100 %), as a fraction.</summary>
    public static double Share(DocValue v, string path)
    {
        const string expected = "must be a percentage of all requests, more than 0% and at most 100%, in quotes (e.g. \"1%\" or \"0.5%\")";
        if (v is not DocScalar { Value: string s, IsDate: false }) throw Errors.Value(v, path, expected);
        string t = s.Trim();
        if (!t.EndsWith('%') || !double.TryParse(t[..^1].Trim(), NumberStyles.Float, Inv, out double pct) || !double.IsFinite(pct) || pct <= 0 || pct > 100)
            throw Errors.Value(v, path, expected);
        return pct / 100.0;
    }

    /// <summary>
    /// A path, made absolute: relative to the folder of the file it was written in, or to the
    /// current folder when it came from the command line; a leading ~/ is the home folder.
    /// </summary>
    public static string FilePath(DocValue v, string path)
    {
        string text = Text(v, path).Trim();
        if (text.Length == 0) throw Errors.Value(v, path, "must be a path (in quotes)");
        if (text == "~" || text.StartsWith("~/", StringComparison.Ordinal))
            text = System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), text.Length > 2 ? text[2..] : "");
        string baseDir = v.Origin.IsCommandLine
            ? Directory.GetCurrentDirectory()
            : System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(v.Origin.Source)) ?? Directory.GetCurrentDirectory();
        return System.IO.Path.GetFullPath(text, baseDir);
    }

    private static string Show(double v, bool size) => size ? ScenarioUnits.FormatSizeKb(v) : ScenarioUnits.FormatDurationMs(v);
}
