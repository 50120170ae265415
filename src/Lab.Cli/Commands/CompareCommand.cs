using Lab.Report;
using Lab.Results;

namespace Lab.Cli.Commands;

/// <summary>
/// ./run.sh compare DIR DIR ... [--out DIR] [--x time|requests] [--plain]: several runs side by
/// side (overlay plots, summaries, the settings that differ), written to --out or to
/// results/compare-&lt;UTC yyyyMMdd-HHmmss&gt;/. Every folder is read and checked before anything
/// is created; the last line printed is report.html's path.
/// </summary>
public static class CompareCommand
{
    public const string Usage = "./run.sh compare DIR DIR ... [--out DIR] [--x time|requests] [--plain]";

    public sealed record CompareArgs(IReadOnlyList<string> Dirs, string? Out, XAxis X, bool Plain);

    /// <param name="args">The arguments after "compare" (a leading "compare" is accepted too), through the lab's one parser.</param>
    public static int Run(string[] args) => Run(CommandLine.LabCommandLine.ArgsOf<CompareArgs>(args.Length > 0 && args[0] == "compare" ? args : ["compare", .. args]));

    public static CompareArgs Bind(IReadOnlyList<string> words, string? outDir, XAxis x, bool plain) =>
        words.Count < 2
            ? throw new LabUsageException($"compare needs at least two results folders (got {words.Count}). Usage: {Usage}")
            : new CompareArgs(words, outDir, x, plain);

    public static int Run(CompareArgs a)
    {
        var (dirs, outDir, x, plain) = (a.Dirs, a.Out, a.X, a.Plain);
        string html = ReportCommand.WithProgress(plain, "compare", progress =>
        {
            // Every input is read (and so checked) first: a missing folder, a folder that is not a
            // run, a corrupt file stops here with its file and line, and nothing is created.
            var runs = new List<RunFolder>(dirs.Count);
            for (int i = 0; i < dirs.Count; i++)
            {
                progress.Report(new ReportProgress(0.4 * i / dirs.Count, $"reading {dirs[i]}"));
                runs.Add(RunFolder.Open(dirs[i]));
            }
            string dir = ResultsDirs.Choose(outDir, "compare", DateTime.UtcNow);
            return CompareReport.Generate(runs, dir, new ReportOptions(x, new ReportCommand.Scaled(progress, 0.4, 1.0)));
        });
        Console.Out.WriteLine(ResultsDirs.Display(html));
        return 0;
    }
}
