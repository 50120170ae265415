using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Lab.Testing;

/// <summary>
/// One run's child counts as each place shows them — the terminal's summary, summary.json, the
/// rss-per-pid plot (its "N child PIDs" and the exit markers' legend) and report.md — compared:
/// children spawned, recycled by pm.max_requests, exits by cause, child PIDs. Returns what
/// disagrees (empty when everything agrees).
/// </summary>
public static class CountAgreement
{
    public static IReadOnlyList<string> Check(string dir, string terminal)
    {
        var problems = new List<string>();
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
        var r = doc.RootElement;
        long spawned = r.GetProperty("children_spawned").GetInt64();
        long recycles = r.GetProperty("recycles").GetInt64();
        long pids = r.GetProperty("child_pids").GetInt64();
        var exits = r.GetProperty("child_exits").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64());
        if (exits.GetValueOrDefault("max_requests") != recycles) problems.Add($"summary.json: recycles {recycles} but child_exits.max_requests {exits.GetValueOrDefault("max_requests")}");

        // the terminal: "children  9 child PIDs: 9 spawned, 8 recycled by pm.max_requests; exits: max_requests 8, shutdown 1"
        var t = Regex.Match(terminal, @"children\s+([\d,]+) child PIDs?: ([\d,]+) spawned, ([\d,]+) recycled by pm\.max_requests(?:; exits: ([^\n]*))?");
        if (!t.Success) problems.Add("the terminal has no children line");
        else
        {
            Same("terminal child PIDs", N(t.Groups[1].Value), pids);
            Same("terminal spawned", N(t.Groups[2].Value), spawned);
            Same("terminal recycled", N(t.Groups[3].Value), recycles);
            var shown = Exits(t.Groups[4].Value);
            if (!SameMap(shown, exits)) problems.Add($"terminal exits {Show(shown)} but summary.json {Show(exits)}");
        }

        // the plot: its subtitle's child PIDs, its legend's exits by kind
        string svg = File.ReadAllText(Path.Combine(dir, "rss-per-pid.svg"));
        var p = Regex.Match(svg, @"([\d,]+) child PIDs?");
        if (!p.Success) problems.Add("rss-per-pid.svg names no child PIDs");
        else Same("plot child PIDs", N(p.Groups[1].Value), pids);
        // past 40 child PIDs the plot draws their distribution, not one line and exit marker per PID
        bool perPid = !svg.Contains("their distribution", StringComparison.Ordinal);
        foreach (var (kind, label) in perPid ? Legend : [])
        {
            long expected = exits.Where(e => KindOf(e.Key) == kind).Sum(e => e.Value);
            var m = Regex.Match(svg, Regex.Escape(label) + @" \((\d+)\)");
            long drawn = m.Success ? N(m.Groups[1].Value) : 0;
            Same($"plot legend \"{label}\"", drawn, expected);
        }

        // report.md's key figures
        string md = File.ReadAllText(Path.Combine(dir, "report.md")).Replace("\\_", "_"); // markdown escapes underscores
        var k = Regex.Match(md, @"\| children \| ([\d,]+) child PIDs?: ([\d,]+) spawned, ([\d,]+) recycled by pm\.max_requests");
        if (!k.Success) problems.Add("report.md has no children row");
        else
        {
            Same("report child PIDs", N(k.Groups[1].Value), pids);
            Same("report spawned", N(k.Groups[2].Value), spawned);
            Same("report recycled", N(k.Groups[3].Value), recycles);
        }
        var ex = Regex.Match(md, @"\| child exits \| ([^|\n]*) \|");
        if (!ex.Success) problems.Add("report.md has no child exits row");
        else if (!SameMap(Exits(ex.Groups[1].Value.Trim() == "none" ? "" : ex.Groups[1].Value), exits))
            problems.Add($"report.md exits {ex.Groups[1].Value} but summary.json {Show(exits)}");
        return problems;

        void Same(string what, long shown, long expected)
        {
            if (shown != expected) problems.Add($"{what}: {shown}, summary.json: {expected}");
        }
    }

    private static readonly (string Kind, string Label)[] Legend =
    [
        ("recycled", "exit: pm.max_requests reached"),
        ("killed", "exit: killed, crashed or timed out"),
        ("idle", "exit: idle, ended by the process manager"),
        ("gone", "gone, cause unknown"),
        ("ended", "exit: restart, reload or end of run"),
    ];

    /// <summary>The plot's marker kinds, as the report's legend groups exits.</summary>
    private static string KindOf(string why) => why switch
    {
        "max_requests" => "recycled",
        "idle" => "idle",
        "shutdown" or "restart" or "reload" => "ended",
        "gone" or "recycled" or "unknown" => "gone",
        _ => "killed",
    };

    private static long N(string s) => long.Parse(s.Replace(",", ""), CultureInfo.InvariantCulture);

    private static Dictionary<string, long> Exits(string text)
    {
        var d = new Dictionary<string, long>();
        foreach (Match m in Regex.Matches(text, @"([\w\-]+) ([\d,]+)")) d[m.Groups[1].Value] = N(m.Groups[2].Value);
        return d;
    }

    private static bool SameMap(Dictionary<string, long> a, Dictionary<string, long> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);

    private static string Show(Dictionary<string, long> d) => "{" + string.Join(", ", d.Select(kv => $"{kv.Key} {kv.Value}")) + "}";
}
