using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace Lab.Scenarios.Document;

/// <summary>
/// TOML text → <see cref="DocTable"/>, through Tomlyn's lossless syntax tree so that every
/// key keeps its line. A broken file is reported with Tomlyn's own diagnostic and its line.
/// </summary>
internal static class TomlDocReader
{
    public static DocTable Read(string text, string sourceName)
    {
        var syntax = SyntaxParser.Parse(text, sourceName, true);
        if (syntax.HasErrors)
        {
            var error = syntax.Diagnostics.First(d => d.Kind == DiagnosticMessageKind.Error);
            int line = error.Span.Start.Line + 1;
            string message = error.Message.TrimEnd('.');
            throw new ScenarioException(
                $"{sourceName}:{line}: this is not valid TOML: {message} (column {error.Span.Start.Column + 1}).", sourceName, line);
        }

        var root = new DocTable { Origin = new(sourceName, null) };
        foreach (var kv in syntax.KeyValues) AddKeyValue(root, kv, sourceName);
        foreach (var table in syntax.Tables)
        {
            var origin = new Origin(sourceName, table.Span.Start.Line + 1);
            var path = Segments(table.Name!);
            var parent = root;
            for (int i = 0; i < path.Count - 1; i++) parent = Descend(parent, path[i], origin);
            string last = path[^1];
            DocTable target;
            if (table is TableArraySyntax)
            {
                if (parent[last] is not DocArray array)
                {
                    array = new DocArray { Origin = origin };
                    parent.Set(last, array);
                }
                target = new DocTable { Origin = origin };
                array.Items.Add(target);
            }
            else if (parent[last] is DocTable existing)
            {
                target = existing; // [a] after [a.b] had defined a implicitly
            }
            else
            {
                target = new DocTable { Origin = origin };
                parent.Set(last, target);
            }
            foreach (var kv in table.Items) AddKeyValue(target, kv, sourceName);
        }
        NormalizePoolSpellings(root);
        return root;
    }

    /// <summary>Parses the value of an override written as TOML (an inline table: leak={dist="uniform",...}).</summary>
    public static DocValue? ReadInlineValue(string raw)
    {
        var syntax = SyntaxParser.Parse("value = " + raw + "\n", Origin.CommandLineSource, true);
        if (syntax.HasErrors || syntax.KeyValues.ChildrenCount != 1) return null;
        var value = Convert(syntax.KeyValues.GetChild(0)!.Value!, Origin.CommandLine);
        if (value is DocTable t) NormalizePoolSpelling(t);
        return value;
    }

    /// <summary>php-fpm's spelling listen.backlog (a dotted TOML key, or quoted) is pool.listen_backlog.</summary>
    private static void NormalizePoolSpellings(DocTable root)
    {
        if (root["pool"] is DocTable pool) NormalizePoolSpelling(pool);
        if (root["actions"] is DocArray actions)
            foreach (var a in actions.Items)
                if (a is DocTable at && at["set"] is DocTable set) NormalizePoolSpelling(set);
    }

    internal static void NormalizePoolSpelling(DocTable pool)
    {
        if (pool["listen.backlog"] is not null && !pool.Contains("listen_backlog")) pool.Rename("listen.backlog", "listen_backlog");
        if (pool["listen"] is DocTable listen && listen.Entries.Count == 1 && listen["backlog"] is { } backlog && !pool.Contains("listen_backlog"))
        {
            pool.Rename("listen", "listen_backlog");
            pool.Set("listen_backlog", backlog);
        }
    }

    private static void AddKeyValue(DocTable table, KeyValueSyntax kv, string sourceName)
    {
        var origin = new Origin(sourceName, kv.Span.Start.Line + 1);
        var path = Segments(kv.Key!);
        var parent = table;
        for (int i = 0; i < path.Count - 1; i++) parent = Descend(parent, path[i], origin);
        parent.Set(path[^1], Convert(kv.Value!, origin));
    }

    private static DocTable Descend(DocTable parent, string key, Origin origin)
    {
        switch (parent[key])
        {
            case DocTable t:
                return t;
            case DocArray { Items.Count: > 0 } a when a.Items[^1] is DocTable last:
                return last; // [a.b] after [[a]]: the last element of a
            case null:
                var created = new DocTable { Origin = origin };
                parent.Set(key, created);
                return created;
            default:
                // Tomlyn's semantic validation rejects this before; kept as a clear error regardless.
                throw new ScenarioException($"{origin}: {key} is already a value and cannot also be a table.", origin.Source, origin.Line);
        }
    }

    private static List<string> Segments(KeySyntax key)
    {
        var segments = new List<string> { Name(key.Key!) };
        foreach (var dotted in key.DotKeys) segments.Add(Name(dotted.Key!));
        return segments;
    }

    private static string Name(BareKeyOrStringValueSyntax key) => key switch
    {
        BareKeySyntax bare => bare.Key!.Text!,
        StringValueSyntax quoted => quoted.Value!,
        _ => key.ToString()!.Trim(),
    };

    private static DocValue Convert(ValueSyntax value, Origin origin)
    {
        switch (value)
        {
            case StringValueSyntax s:
                return new DocScalar { Origin = origin, Value = s.Value ?? "" };
            case IntegerValueSyntax i:
                return new DocScalar { Origin = origin, Value = i.Value };
            case FloatValueSyntax f:
                return new DocScalar { Origin = origin, Value = f.Value };
            case BooleanValueSyntax b:
                return new DocScalar { Origin = origin, Value = b.Value };
            case InlineTableSyntax inline:
            {
                var table = new DocTable { Origin = origin, Inline = true };
                foreach (var item in inline.Items)
                {
                    var kv = item.KeyValue!;
                    var itemOrigin = origin.IsCommandLine ? origin : new Origin(origin.Source, kv.Span.Start.Line + 1);
                    var path = Segments(kv.Key!);
                    var parent = table;
                    for (int i = 0; i < path.Count - 1; i++) parent = Descend(parent, path[i], itemOrigin);
                    parent.Set(path[^1], Convert(kv.Value!, itemOrigin));
                }
                return table;
            }
            case ArraySyntax array:
            {
                var result = new DocArray { Origin = origin };
                foreach (var item in array.Items)
                {
                    var itemOrigin = origin.IsCommandLine ? origin : new Origin(origin.Source, item.Span.Start.Line + 1);
                    result.Items.Add(Convert(item.Value!, itemOrigin));
                }
                return result;
            }
            default:
                return new DocScalar { Origin = origin, Value = value.ToString()!.Trim(), IsDate = true };
        }
    }
}
