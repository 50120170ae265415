using Lab.Cli.Terminal;
using Lab.Report;
using Lab.Results;
using Spectre.Console;

namespace Lab.Cli.Commands;

/// <summary>
/// ./run.sh report DIR [--x time|requests] [--memory rss|uss] [--plain]: (re)makes the plots, report.html and
/// report.md of a results folder, also an incomplete one, without running anything again.
/// Prints progress (a bar on a terminal, plain lines otherwise) and, last, report.html's path.
/// </summary>
public static class ReportCommand
{
    public const string Usage = "./run.sh report DIR [--x time|requests] [--memory rss|uss] [--plain]";

    public sealed record ReportArgs(string Dir, XAxis X, bool Plain, ChildMemory Memory = ChildMemory.Rss);

    /// <param name="args">The arguments after "report" (a leading "report" is accepted too), through the lab's one parser.</param>
    public static int Run(string[] args) => Run(CommandLine.LabCommandLine.ArgsOf<ReportArgs>(args.Length > 0 && args[0] == "report" ? args : ["report", .. args]));

    public static ReportArgs Bind(IReadOnlyList<string> words, XAxis x, bool plain, ChildMemory memory = ChildMemory.Rss) => words.Count switch
    {
        0 => throw new LabUsageException($"report needs a results folder. Usage: {Usage}"),
        1 => new ReportArgs(words[0], x, plain, memory),
        _ => throw new LabUsageException($"report takes one results folder, got '{words[0]}' and '{words[1]}'. Usage: {Usage} (to put runs side by side: ./run.sh compare DIR DIR ...)"),
    };

    public static int Run(ReportArgs a)
    {
        var (dir, x, plain) = (a.Dir, a.X, a.Plain);
        string html = WithProgress(plain, "report", progress =>
        {
            progress.Report(new ReportProgress(0, $"reading {dir}"));
            var run = RunFolder.Open(dir); // a missing, foreign or corrupt folder: ResultsFormatException (exit 2), nothing written
            return RunReport.Generate(run, new ReportOptions(x, new Scaled(progress, 0.1, 1.0), a.Memory));
        });
        Console.Out.WriteLine(ResultsDirs.Display(html));
        return 0;
    }

    /// <summary>"rss" or "uss" (what each child's line shows).</summary>
    public static ChildMemory ParseMemory(string? value) => value switch
    {
        "rss" => ChildMemory.Rss,
        "uss" => ChildMemory.Uss,
        null or "" => throw new LabUsageException("--memory needs a value: --memory rss or --memory uss."),
        _ => throw new LabUsageException($"--memory {value}: each child's line is drawn in 'rss' (as ps) or 'uss' (private memory, from smaps_rollup)."),
    };

    /// <summary>"time" or "requests" (the memory plots' x axis).</summary>
    public static XAxis ParseX(string? value) => value switch
    {
        "time" => XAxis.Time,
        "requests" => XAxis.Requests,
        null or "" => throw new LabUsageException("--x needs a value: --x time or --x requests."),
        _ => throw new LabUsageException($"--x {value}: the x axis is 'time' or 'requests' (requests served by the pool)."),
    };

    /// <summary>
    /// Runs work while showing its progress: a Spectre.Console progress bar on an interactive
    /// terminal, else a plain line per step (on stdout, so a log shows them in order). The
    /// caller prints the result's path after.
    /// </summary>
    public static T WithProgress<T>(bool plain, string title, Func<IProgress<ReportProgress>, T> work)
    {
        if (!Interactive.Wanted(plain))
        {
            string? lastStep = null;
            return work(new OnReport<ReportProgress>(p =>
            {
                if (p.Step == lastStep) return;
                lastStep = p.Step;
                Console.Out.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{title}: {p.Step} ({p.Fraction * 100:0}%)"));
            }));
        }
        return AnsiConsole.Progress()
            .AutoClear(true)
            .HideCompleted(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(title), maxValue: 1.0);
                var result = work(new OnReport<ReportProgress>(p =>
                {
                    task.Description = Markup.Escape($"{title}: {p.Step}");
                    task.Value = Math.Clamp(p.Fraction, 0, 1);
                }));
                task.Value = 1.0;
                return result;
            });
    }

    /// <summary>Maps a part's 0..1 onto [from, to] of the whole.</summary>
    internal sealed class Scaled(IProgress<ReportProgress> whole, double from, double to) : IProgress<ReportProgress>
    {
        public void Report(ReportProgress value) => whole.Report(value with { Fraction = from + (to - from) * Math.Clamp(value.Fraction, 0, 1) });
    }
}
