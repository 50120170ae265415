using Lab.Scenarios.Document;

namespace Lab.Scenarios;

/// <summary>
/// Command-line overrides (key=value) written into the document before validation, so a bad
/// override value is reported like a bad file value, located at "command line".
/// </summary>
internal static class Overrides
{
    /// <summary>"max_requests=5" → ("max_requests", "5"); no '=' is an error.</summary>
    public static (string Key, string Value) Split(string raw)
    {
        int eq = raw.IndexOf('=');
        if (eq < 0)
            throw Errors.At(Origin.CommandLine, $"\"{raw}\" is not an override: write key=value (e.g. max_requests=5 or pool.pm=static)");
        if (raw[..eq].Trim().Length == 0)
            throw Errors.At(Origin.CommandLine, $"\"{raw}\" has no key before '=': write key=value (e.g. max_requests=5)");
        return (raw[..eq].Trim(), raw[(eq + 1)..].Trim());
    }

    public static void Apply(DocTable root, IReadOnlyList<string> overrides)
    {
        foreach (var raw in overrides)
        {
            var (key, text) = Split(raw);
            string path = KeyResolver.Resolve(key, root, raw);
            Set(root, path, text, raw);
        }
    }

    private static void Set(DocTable root, string path, string text, string raw)
    {
        ScenarioException Fail(string message) => Errors.At(Origin.CommandLine, $"{raw}: {message}");
        if (path.StartsWith("php.ini.", StringComparison.Ordinal))
        {
            // one php.ini directive: php.ini.opcache.enable=1 (the name keeps its dots)
            var php = Child(root, "php", Fail);
            var ini = php["ini"] switch
            {
                DocTable t => t,
                null => CreateInline(php, "ini"),
                _ => throw Fail("php.ini is not a table in the scenario file"),
            };
            ini.Set(path["php.ini.".Length..], new DocScalar { Origin = Origin.CommandLine, Value = text, Raw = true });
            return;
        }
        var schemaKey = ScenarioSchema.Find(KeyResolver.Template(path));
        var parts = path.Split('.');

        // A distribution sub-key (request.leak.max): the schema knows request.leak.
        string? subKey = null;
        if (schemaKey is null && ScenarioSchema.Find(KeyResolver.Template(string.Join('.', parts[..^1]))) is { Type: SettingType.SizeDistribution or SettingType.DurationDistribution } dist)
        {
            subKey = parts[^1];
            parts = parts[..^1];
            schemaKey = dist;
        }
        // actions.N.set.<pool key>
        bool inSet = schemaKey is null && parts.Length == 4 && parts[0] == "actions" && parts[2] == "set";

        DocValue value;
        bool tableValued = subKey is null && !inSet && schemaKey?.Type is SettingType.SizeDistribution or SettingType.DurationDistribution
            or SettingType.PoolTable or SettingType.IniTable;
        if (tableValued && text.StartsWith('{'))
        {
            value = TomlDocReader.ReadInlineValue(text)
                    ?? throw Fail("the value is not a valid TOML inline table, e.g. {dist=\"uniform\",min=\"0K\",max=\"8M\"}");
        }
        else if (schemaKey?.Type == SettingType.PoolTable && subKey is null && !inSet)
        {
            throw Fail($"{path} is a table: set its keys one by one ({path}.max_requests=5) or write it whole ({path}={{max_requests=5}})");
        }
        else if (schemaKey?.Type == SettingType.IniTable)
        {
            throw Fail("php.ini is a table: set one directive (php.ini.opcache.enable=1) or write it whole (php.ini={\"opcache.enable\"=1})");
        }
        else
        {
            value = new DocScalar { Origin = Origin.CommandLine, Value = text, Raw = true };
        }

        // Walk to the table holding the key, creating the tables an override needs ([guard], a set).
        DocTable table;
        string last;
        if (parts[0] == "load" && parts.Length == 4 && parts[1] == "phases")
        {
            table = Section(root, "load", "phases", parts[2]);
            last = parts[3];
        }
        else if (parts[0] == "request" && parts.Length == 4 && parts[1] == "kinds")
        {
            table = Section(root, "request", "kinds", parts[2]);
            last = parts[3];
        }
        else if (parts[0] == "actions")
        {
            table = Section(root, null, "actions", parts[1]);
            if (inSet)
            {
                table = table["set"] switch
                {
                    DocTable set => set,
                    null => CreateSet(table),
                    _ => throw Fail($"actions.{parts[1]}.set is not a table in the scenario file"),
                };
            }
            last = parts[^1];
        }
        else
        {
            table = root;
            for (int i = 0; i < parts.Length - 1; i++)
            {
                switch (table[parts[i]])
                {
                    case DocTable t:
                        table = t;
                        break;
                    case null:
                        var created = new DocTable { Origin = Origin.CommandLine };
                        table.Set(parts[i], created);
                        table = created;
                        break;
                    default:
                        throw Fail($"{string.Join('.', parts[..(i + 1)])} is not a table in the scenario file");
                }
            }
            last = parts[^1];
        }
        if (subKey is null)
        {
            table.Set(last, value);
            return;
        }
        if (table[last] is DocTable distTable)
        {
            distTable.Set(subKey, value);
        }
        else if (subKey == "dist")
        {
            var created = new DocTable { Origin = Origin.CommandLine, Inline = true };
            created.Set("dist", value);
            table.Set(last, created);
        }
        else
        {
            string current = table[last]?.Display ?? schemaKey!.Default;
            throw Fail($"{string.Join('.', parts)} is a constant ({current}), not a distribution: override it whole ({last}=8M), " +
                       $"or make it one first ({string.Join('.', parts)}.dist=uniform {string.Join('.', parts)}.min=... {string.Join('.', parts)}.max=...)");
        }
    }

    /// <summary>Phase or action number n (1-based; the resolver has checked it exists).</summary>
    private static DocTable Section(DocTable root, string? parent, string key, string n)
    {
        var holder = parent is null ? root : (DocTable)root[parent]!;
        var array = (DocArray)holder[key]!;
        return array.Items[int.Parse(n, System.Globalization.CultureInfo.InvariantCulture) - 1] as DocTable
               ?? throw Errors.At(array.Origin, $"{(parent is null ? "" : parent + ".")}{key}.{n} is not a table");
    }

    private static DocTable CreateSet(DocTable action) => CreateInline(action, "set");

    private static DocTable CreateInline(DocTable parent, string key)
    {
        var table = new DocTable { Origin = Origin.CommandLine, Inline = true };
        parent.Set(key, table);
        return table;
    }

    /// <summary>A top-level table ([php]), created when the file has none.</summary>
    private static DocTable Child(DocTable root, string key, Func<string, ScenarioException> fail) => root[key] switch
    {
        DocTable t => t,
        null => CreateTable(root, key),
        _ => throw fail($"{key} is not a table in the scenario file"),
    };

    private static DocTable CreateTable(DocTable parent, string key)
    {
        var table = new DocTable { Origin = Origin.CommandLine };
        parent.Set(key, table);
        return table;
    }
}
