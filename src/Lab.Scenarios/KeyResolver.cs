using System.Globalization;
using System.Text.RegularExpressions;
using Lab.Scenarios.Document;

namespace Lab.Scenarios;

/// <summary>
/// Override keys → dotted paths. A leaf resolves when exactly one setting has that name
/// (max_requests → pool.max_requests; rate → load.phases.2.rate when only phase 2 takes a
/// rate); a dotted key may be a full path or any unambiguous tail of one (leak.max →
/// request.leak.max). Phases and actions are numbered from 1. php-fpm's own spellings work
/// too: pm.max_requests, listen.backlog.
/// </summary>
internal static partial class KeyResolver
{
    private static readonly string[] DistributionSubKeys = ["dist", "min", "max", "mean", "stddev", "values", "weights"];

    [GeneratedRegex(@"^load\.phases\.(\d+)\.([^.]+)$")]
    private static partial Regex PhaseKey();

    [GeneratedRegex(@"^actions\.(\d+)\.([^.]+)$")]
    private static partial Regex ActionKey();

    [GeneratedRegex(@"^actions\.(\d+)\.set\.([^.]+)$")]
    private static partial Regex SetKey();

    [GeneratedRegex(@"^request\.kinds\.(\d+)\.([^.]+)$")]
    private static partial Regex KindKey();

