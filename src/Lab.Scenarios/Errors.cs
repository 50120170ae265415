using Lab.Scenarios.Document;

namespace Lab.Scenarios;

/// <summary>
/// The messages of bad input, one paragraph each, located first:
/// <c>scenarios/x.toml:12: pool.max_requests = -1: must be 0 (unlimited) or a positive integer.</c>
/// </summary>
internal static class Errors
{
    public static ScenarioException At(Origin origin, string message) =>
        new($"{origin}: {Sentence(message)}", origin.IsCommandLine ? null : origin.Source, origin.Line);

    /// <summary>A bad value: "where: path = value: problem." (a pool file's value: "where: directive = value (path): problem.").</summary>
    public static ScenarioException Value(DocValue value, string path, string problem) =>
        At(value.Origin, value.Directive is { } d ? $"{d} = {value.Display} ({path}): {problem}" : $"{path} = {value.Display}: {problem}");

    /// <summary>Ends with a period (unless it ends with "?" already).</summary>
    public static string Sentence(string s)
    {
        s = s.TrimEnd();
        return s.EndsWith('.') || s.EndsWith('?') ? s : s + ".";
    }

    /// <summary>"[pool]", "the top level", "load.phases.2", "actions.1.set".</summary>
    public static string TableName(string path) => path switch
    {
        "" => "the top level",
        "pool" or "request" or "load" or "recycle" or "php" or "memory" or "guard" => $"[{path}]",
        _ => path,
    };

    public static string List(IEnumerable<string> items) => string.Join(", ", items);

    /// <summary>"a" or "an" before a word.</summary>
    public static string A(string word) =>
        word.Length > 0 && "aeio".Contains(char.ToLowerInvariant(word[0])) || word.StartsWith("un", StringComparison.OrdinalIgnoreCase) && !word.StartsWith("uni", StringComparison.OrdinalIgnoreCase)
            ? "an " + word
            : "a " + word;
}
