using System.Globalization;
using System.Text.RegularExpressions;

namespace Lab.PhpFpm;

/// <summary>
/// php-fpm's log lines as the lab keeps them. Inside its PID namespace php-fpm logs namespace
/// pids ("fpm is running, pid 1", "[pool www] child 2 started", and at debug level the prefix
/// "pid 1, fpm_children_make(), line 468: "); the lab writes them with the pids /proc, ps.log
/// and samples.csv show, as php-fpm would have logged them outside a namespace. A child's own
/// words (what it "said into stderr", in quotes) are left as they are.
/// </summary>
public static partial class PhpFpmLog
{
    /// <summary>The line with every pid php-fpm put in it mapped (a pid the map does not know, 0, stays as written).</summary>
    public static string ToHostPids(string line, Func<int, int> map)
    {
        // the child's own output, quoted at the end, is not php-fpm's: leave it alone
        int said = line.IndexOf(" said into ", StringComparison.Ordinal);
        string head = said < 0 ? line : line[..said];
        string tail = said < 0 ? "" : line[said..];
        head = PidRx().Replace(head, m =>
        {
            int logged = int.Parse(m.Groups["pid"].Value, CultureInfo.InvariantCulture);
            int host = map(logged);
            return host > 0 ? m.Groups["before"].Value + host.ToString(CultureInfo.InvariantCulture) : m.Value;
        });
        return head + tail;
    }

    /// <summary>
    /// At log_level debug php-fpm writes the lines it relays from a child's stderr with an empty
    /// function, "pid 1, (null)(), line 0: [pool www] child 3 said into stderr: ...". That empty
    /// prefix is dropped (php-fpm itself writes none below debug), so the line reads like every
    /// other php-fpm line.
    /// </summary>
    public static string DropEmptyFunction(string line) => NullFunctionRx().Replace(line, "$1", 1);

    /// <summary>The pid of a "child N started" line, else 0.</summary>
    public static int StartedChild(string line) =>
        StartedRx().Match(line) is { Success: true } m ? int.Parse(m.Groups["pid"].Value, CultureInfo.InvariantCulture) : 0;

    // "pid 1, func(), line N: " (debug prefix), "fpm is running, pid 1", "child 2 ..." (started, exited, killed, script ...)
    [GeneratedRegex(@"(?<before>(?:\] [A-Z]+: pid |fpm is running, pid |\] child ))(?<pid>\d+)")]
    private static partial Regex PidRx();

    [GeneratedRegex(@"^(\[[^\]]+\] [A-Z]+: )pid \d+, \(null\)\(\), line \d+: ")]
    private static partial Regex NullFunctionRx();

    [GeneratedRegex(@"\] child (?<pid>\d+) started$")]
    private static partial Regex StartedRx();
}
