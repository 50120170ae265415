using Lab.Core.Scenarios;
using Lab.Scenarios.Document;

namespace Lab.Scenarios;

/// <summary>
/// A scenario's title and description are written for its own settings ("pm.max_requests = 5");
/// a run that overrides them says so: the title ends "(overridden: max_requests 1, rate 20)" and
/// the description notes the same, so no title or caption shows a setting the run did not use.
/// Overrides of how the run is measured or driven — the engine, the seed, the sample interval,
/// the memory guard, the log level — are shown beside the title already and are not listed; nor
/// is an override that changes nothing.
/// </summary>
internal static class OverriddenTitle
{
    private const string MarkText = " (overridden: ";

    private static bool Listed(string path) =>
        path is not ("engine" or "seed" or "title" or "description" or "sample_interval" or "pss_interval" or "log_level" or "front")
        && !path.StartsWith("guard.", StringComparison.Ordinal);

    /// <summary>The scenario with its title and description saying which overrides changed it.</summary>
    public static Scenario Apply(Scenario resolved, string text, string sourceName, string name, IReadOnlyList<string> overrides)
    {
        if (overrides.Count == 0) return resolved;
        var doc = TomlDocReader.Read(text, sourceName);
        string full = ScenarioWriter.ToToml(resolved);
        var said = new List<string>();
        bool titleGiven = false, descriptionGiven = false;
        for (int i = 0; i < overrides.Count; i++)
        {
            var (key, value) = Overrides.Split(overrides[i]);
            string path = KeyResolver.Resolve(key, doc, overrides[i]);
            titleGiven |= path == "title";
            descriptionGiven |= path == "description";
            if (!Listed(path)) continue;
            // changed something: without it, the scenario differs (or does not even build: it was needed)
            var others = overrides.Where((_, j) => j != i).ToList();
            bool changed;
            try
            {
                var without = TomlDocReader.Read(text, sourceName);
                Overrides.Apply(without, others);
                changed = ScenarioWriter.ToToml(new ScenarioBuilder(without, name).Build()) != full;
            }
            catch (ScenarioException) { changed = true; }
            if (changed) said.Add($"{key} {value}");
        }
        if (said.Count == 0) return resolved;
        // a title (or description) given on the command line is the user's own: left as given
        return resolved with
        {
            Title = titleGiven ? resolved.Title : Mark(resolved.Title, said),
            Description = descriptionGiven ? resolved.Description : Note(resolved.Description, said),
        };
    }

    /// <summary>"Title (overridden: a 1, b 2)"; a title already marked (a rerun of a results folder's scenario.toml) gets the new ones added.</summary>
    private static string Mark(string title, List<string> said)
    {
        int at = title.LastIndexOf(MarkText, StringComparison.Ordinal);
        if (at >= 0 && title.EndsWith(')'))
            return title[..at] + MarkText + Merge(title[(at + MarkText.Length)..^1], said) + ")";
        return title + MarkText + string.Join(", ", said) + ")";
    }

    private const string NoteText = " (This run overrides ", NoteEnd = ": where the text above names another value, the run used these.)";

    /// <summary>The description with the note; a description already noted (a rerun of a results folder's scenario.toml) gets the new ones added to its note.</summary>
    private static string Note(string description, List<string> said)
    {
        if (description.Length == 0) return description;
        string text = description.TrimEnd();
        int at = text.LastIndexOf(NoteText, StringComparison.Ordinal);
        if (at >= 0 && text.EndsWith(NoteEnd, StringComparison.Ordinal))
            return text[..at] + NoteText + Merge(text[(at + NoteText.Length)..^NoteEnd.Length], said) + NoteEnd;
        return text + NoteText + string.Join(", ", said) + NoteEnd;
    }

    /// <summary>"a 1, b 2" with the new overrides: a key given again takes its new value, at the end.</summary>
    private static string Merge(string listed, List<string> said)
    {
        var before = listed.Split(", ").ToList();
        var keys = said.Select(s => s[..s.IndexOf(' ')]).ToHashSet();
        before.RemoveAll(b => b.IndexOf(' ') is int sp and > 0 && keys.Contains(b[..sp]));
        return string.Join(", ", before.Concat(said));
    }
}
