using Lab.Report.Output;

namespace Lab.Analysis.Conformance;

/// <summary>
/// conformance.md and conformance.html: one row per rule, one column per engine — php-fpm 8.2 the
/// reference, each lab engine "same" or "differs" and how — then every rule's figures on every
/// engine, where php-src writes the rule, and the scenario that shows it.
/// </summary>
public static class ConformanceReport
{
    public const string Markdown = "conformance.md", Html = "conformance.html";

    public static ReportPage Page(ConformanceOutcome outcome, string? php, DateTime utc)
    {
        var labEngines = outcome.Engines.Where(e => e != ConformanceRunner.Reference).ToList();
        int same = outcome.Results.Count(r => r.Verdicts.Values.All(v => v.Same));
        var page = new ReportPage("Leak Lab — conformance to php-fpm 8.2",
            $"{outcome.Results.Count} rules; engines {string.Join(", ", labEngines)} against php-fpm{(php is null ? "" : " " + php)}; {utc:yyyy-MM-dd HH:mm} UTC");
        page.Para(outcome.AllSame
            ? $"Every rule is the same on {string.Join(" and ", labEngines)} as on the real php-fpm."
            : $"{same} of {outcome.Results.Count} rules are the same on every engine; the others differ as shown.", lead: true);
        page.Para("Each rule runs a short scenario of lab/conformance/ on php-fpm and on each engine (`./run.sh conform`), and compares what the " +
            "results folders show: requests by status, events by kind and cause, the process manager's spawn batches, the status page's counters " +
            "and the log's wordings. Counts the rule decides must be equal; a tolerance is stated where php-fpm itself varies from run to run.", muted: true);

        page.Heading("Rules");
        var header = new List<string> { "rule", "php-fpm" };
        header.AddRange(labEngines);
        var rows = new List<IReadOnlyList<string>>();
        var flagged = new List<int>();
        for (int i = 0; i < outcome.Results.Count; i++)
        {
            var r = outcome.Results[i];
            var row = new List<string> { r.Rule.Id, ReferenceCell(outcome, r) };
            foreach (var e in labEngines)
                row.Add(r.Verdicts.TryGetValue(e, out var v) ? v.Same ? "same" : "differs: " + string.Join("; ", v.Differences) : "not run");
            if (r.Verdicts.Values.Any(v => !v.Same)) flagged.Add(i);
            rows.Add(row);
        }
        page.Table(header, rows, flaggedRows: flagged);

        page.Heading("The rules and their figures");
        foreach (var r in outcome.Results)
        {
            page.Heading(r.Rule.Id, 3);
            page.Para(r.Rule.Rule);
            page.Para($"php-src: {r.Rule.Source}. " + (r.Rule.Scenario == "*"
                ? "Over every scenario of the suite."
                : $"Scenario: lab/conformance/{r.Rule.Scenario}.toml (runs by itself: ./run.sh lab/conformance/{r.Rule.Scenario}.toml engine=php-fpm)."), muted: true);
            if (r.Rule.Measures.Count == 0) continue;
            var h = new List<string> { "figure", "tolerance" };
            h.AddRange(outcome.Engines);
            var figureRows = new List<IReadOnlyList<string>>();
            for (int m = 0; m < r.Rule.Measures.Count; m++)
            {
                var measure = r.Rule.Measures[m];
                var row = new List<string> { measure.Name, measure.Tolerance > 0 ? $"±{ConformanceRunner.Number(measure.Tolerance)}: {measure.Why}" : "equal" };
                foreach (var e in outcome.Engines)
                    row.Add(r.Values.TryGetValue(e, out var values) ? ConformanceRunner.Number(values[m]) : "—");
                figureRows.Add(row);
            }
            page.Table(h, figureRows, numericColumns: Enumerable.Range(2, outcome.Engines.Count));
        }

        var failed = outcome.Runs.Where(run => run.Status != Core.Engines.RunStatus.Complete).ToList();
        if (failed.Count > 0)
        {
            page.Heading("Runs that did not complete");
            page.Bullets(failed.Select(f => $"{f.Scenario} on {f.Engine}: {ConformanceRunner.RunStatusText(f)} ({f.Dir})"));
        }
        return page;
    }

    private static string ReferenceCell(ConformanceOutcome outcome, RuleResult r)
    {
        if (r.Rule.Scenario == "*") return "reference";
        var run = outcome.Runs.First(x => x.Scenario == r.Rule.Scenario && x.Engine == ConformanceRunner.Reference);
        return run.Facts is null ? "did not complete" : "reference";
    }

    /// <summary>Writes conformance.md and conformance.html into dir (each under a temporary name, then renamed); returns the HTML's path.</summary>
    public static string Write(ReportPage page, string dir)
    {
        Directory.CreateDirectory(dir);
        foreach (var (name, text) in new[] { (Markdown, page.Markdown()), (Html, page.Html()) })
        {
            string path = Path.Combine(dir, name), temp = path + ".tmp";
            File.WriteAllText(temp, text);
            File.Move(temp, path, overwrite: true);
        }
        return Path.Combine(dir, Html);
    }
}
