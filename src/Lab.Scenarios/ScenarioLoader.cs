using System.Text.RegularExpressions;
using Lab.Core.Scenarios;
using Lab.Scenarios.Document;

namespace Lab.Scenarios;

/// <summary>A scenario file as `./run.sh list` shows it. A broken file lists with its error as the title.</summary>
public sealed record ScenarioListing(string Name, string Title, string Path, string? Error);

/// <summary>
/// Scenario scripts (TOML) plus command-line overrides → a validated, immutable
/// <see cref="Scenario"/>. Bad input throws a <see cref="ScenarioException"/> with a
/// one-paragraph message located at file:line or "command line".
/// </summary>
public static partial class ScenarioLoader
{
    /// <param name="nameOrPath">A name in <paramref name="scenariosDir"/> (with or without .toml) or a path to a .toml file.</param>
    /// <param name="overrides">Raw command-line overrides, key=value.</param>
    /// <param name="notice">Receives notices that are no error (pool.from's directives the lab leaves out).</param>
    /// <remarks>A scenario about to run: php.root and the scripts the php-fpm engine would serve must exist.</remarks>
    public static Scenario Load(string nameOrPath, IReadOnlyList<string> overrides, string scenariosDir, Action<string>? notice = null)
    {
        var (path, name) = Locate(nameOrPath, scenariosDir);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ScenarioException($"{Display(path)}: cannot read the scenario: {e.Message}", Display(path));
        }
        return Parse(text, Display(path), name, overrides, checkFiles: true, notice);
    }

    /// <param name="text">TOML source.</param>
    /// <param name="sourceName">Shown in errors (a path); relative paths in the file (php.root, pool.from) are relative to its folder.</param>
    /// <param name="name">The scenario's name (Scenario.Name).</param>
    /// <param name="checkFiles">Check that php.root and the scripts exist (a scenario about to run).</param>
    public static Scenario Parse(string text, string sourceName, string name, IReadOnlyList<string> overrides,
        bool checkFiles = false, Action<string>? notice = null)
    {
        var doc = TomlDocReader.Read(text, sourceName);
        Overrides.Apply(doc, overrides);
        var scenario = new ScenarioBuilder(doc, name, checkFiles, notice).Build();
        return OverriddenTitle.Apply(scenario, text, sourceName, name, overrides);
    }

    /// <summary>Every *.toml of the folder, sorted by name; a broken file lists with its error as title.</summary>
    public static IReadOnlyList<ScenarioListing> List(string scenariosDir)
    {
        if (!Directory.Exists(scenariosDir)) return [];
        var list = new List<ScenarioListing>();
        foreach (var path in Directory.GetFiles(scenariosDir, "*.toml").OrderBy(p => Path.GetFileNameWithoutExtension(p), StringComparer.Ordinal))
        {
            string name = Path.GetFileNameWithoutExtension(path);
            try
            {
                var s = Parse(File.ReadAllText(path), Display(path), name, []);
                list.Add(new ScenarioListing(name, s.Title, path, null));
            }
            catch (Exception e) when (e is ScenarioException or IOException)
            {
                list.Add(new ScenarioListing(name, e.Message, path, e.Message));
            }
        }
        return list;
    }

    /// <summary>
    /// An override key ("max_requests", or a whole "max_requests=5") → its dotted path
    /// ("pool.max_requests"). With the scenario's text, phase and action keys resolve against
    /// its phases and actions ("rate" → "load.phases.2.rate" when only phase 2 has a rate).
    /// Throws a <see cref="ScenarioException"/> on an unknown or ambiguous key.
    /// </summary>
    public static string ResolveKey(string key, string? scenarioText = null)
    {
        string? raw = null;
        if (key.Contains('='))
        {
            raw = key;
            key = Overrides.Split(key).Key;
        }
        DocTable? doc = null;
        if (scenarioText is not null)
        {
            try { doc = TomlDocReader.Read(scenarioText, "scenario"); }
            catch (ScenarioException) { doc = null; } // a broken file: resolve against the schema alone
        }
        return KeyResolver.Resolve(key, doc, raw);
    }

    /// <summary>Splits a raw override "key=value" (the value may contain '='); throws when there is no '='.</summary>
    public static (string Key, string Value) SplitOverride(string raw) => Overrides.Split(raw);

    [GeneratedRegex(@"-\d{8}-\d{6}$")]
    private static partial Regex RunStamp();

    private static (string Path, string Name) Locate(string nameOrPath, string scenariosDir)
    {
        bool looksLikePath = nameOrPath.Contains('/') || nameOrPath.Contains(Path.DirectorySeparatorChar)
                             || nameOrPath.EndsWith(".toml", StringComparison.OrdinalIgnoreCase);
        if (File.Exists(nameOrPath) && looksLikePath)
            return (Path.GetFullPath(nameOrPath), NameOf(Path.GetFullPath(nameOrPath)));

        string bare = nameOrPath.EndsWith(".toml", StringComparison.OrdinalIgnoreCase) ? nameOrPath[..^5] : nameOrPath;
        if (!bare.Contains('/') && bare.Length > 0)
        {
            string inDir = Path.Combine(scenariosDir, bare + ".toml");
            if (File.Exists(inDir)) return (Path.GetFullPath(inDir), bare);
        }

        var available = Directory.Exists(scenariosDir)
            ? Directory.GetFiles(scenariosDir, "*.toml").Select(p => Path.GetFileNameWithoutExtension(p)!).Order(StringComparer.Ordinal).ToList()
            : [];
        string hint = Suggest.DidYouMean(Path.GetFileNameWithoutExtension(bare), available);
        string list = available.Count == 0 ? $"there are no scenarios in {Display(scenariosDir)}" : $"available: {Errors.List(available)}";
        string what = looksLikePath ? $"no file {nameOrPath}" : $"no scenario \"{nameOrPath}\" in {Display(scenariosDir)}";
        throw new ScenarioException($"{what}{hint}; {list}.");
    }

    /// <summary>
    /// A scenario file's name: its file name, except a results folder's scenario.toml, which
    /// keeps the name its header comment records (ScenarioWriter writes it), else takes the
    /// run's folder name (results/article-growth-20260101-120000/scenario.toml → article-growth).
    /// </summary>
    private static string NameOf(string fullPath)
    {
        string name = Path.GetFileNameWithoutExtension(fullPath);
        if (name != "scenario") return name;
        if (HeaderName(fullPath) is { Length: > 0 } recorded) return recorded;
        string? folder = Path.GetFileName(Path.GetDirectoryName(fullPath));
        return string.IsNullOrEmpty(folder) ? name : RunStamp().Replace(folder, "");
    }

    /// <summary>The name in ScenarioWriter's first line: # Leak Lab scenario "NAME", resolved: ...</summary>
    private static string? HeaderName(string fullPath)
    {
        try
        {
            using var reader = new StreamReader(fullPath);
            string? first = reader.ReadLine();
            const string prefix = "# Leak Lab scenario \"";
            if (first is null || !first.StartsWith(prefix, StringComparison.Ordinal)) return null;
            int end = first.IndexOf('"', prefix.Length);
            if (end <= prefix.Length) return null;
            string n = first[prefix.Length..end];
            return n.All(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.') ? n : null;
        }
        catch (IOException) { return null; }
    }

    /// <summary>A path as errors show it: relative to the current folder when inside it.</summary>
    private static string Display(string path)
    {
        string full = Path.GetFullPath(path);
        string relative = Path.GetRelativePath(Directory.GetCurrentDirectory(), full);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? full : relative;
    }
}