    /// <param name="doc">The scenario the override applies to (its phases and actions), or null.</param>
    /// <param name="raw">The whole override as typed (for messages), or null.</param>
    public static string Resolve(string key, DocTable? doc, string? raw = null)
    {
        string where = raw is null ? $"\"{key}\"" : raw;
        ScenarioException Fail(string message) => Errors.At(Origin.CommandLine, $"{where}: {message}");

        string k = Normalize(key.Trim());
        if (k.Length == 0) throw Fail("the key is empty: write key=value (e.g. max_requests=5)");

        var phases = Sections(doc, "load", "phases", "phase");
        var actions = Sections(doc, null, "actions", "action");
        var kinds = Sections(doc, "request", "kinds", null);

        // php.ini.<directive>: any php.ini name (checked with the scenario)
        if (k.StartsWith("php.ini.", StringComparison.Ordinal) && k.Length > "php.ini.".Length) return k;

        if (SetKey().Match(k) is { Success: true } set)
        {
            int n = Index(set.Groups[1].Value, actions, "actions", "action", Fail);
            string leaf = set.Groups[2].Value;
            var poolKeys = ScenarioSchema.KeysOf("pool").Select(p => p.Leaf).ToList();
            if (!poolKeys.Contains(leaf))
                throw Fail($"unknown key \"{leaf}\" in a reload's set{Suggest.DidYouMean(leaf, poolKeys)}; keys of [pool]: {Errors.List(poolKeys)}");
            if (actions is not null && actions[n - 1] is { } kind && kind != "reload")
                throw Fail($"actions.{n} is {Errors.A(kind)} action; set belongs to reload actions only");
            return $"actions.{n}.set.{leaf}";
        }
        foreach (var (regex, sections, table, noun) in new[]
                 {
                     (PhaseKey(), phases, ScenarioSchema.Phases, "load phase"),
                     (ActionKey(), actions, ScenarioSchema.Actions, "action"),
                     (KindKey(), kinds, ScenarioSchema.Kinds, "request kind"),
                 })
        {
            if (regex.Match(k) is not { Success: true } m) continue;
            string prefix = table[..^2];
            int n = Index(m.Groups[1].Value, sections, prefix, noun, Fail);
            string leaf = m.Groups[2].Value;
            var keys = ScenarioSchema.KeysOf(table).ToList();
            var schemaKey = keys.FirstOrDefault(x => x.Leaf == leaf);
            if (schemaKey is null)
                throw Fail($"unknown key \"{leaf}\" in {prefix}.{n}{Suggest.DidYouMean(leaf, keys.Select(x => x.Leaf))}; keys of a {noun}: {Errors.List(keys.Select(x => x.Leaf))}");
            if (sections is not null && sections[n - 1] is { } kind && !schemaKey.AppliesTo(kind))
                throw Fail($"{prefix}.{n} is {Errors.A(kind)} {noun}, and {leaf} does not apply to it; its keys: {Errors.List(keys.Where(x => x.AppliesTo(kind)).Select(x => x.Leaf))}");
            return $"{prefix}.{n}.{leaf}";
        }
        bool numbered = k.StartsWith("load.phases.", StringComparison.Ordinal) || k.StartsWith("actions.", StringComparison.Ordinal)
                        || k.StartsWith("request.kinds.", StringComparison.Ordinal);
        if (numbered && !Candidates(phases, actions, kinds).Contains(k))
            throw Fail($"phases, actions and request kinds are numbered from 1: write load.phases.1.rate=..., actions.1.at=..., actions.1.set.max_requests=..., request.kinds.1.leak=...");
        if (k is "load.phases" or "actions" or "request.kinds")
            throw Fail($"{k} is a list of tables: set one key of one of them, e.g. {(k == "actions" ? "actions.1.at=20s" : k == "request.kinds" ? "request.kinds.1.leak=50M" : "load.phases.1.rate=5")}");
        if (k is "pool" or "request" or "load" or "recycle" or "php" or "memory" or "guard")
            throw Fail($"[{k}] is a table: set one of its keys, e.g. {ScenarioSchema.KeysOf(k).First().Path}=...");

        var candidates = Candidates(phases, actions, kinds);
        var exact = candidates.Where(c => c == k).ToList();
        var matches = exact.Count > 0 ? exact : candidates.Where(c => c.EndsWith("." + k, StringComparison.Ordinal)).ToList();
        if (matches.Count == 1) return matches[0];
        // [recycle]'s rules are the lab's, not php-fpm's: a leaf it shares with another table
        // (max_rss: [guard]'s since the first round) keeps its old meaning; recycle.max_rss says the rule
        if (matches.Count > 1 && matches.Where(c => !c.StartsWith("recycle.", StringComparison.Ordinal)).ToList() is [var older])
            return older;
        string value = raw is not null && raw.Contains('=') ? raw[(raw.IndexOf('=') + 1)..] : "...";
        if (matches.Count > 1)
            throw Fail($"\"{key.Trim()}\" is ambiguous: it names {Errors.List(matches)}; write one of them (e.g. {matches[0]}={value})");

        // Nothing matched: a phase or action key without its number, or an unknown key.
        string last = k[(k.LastIndexOf('.') + 1)..];
        foreach (var (table, sections, noun, plural) in new[] { (ScenarioSchema.Phases, phases, "load phase", "load.phases"), (ScenarioSchema.Actions, actions, "action", "actions"), (ScenarioSchema.Kinds, kinds, "request kind", "request.kinds") })
        {
            if (k.Contains('.') || !ScenarioSchema.KeysOf(table).Any(x => x.Leaf == last)) continue;
            if (sections is null)
                throw Fail($"{last} is a key of a {noun}: name which one, numbered from 1 (e.g. {plural}.1.{last}={value})");
            if (sections.Count == 0)
                throw Fail($"{last} is a key of a {noun}, and the scenario has none");
            throw Fail($"no {noun} of this scenario takes {last} ({Errors.List(sections.Select((kind, i) => $"{plural}.{i + 1} is {Errors.A(kind ?? "unknown")} {noun}"))})");
        }

        var leaves = ScenarioSchema.Keys.Select(x => x.Leaf).Distinct().ToList();
        string? suggestion = k.Contains('.')
            ? Suggest.Closest(k, candidates) ?? Suggest.Closest(last, leaves)
            : Suggest.Closest(k, leaves) ?? Suggest.Closest(k, candidates);
        string hint = "";
        string tableOfHint = k.Contains('.') ? k[..k.LastIndexOf('.')] : "";
        if (suggestion is not null)
        {
            var full = suggestion.Contains('.') ? suggestion : candidates.FirstOrDefault(c => c == suggestion || c.EndsWith("." + suggestion, StringComparison.Ordinal));
            hint = full is null || full == suggestion ? $" (did you mean {suggestion}?)" : $" (did you mean {suggestion}, that is {full}?)";
            var schemaKey = ScenarioSchema.Keys.FirstOrDefault(x => x.Path == Template(full ?? suggestion) || x.Leaf == suggestion);
            tableOfHint = schemaKey?.Table ?? tableOfHint;
        }
        string keysOf = ScenarioSchema.Tables.Contains(tableOfHint) && tableOfHint != ""
            ? $"keys of {Errors.TableName(tableOfHint)}: {Errors.List(ScenarioSchema.KeysOf(tableOfHint).Select(x => x.Leaf))}"
            : $"top-level keys: {Errors.List(ScenarioSchema.KeysOf("").Select(x => x.Leaf))}; tables: [pool], [request], [[request.kinds]], [load], [[load.phases]], [[actions]], [php], [memory], [guard] (all keys: scenarios/README.md)";
        throw Fail($"unknown key \"{key.Trim()}\"{hint}; {keysOf}");
    }

