using System.Text;
using Lab.Core.Scenarios;
using Lab.Scenarios;

namespace Lab.Analysis.Sweeps;

/// <summary>Bad sweep input (no swept key, an empty value, a key swept twice): the CLI prints it and exits 2, nothing written.</summary>
public sealed class SweepException(string message) : Exception(message);

/// <summary>One swept key: as typed (max_requests), its resolved path (pool.max_requests) and its values in the order given.</summary>
public sealed record SweepAxis(string Key, string Path, IReadOnlyList<string> Values);

/// <summary>
/// One cell of the grid: its settings (one value per swept key, in the axes' order), every
/// override it runs with (the plain ones, then its settings), the scenario they resolve to, and
/// the name of its run folder inside the sweep's folder ("max_requests=5", "max_requests=5,pm=static").
/// </summary>
public sealed record SweepCell(int Index, IReadOnlyList<KeyValuePair<string, string>> Settings, IReadOnlyList<string> Overrides,
    Scenario Scenario, string Folder)
{
    /// <summary>"max_requests=5 pm=static".</summary>
    public string Label => string.Join(' ', Settings.Select(s => $"{s.Key}={s.Value}"));

    public string ValueOf(string key) => Settings.First(s => s.Key == key).Value;
}

/// <summary>
/// A sweep: a scenario, the swept keys (key=v1,v2,...), the plain overrides every cell shares
/// (key=value), and the grid of cells — every combination of the swept values. Made by
/// <see cref="Create"/>, which checks everything before anything runs: the scenario, every key
/// (unknown or ambiguous keys get the scenario loader's "did you mean"), and every cell's
/// scenario with its values applied. The engine is the simulator unless an override names one.
/// </summary>
public sealed record SweepPlan(string ScenarioArg, string ScenarioName, string Title, IReadOnlyList<SweepAxis> Axes,
    IReadOnlyList<string> Overrides, IReadOnlyList<SweepCell> Cells)
{
    public const string Usage = "./run.sh sweep <scenario> key=v1,v2,... [key2=v1,v2,...] [key=value ...] [--out DIR] [--jobs N] [--plain] [--yes]";

    /// <summary>Does any cell run on a real engine (then cells run one at a time: runs side by side would disturb each other's measurements)?</summary>
    public bool AnyReal => Cells.Any(c => c.Scenario.Engine != EngineKind.Sim);

    /// <param name="scenario">A scenario name in scenariosDir or a path to a .toml.</param>
    /// <param name="keyValues">The sweep's key=value arguments: a value with a comma is swept, any other is a plain override.</param>
    /// <exception cref="SweepException">No swept key, an empty value, a duplicate key or value.</exception>
    /// <exception cref="ScenarioException">An unknown scenario, key or value (from the scenario loader, with its "did you mean").</exception>
    public static SweepPlan Create(string scenario, IReadOnlyList<string> keyValues, string scenariosDir)
    {
        var swept = new List<(string Raw, string Key, IReadOnlyList<string> Values)>();
        var plain = new List<string>();
        foreach (var raw in keyValues)
        {
            var (key, value) = ScenarioLoader.SplitOverride(raw);
            if (value.Length == 0)
                throw new SweepException($"{raw}: no value. A swept key takes a list of values, key=v1,v2,... (e.g. max_requests=0,5,50); a plain override one value (key=value).");
            // A TOML inline table ({dist="uniform",min=...}) holds commas of its own: it is one value.
            if (!value.Contains(',') || value.StartsWith('{'))
            {
                plain.Add(raw);
                continue;
            }
            var values = value.Split(',').Select(v => v.Trim()).ToList();
            if (values.Any(v => v.Length == 0))
                throw new SweepException($"{raw}: an empty value in the list. Write the values separated by commas, without an empty one: {key}={string.Join(',', values.Where(v => v.Length > 0).DefaultIfEmpty("v1"))}.");
            var twice = values.GroupBy(v => v, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
            if (twice is not null)
                throw new SweepException($"{raw}: the value {twice.Key} is listed twice; each value of a swept key is one cell of the grid.");
            swept.Add((raw, key, values));
        }
        if (swept.Count == 0)
            throw new SweepException(keyValues.Count == 0
                ? $"sweep needs at least one key with a list of values, e.g. max_requests=0,5,50. Usage: {Usage}"
                : $"sweep needs at least one key with a list of values (key=v1,v2,...); {string.Join(' ', keyValues)} {(keyValues.Count == 1 ? "is a plain override" : "are plain overrides")}. Usage: {Usage}");

        // The scenario and the plain overrides first: an unknown scenario or a bad override stops here.
        string text = ScenarioText(scenario, scenariosDir);
        var pathOf = new Dictionary<string, string>(StringComparer.Ordinal); // resolved path → the argument that set it
        var axes = new List<SweepAxis>();
        foreach (var (raw, key, values) in swept)
        {
            string path = ScenarioLoader.ResolveKey(raw, text);
            if (pathOf.TryGetValue(path, out var earlier))
                throw new SweepException($"{raw}: {path} is swept twice (also by {earlier}); give each key one list of values.");
            pathOf[path] = raw;
            axes.Add(new SweepAxis(key, path, values));
        }
        bool engineSet = false;
        foreach (var raw in plain)
        {
            string path = ScenarioLoader.ResolveKey(raw, text);
            if (pathOf.TryGetValue(path, out var sweptBy) && axes.Any(a => a.Path == path))
                throw new SweepException($"{raw}: {path} is also swept ({sweptBy}); a key is either swept (a list) or set (one value), not both.");
            if (path == "engine") engineSet = true;
        }
        engineSet |= axes.Any(a => a.Path == "engine");
        var overrides = new List<string>();
        if (!engineSet) overrides.Add("engine=sim"); // a sweep runs on the simulator unless told otherwise
        overrides.AddRange(plain);
        var baseScenario = ScenarioLoader.Load(scenario, overrides, scenariosDir);

        // Every cell, checked now: a bad value (max_requests=-1) stops the sweep before anything runs.
        var cells = new List<SweepCell>();
        var folders = new HashSet<string>(StringComparer.Ordinal);
        foreach (var combo in Combinations(axes))
        {
            var settings = axes.Select((a, i) => new KeyValuePair<string, string>(a.Key, combo[i])).ToList();
            var cellOverrides = overrides.Concat(settings.Select(s => $"{s.Key}={s.Value}")).ToList();
            string label = string.Join(' ', settings.Select(s => $"{s.Key}={s.Value}"));
            Scenario cellScenario;
            try
            {
                cellScenario = ScenarioLoader.Load(scenario, cellOverrides, scenariosDir);
            }
            catch (ScenarioException e)
            {
                throw new ScenarioException($"{e.Message} (in the sweep's cell {label})", e.File, e.Line);
            }
            string folder = FolderName(settings);
            for (int n = 2; !folders.Add(folder); n++) folder = FolderName(settings) + "-" + n;
            cells.Add(new SweepCell(cells.Count, settings, cellOverrides, cellScenario, folder));
        }
        return new SweepPlan(scenario, baseScenario.Name, baseScenario.Title, axes, overrides, cells);
    }

    /// <summary>Every combination of the axes' values, the first axis varying slowest.</summary>
    private static IEnumerable<string[]> Combinations(IReadOnlyList<SweepAxis> axes)
    {
        var index = new int[axes.Count];
        while (true)
        {
            yield return axes.Select((a, i) => a.Values[index[i]]).ToArray();
            int k = axes.Count - 1;
            while (k >= 0 && ++index[k] == axes[k].Values.Count) { index[k] = 0; k--; }
            if (k < 0) yield break;
        }
    }

    /// <summary>"max_requests=5,pm=static": the settings, with anything but letters, digits and . _ - + = , replaced by '_'.</summary>
    public static string FolderName(IEnumerable<KeyValuePair<string, string>> settings)
    {
        var b = new StringBuilder();
        foreach (var (k, v) in settings)
        {
            if (b.Length > 0) b.Append(',');
            foreach (char c in $"{k}={v}") b.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '+' or '=' ? c : '_');
        }
        string name = b.ToString();
        return name.Length > 120 ? name[..120] : name;
    }

    /// <summary>The scenario file's text (to resolve phase and action keys against it); ScenarioLoader reports a missing one.</summary>
    private static string ScenarioText(string nameOrPath, string scenariosDir)
    {
        // Load reports an unknown scenario with its "did you mean" and the list of scenarios.
        ScenarioLoader.Load(nameOrPath, ["engine=sim"], scenariosDir);
        string bare = nameOrPath.EndsWith(".toml", StringComparison.OrdinalIgnoreCase) ? nameOrPath[..^5] : nameOrPath;
        bool looksLikePath = nameOrPath.Contains('/') || nameOrPath.EndsWith(".toml", StringComparison.OrdinalIgnoreCase);
        string path = looksLikePath && File.Exists(nameOrPath) ? nameOrPath : Path.Combine(scenariosDir, bare + ".toml");
        return File.ReadAllText(path);
    }
}
