using System.Text.RegularExpressions;

namespace Lab.Import.Parsing;

/// <summary>What a ps COMMAND says about a process.</summary>
public enum FpmKind
{
    /// <summary>Not a php-fpm process (an editor, `php artisan`, a shell ...): ignored and counted.</summary>
    NotFpm,
    /// <summary>The `grep php` of the pipeline itself: dropped.</summary>
    Grep,
    Master,
    Child,
    /// <summary>A php-fpm process whose title was cut before its role, or shown without one (`ps -o comm`).</summary>
    FpmUnknownRole,
}

/// <summary>
/// The rule that tells php-fpm's processes apart by their COMMAND, as ps shows php-fpm's process
/// titles (php-src sapi/fpm sets them: "php-fpm: master process (CONF)", "php-fpm: pool NAME"):
/// <list type="bullet">
/// <item>the name is <c>php-fpm</c>, <c>php-fpm8.2</c> (Debian's binary), <c>php8.2-fpm</c> (its service
/// name) or <c>lab-fpm</c> (the lab's dotnet engine titles its processes like php-fpm), optionally
/// with a directory (<c>/usr/sbin/php-fpm8.2</c>) when ps shows the binary rather than the title;</item>
/// <item><c>NAME: m…</c> is the master: what follows ": " is a prefix of "master process (…)", however
/// short ("php-fpm: m", "php-fpm: master proce" — terminals cut long lines);</item>
/// <item><c>NAME: p…</c> is a pool child, the same way ("php-fpm: p", "php-fpm: pool w");</item>
/// <item>the name alone or cut right after it ("php-fpm8.2", "php-fpm:", "php-fpm: ") is php-fpm of
/// unknown role (the parser then asks STAT or PPID);</item>
/// <item>a command whose program is grep/egrep/fgrep is the pipeline's own grep;</item>
/// <item>anything else is not php-fpm.</item>
/// </list>
/// </summary>
public static partial class FpmCommand
{
    [GeneratedRegex(@"^(?:php-fpm(?:\d+(?:\.\d+)*)?|php\d+(?:\.\d+)*-fpm|lab-fpm)$")]
    private static partial Regex FpmName();

    public static FpmKind Classify(string command)
    {
        string c = command.Trim();
        if (c.Length == 0) return FpmKind.NotFpm;
        int end = 0;
        while (end < c.Length && c[end] != ' ' && c[end] != ':') end++;
        string program = c[..end];
        int slash = program.LastIndexOf('/');
        string name = slash >= 0 ? program[(slash + 1)..] : program;
        if (name is "grep" or "egrep" or "fgrep") return FpmKind.Grep;
        if (!FpmName().IsMatch(name)) return FpmKind.NotFpm;
        if (end == c.Length || c[end] == ' ') return FpmKind.FpmUnknownRole; // the binary, maybe with arguments: no title
        // c[end] == ':' — a process title "NAME: ROLE ...".
        string title = c[(end + 1)..].TrimStart();
        if (title.Length == 0) return FpmKind.FpmUnknownRole;
        if (IsPrefixOrStartsWith(title, "master")) return FpmKind.Master;
        if (IsPrefixOrStartsWith(title, "pool")) return FpmKind.Child;
        return FpmKind.NotFpm;
    }

    /// <summary>True when text is a non-empty prefix of word (a title cut mid-word) or starts with it.</summary>
    private static bool IsPrefixOrStartsWith(string text, string word) =>
        text.Length < word.Length ? word.StartsWith(text, StringComparison.Ordinal) : text.StartsWith(word, StringComparison.Ordinal);

    /// <summary>True for names of the lab's own dotnet engine (lab-fpm).</summary>
    public static bool IsLabFpm(string command) => command.TrimStart().StartsWith("lab-fpm", StringComparison.Ordinal);
}
