using Lab.Cli.Terminal;
using Lab.Report;
using Lab.Results;
using Spectre.Console;

namespace Lab.Cli.Commands;

/// <summary>
/// ./run.sh report DIR [--x time|requests] [--plain]: (re)makes the plots, report.html and
/// report.md of a results folder, also an incomplete one, without running anything again.
/// Prints progress (a bar on a terminal, plain lines otherwise) and, last, report.html's path.
/// </summary>
public static class ReportCommand
{
    public const string Usage = "./run.sh report DIR [--x time|requests] [--plain]";

    /// <param name="args">The arguments after "report" (a leading "report" is accepted too).</param>
    public static int Run(string[] args)
    {
        if (args.Length > 0 && args[0] == "report") args = args[1..];
        string? dir = null;
        var x = XAxis.Time;
        bool plain = false;
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            if (a == "--x" || a.StartsWith("--x=", StringComparison.Ordinal))
                x = ParseX(a == "--x" ? (i + 1 < args.Length ? args[++i] : null) : a["--x=".Length..]);
            else if (a == "--plain") plain = true;
            else if (a.StartsWith('-'))
                throw new LabUsageException($"unknown option '{a}' for report. Usage: {Usage}");
            else if (dir is null) dir = a;
            else throw new LabUsageException($"report takes one results folder, got '{dir}' and '{a}'. Usage: {Usage} (to put runs side by side: ./run.sh compare DIR DIR ...)");
        }
        if (dir is null) throw new LabUsageException($"report needs a results folder. Usage: {Usage}");

        string html = WithProgress(plain, "report", progress =>
        {
            progress.Report(new ReportProgress(0, $"reading {dir}"));
            var run = RunFolder.Open(dir); // a missing, foreign or corrupt folder: ResultsFormatException (exit 2), nothing written
            return RunReport.Generate(run, new ReportOptions(x, new Scaled(progress, 0.1, 1.0)));
        });
        Console.Out.WriteLine(ResultsDirs.Display(html));
        return 0;
    }

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