    /// <summary>php-fpm's spellings → the lab's: pm.max_children → pool.max_children, listen.backlog → pool.listen_backlog.</summary>
    private static string Normalize(string k)
    {
        if (k.StartsWith("pool.pm.", StringComparison.Ordinal)) k = "pool." + k["pool.pm.".Length..];
        else if (k.StartsWith("pm.", StringComparison.Ordinal) && k.Length > 3) k = "pool." + k[3..];
        if (k == "listen.backlog" || k == "pool.listen.backlog") k = "pool.listen_backlog";
        if (SetPrefix(k) is { } prefix)
        {
            string rest = k[prefix.Length..];
            if (rest.StartsWith("pm.", StringComparison.Ordinal)) rest = rest[3..];
            if (rest == "listen.backlog") rest = "listen_backlog";
            k = prefix + rest;
        }
        return k;
    }

    private static string? SetPrefix(string k)
    {
        var parts = k.Split('.');
        return parts.Length >= 4 && parts[0] == "actions" && parts[2] == "set" ? $"actions.{parts[1]}.set." : null;
    }

    /// <summary>"load.phases.3.rate" → "load.phases.N.rate".</summary>
    internal static string Template(string path)
    {
        var parts = path.Split('.');
        if (parts.Length >= 3 && parts[0] == "load" && parts[1] == "phases") parts[2] = "N";
        else if (parts.Length >= 3 && parts[0] == "request" && parts[1] == "kinds") parts[2] = "N";
        else if (parts.Length >= 2 && parts[0] == "actions") parts[1] = "N";
        return string.Join('.', parts);
    }

    private static int Index(string text, IReadOnlyList<string?>? sections, string prefix, string noun, Func<string, ScenarioException> fail)
    {
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1)
            throw fail($"{prefix} are numbered from 1");
        if (sections is not null && n > sections.Count)
            throw fail(sections.Count == 0
                ? $"the scenario has no {noun}, so there is no {prefix}.{n}"
                : $"the scenario has {sections.Count} {noun}{(sections.Count == 1 ? "" : "s")}, so there is no {prefix}.{n}");
        return n;
    }

    /// <summary>
    /// The kinds of the phases or actions of the document (null kind: missing or unknown; every
    /// entry null for request kinds, which have no kind of their own); null without a document.
    /// </summary>
    private static IReadOnlyList<string?>? Sections(DocTable? doc, string? parent, string key, string? kindKey)
    {
        if (doc is null) return null;
        var table = parent is null ? doc : doc[parent] as DocTable;
        if (table?[key] is not DocArray array) return [];
        if (kindKey is null) return array.Items.Select(_ => (string?)null).ToList();
        var kinds = ScenarioSchema.Keys.First(x => x.Leaf == kindKey && x.Choices.Count > 0).Choices;
        return array.Items.Select(item =>
            item is DocTable t && t[kindKey] is DocScalar { Value: string s }
                ? kinds.FirstOrDefault(c => string.Equals(c, s.Trim(), StringComparison.OrdinalIgnoreCase))
                : null).ToList();
    }

    /// <summary>Every path an override may name, phases, actions and request kinds numbered as in the document.</summary>
    private static List<string> Candidates(IReadOnlyList<string?>? phases, IReadOnlyList<string?>? actions, IReadOnlyList<string?>? kinds)
    {
        var list = new List<string>();
        foreach (var key in ScenarioSchema.Keys)
        {
            if (key.Table is ScenarioSchema.Phases or ScenarioSchema.Actions or ScenarioSchema.Kinds) continue;
            list.Add(key.Path);
            if (key.Type is SettingType.SizeDistribution or SettingType.DurationDistribution)
                list.AddRange(DistributionSubKeys.Select(s => $"{key.Path}.{s}"));
        }
        foreach (var (sections, table, prefix) in new[] { (phases, ScenarioSchema.Phases, "load.phases"), (actions, ScenarioSchema.Actions, "actions"), (kinds, ScenarioSchema.Kinds, "request.kinds") })
        {
            if (sections is null) continue;
            for (int i = 0; i < sections.Count; i++)
                foreach (var key in ScenarioSchema.KeysOf(table))
                {
                    if (key.Type == SettingType.PoolTable || (sections[i] is not null && !key.AppliesTo(sections[i]!))) continue;
                    list.Add($"{prefix}.{i + 1}.{key.Leaf}");
                    if (key.Type is SettingType.SizeDistribution or SettingType.DurationDistribution)
                        list.AddRange(DistributionSubKeys.Select(s => $"{prefix}.{i + 1}.{key.Leaf}.{s}"));
                }
        }
        return list;
    }
}
