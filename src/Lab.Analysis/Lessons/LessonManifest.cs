using Tomlyn;
using Tomlyn.Model;

namespace Lab.Analysis.Lessons;

/// <summary>A broken lessons manifest or lesson (named file and what is wrong).</summary>
public sealed class LessonException(string message) : Exception(message);

/// <summary>
/// One step of the lessons: a command as a lesson shows it (the words after ./run.sh; "@id"
/// stands for the folder an earlier step wrote, "@id/sub" for a folder inside it), and the
/// plots it produces that the lessons show, copied to figures/ under stable names.
/// </summary>
/// <param name="Figures">Plot file in the step's folder (e.g. "rss-per-pid.png", "compare/largest-child.png") → file name in figures/.</param>
public sealed record LessonStep(int Lesson, string Id, IReadOnlyList<string> Words, IReadOnlyList<KeyValuePair<string, string>> Figures)
{
    /// <summary>The command's first word when it is one of the lab's commands, else "run".</summary>
    public string Kind => Words[0] is "sweep" or "advise" or "import" or "report" or "compare" ? Words[0] : "run";

    public string CommandLine => "./run.sh " + string.Join(' ', Words);

    /// <summary>Does the step write a folder of its own (everything but report, which rewrites the plots of a run)?</summary>
    public bool WritesFolder => Kind != "report";
}

/// <summary>
/// lab/lessons/lessons.toml: the steps `./run.sh lessons` runs, in order, to rebuild every
/// lesson's figures. Every run and sweep names engine=sim, so every reader gets the same
/// figures; every figure is a PNG file name unique across the manifest.
/// <code>
/// [[step]]
/// lesson = 1
/// id = "growth"
/// command = "article-growth engine=sim"
/// figures = { "rss-per-pid.png" = "01-growth-rss-per-pid.png" }
/// </code>
/// </summary>
public sealed record LessonManifest(string Path, IReadOnlyList<LessonStep> Steps)
{
    public const string FileName = "lessons.toml";
    public const string FiguresFolder = "figures";

    public static LessonManifest Read(string path)
    {
        if (!File.Exists(path)) throw new LessonException($"{path}: no lessons manifest (the steps that rebuild the lessons' figures).");
        TomlTable root;
        try
        {
            root = TomlSerializer.Deserialize<TomlTable>(File.ReadAllText(path)) ?? new TomlTable();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new LessonException($"{path}: not valid TOML: {e.Message}");
        }
        if (!root.TryGetValue("step", out var stepsValue) || stepsValue is not TomlTableArray steps || steps.Count == 0)
            throw new LessonException($"{path}: no [[step]]: each step is a table with lesson, id, command and figures.");

        var list = new List<LessonStep>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var figureNames = new HashSet<string>(StringComparer.Ordinal);
        int n = 0;
        foreach (TomlTable t in steps)
        {
            n++;
            string where = $"{path}: step {n}";
            int lesson = t.TryGetValue("lesson", out var l) && l is long lv and >= 1 ? (int)lv : throw new LessonException($"{where}: lesson = N (1 or more) is missing.");
            string id = t.TryGetValue("id", out var i) && i is string iv && iv.Length > 0 && iv.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
                ? iv : throw new LessonException($"{where}: id = \"name\" (letters, digits, - and _) is missing.");
            if (!ids.Add(id)) throw new LessonException($"{where}: the id \"{id}\" is used twice.");
            string command = t.TryGetValue("command", out var c) && c is string cv && cv.Trim().Length > 0
                ? cv.Trim() : throw new LessonException($"{where} ({id}): command = \"...\" (the words after ./run.sh) is missing.");
            var words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var step = new LessonStep(lesson, id, words, Figures(t, where, id, figureNames));
            foreach (var w in words.Where(w => w.StartsWith('@')))
            {
                string refId = w[1..].Split('/')[0];
                if (!ids.Contains(refId) || refId == id)
                    throw new LessonException($"{where} ({id}): {w} refers to no earlier step (steps run in order; ids so far: {string.Join(", ", ids.Where(x => x != id))}).");
            }
            if (step.Kind == "report" && (words.Length < 2 || !words[1].StartsWith('@')))
                throw new LessonException($"{where} ({id}): report rewrites the plots of an earlier step's run: its first argument is @id (e.g. report @growth --x requests).");
            if (step.Kind is "run" or "sweep" && !words.Contains("engine=sim"))
                throw new LessonException($"{where} ({id}): \"{command}\" must run on the simulator (engine=sim), so every reader gets the same figures.");
            list.Add(step);
        }
        return new LessonManifest(path, list);
    }

    private static IReadOnlyList<KeyValuePair<string, string>> Figures(TomlTable t, string where, string id, HashSet<string> seen)
    {
        var figures = new List<KeyValuePair<string, string>>();
        if (!t.TryGetValue("figures", out var f)) return figures;
        if (f is not TomlTable table) throw new LessonException($"{where} ({id}): figures = {{ \"plot.png\" = \"NN-name.png\" }} is not a table.");
        foreach (var (from, toValue) in table)
        {
            if (toValue is not string to || !to.EndsWith(".png", StringComparison.Ordinal) || to.Contains('/') || !from.EndsWith(".png", StringComparison.Ordinal))
                throw new LessonException($"{where} ({id}): figures: \"{from}\" = ... must map a PNG of the step's folder to a PNG file name in figures/.");
            if (!seen.Add(to)) throw new LessonException($"{where} ({id}): the figure {to} is made twice.");
            figures.Add(new(from, to));
        }
        return figures;
    }
}
