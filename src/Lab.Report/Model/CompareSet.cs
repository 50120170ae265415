using ScottPlot;

namespace Lab.Report.Model;

/// <summary>One run of a compare: its model, its colour (the same in every plot and table), its label, its settings.</summary>
/// <param name="Short">The label without what all runs share (the scenario, the engine): "max_requests=5".</param>
internal sealed record ComparedRun(RunModel Model, Color Color, string ColorHex, string Label, string Short, IReadOnlyDictionary<string, Setting> Settings);

/// <summary>
/// The runs of a compare, each with a colour and a label that says what sets it apart: the
/// scenario, the settings that differ between the runs ("max_requests=5"), and the engine.
/// </summary>
internal sealed class CompareSet
{
    /// <summary>A label names at most this many differing settings (then "+N more").</summary>
    public const int MaxLabelSettings = 3;

    public IReadOnlyList<ComparedRun> Runs { get; }
    /// <summary>Setting keys whose values differ between the runs (or that some runs lack), in table order.</summary>
    public IReadOnlyList<string> DifferingKeys { get; }
    /// <summary>Every setting key of any run, in table order.</summary>
    public IReadOnlyList<string> AllKeys { get; }
    public bool EnginesDiffer { get; }

    public CompareSet(IReadOnlyList<RunModel> models)
    {
        var settings = models.Select(m =>
        {
            var list = m.Scenario is { } sc ? RunSettings.Of(sc, m.Engine) : [new Setting("engine", m.Engine), new Setting("seed", m.Seed.ToString(Fmt.Inv))];
            return list.ToDictionary(s => s.Key);
        }).ToList();
        // One order that keeps each run's own (a sim run's memory.* before the guard.* every run has).
        var keys = CompareReport.MergeInOrder(settings.Select(d => d.Keys.ToList()).ToList());
        AllKeys = keys;
        DifferingKeys = keys.Where(k => Differs(settings, k)).ToList();
        EnginesDiffer = models.Select(m => m.Engine).Distinct().Count() > 1;
        bool namesDiffer = models.Select(m => m.Name).Distinct().Count() > 1;

        var labels = new List<string>();
        for (int i = 0; i < models.Count; i++)
        {
            var m = models[i];
            var parts = new List<string> { m.Name };
            var differ = DifferingKeys.Where(k => k != "engine" && settings[i].ContainsKey(k))
                .OrderBy(Priority).ToList();
            // Runs of different scenarios are told apart by their names; their settings mostly all differ.
            if (!namesDiffer || differ.Count <= MaxLabelSettings)
            {
                parts.AddRange(differ.Take(MaxLabelSettings).Select(k => LabelPart(settings[i][k])));
                if (differ.Count > MaxLabelSettings) parts.Add($"+{differ.Count - MaxLabelSettings} more");
            }
            labels.Add(string.Join(' ', parts) + $" ({m.Engine})");
        }
        // Runs alike in every setting (the same scenario twice): number them.
        for (int i = 0; i < labels.Count; i++)
            if (labels.Count(l => l == labels[i]) > 1)
            {
                string same = labels[i];
                int n = 1;
                for (int j = 0; j < labels.Count; j++) if (labels[j] == same) labels[j] = $"{same} #{n++}";
            }

        // Short labels: without the scenario's name and the engine when every run shares them.
        var shorts = labels.ToList();
        if (!namesDiffer && !EnginesDiffer)
        {
            string prefix = models[0].Name + " ", suffix = $" ({models[0].Engine})";
            shorts = labels.Select(l =>
            {
                string t = l.StartsWith(prefix, StringComparison.Ordinal) ? l[prefix.Length..] : l;
                t = t.Replace(suffix, "", StringComparison.Ordinal).Trim();
                return t.Length == 0 ? l : t;
            }).ToList();
        }
        var hex = Plotting.PlotKit.DistinctHex(models.Count); // every run its own colour, however many
        Runs = models.Select((m, i) => new ComparedRun(m, Color.FromHex(hex[i]), hex[i], labels[i], shorts[i], settings[i])).ToList();
    }

    /// <summary>
    /// A setting differs when the runs give it different values, or some runs lack it (a phase
    /// more, a dynamic pool's spare servers) — except the simulator's memory model: only sim runs
    /// have it, so a real run's lack of it is no difference (nor a label, nor a highlight).
    /// </summary>
    private static bool Differs(IReadOnlyList<Dictionary<string, Setting>> settings, string key)
    {
        var values = RunSettings.IsSimOnly(key)
            ? settings.Where(d => d.ContainsKey(key)).Select(d => d[key].Value)
            : settings.Select(d => d.TryGetValue(key, out var s) ? s.Value : null);
        return values.Distinct().Count() > 1;
    }

    /// <summary>The pool's directives first (what a compare is usually about), then the request, the load, the rest.</summary>
    private static int Priority(string key) =>
        key.StartsWith("pool.", StringComparison.Ordinal) ? 0
        : key.StartsWith("request.", StringComparison.Ordinal) ? 1
        : key.StartsWith("load.", StringComparison.Ordinal) || key.StartsWith("actions.", StringComparison.Ordinal) ? 2
        : key is "seed" or "duration" ? 3 : 4;

    /// <summary>"max_requests=5"; a phase or an action by what it does: "at 30s: restart".</summary>
    private static string LabelPart(Setting s)
    {
        if (s.Key.StartsWith("actions.", StringComparison.Ordinal) || s.Key.StartsWith("load.phases.", StringComparison.Ordinal))
        {
            int p = s.Value.IndexOf(" (", StringComparison.Ordinal);
            return p > 0 ? s.Value[..p] : s.Value;
        }
        return $"{s.Leaf}={Short(s.Value)}";
    }

    /// <summary>
    /// What the compare is about, for titles: "article-max-requests: max_requests = 0 vs 5 vs 50"
    /// when one setting tells the runs apart, else the scenarios' names.
    /// </summary>
    public string Title
    {
        get
        {
            var names = Runs.Select(r => r.Model.Name).Distinct().ToList();
            string engines = EnginesDiffer ? $" (engines {string.Join(", ", Runs.Select(r => r.Model.Engine).Distinct())})" : $" (engine {Runs[0].Model.Engine})";
            var keys = DifferingKeys.Where(k => k != "engine").ToList();
            if (names.Count == 1 && keys.Count == 1 && Runs.All(r => r.Settings.ContainsKey(keys[0])))
            {
                var leaf = Runs[0].Settings[keys[0]].Leaf;
                return $"{names[0]}: {leaf} = {string.Join(" vs ", Runs.Select(r => Short(r.Settings[keys[0]].Value)))}{engines}";
            }
            if (names.Count == 1)
                return $"{names[0]}: {Fmt.Count(Runs.Count, "run", "runs")} compared{engines}";
            return string.Join(" vs ", names) + engines;
        }
    }

    /// <summary>A value without its explanation: "0 (unlimited)" → "0".</summary>
    private static string Short(string value)
    {
        int p = value.IndexOf(" (", StringComparison.Ordinal);
        string v = p > 0 ? value[..p] : value;
        return v.Contains(' ') ? $"\"{v}\"" : v;
    }
}
