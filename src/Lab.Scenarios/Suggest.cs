namespace Lab.Scenarios;

/// <summary>"Did you mean": the closest candidate by Damerau-Levenshtein distance (optimal string alignment).</summary>
public static class Suggest
{
    /// <summary>The closest candidate to <paramref name="input"/>, or null when none is close enough.</summary>
    public static string? Closest(string input, IEnumerable<string> candidates)
    {
        string needle = input.ToLowerInvariant();
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            int d = Distance(needle, candidate.ToLowerInvariant());
            if (d < bestDistance)
            {
                best = candidate;
                bestDistance = d;
            }
        }
        if (best is not null && bestDistance <= Tolerance(needle.Length)) return best;

        // A prefix or a part of a longer name ("request_terminate" for request_terminate_timeout).
        if (needle.Length >= 4)
            foreach (var candidate in candidates)
                if (candidate.Contains(needle, StringComparison.OrdinalIgnoreCase)) return candidate;
        return null;
    }

    /// <summary>" (did you mean X?)", or "" when there is no suggestion.</summary>
    public static string DidYouMean(string input, IEnumerable<string> candidates, Func<string, string>? show = null)
    {
        var s = Closest(input, candidates);
        return s is null ? "" : $" (did you mean {(show ?? (x => x))(s)}?)";
    }

    // Typos allowed: none in a single letter (any letter is one edit from any other), 1 in short
    // words, 2 up to 6 letters, 3 beyond.
    private static int Tolerance(int length) => length <= 1 ? 0 : length <= 3 ? 1 : length <= 6 ? 2 : 3;

    /// <summary>Edits (insert, delete, substitute, swap of neighbours) between a and b.</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
        for (int j = 1; j <= b.Length; j++)
        {
            int cost = a[i - 1] == b[j - 1] ? 0 : 1;
            int v = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                v = Math.Min(v, d[i - 2, j - 2] + 1);
            d[i, j] = v;
        }
        return d[a.Length, b.Length];
    }
}
