using System.Globalization;
using Lab.Import;
using Lab.Import.Following;
using Lab.Report;
using Lab.Results;
using Lab.Scenarios;

namespace Lab.Cli.Commands;

/// <summary>
/// ./run.sh import FILE [--interval 1s] [--requests-per-block N | --rate R] [--out DIR]: a pasted log of repeated `ps aux | grep php`
/// (or `ps -o pid,rss,vsz,cmd`) outputs becomes a results folder — samples.csv with the PIDs
/// followed across blocks, events.csv with the recycles detected, summary.json with the fitted
/// leak per observation — and its report. Bad input (missing or empty file, no ps output, no
/// php-fpm process) is a LabUsageException (exit 2), before anything is created.
/// </summary>
public static class ImportCommand
{
    /// <summary>The command's arguments, after the word "import".</summary>
    public sealed record ImportArgs(string File, TimeSpan Interval, bool IntervalGiven, string? Out, RequestRate? Rate = null)
    {
        /// <summary>The arguments as the manifest records them.</summary>
        public string CommandLine => string.Join(' ', new[] { File }
            .Concat(IntervalGiven ? ["--interval", Interval.TotalSeconds.ToString(CultureInfo.InvariantCulture) + "s"] : [])
            .Concat(Rate?.RequestsPerBlock is { } n ? ["--requests-per-block", n.ToString(CultureInfo.InvariantCulture)] : [])
            .Concat(Rate?.RateRps is { } r ? ["--rate", r.ToString(CultureInfo.InvariantCulture)] : [])
            .Concat(Out is null ? [] : ["--out", Out]));
    }

    public const string Usage = "./run.sh import FILE [--interval 1s] [--requests-per-block N | --rate R] [--out DIR]";

    public static int Run(ImportArgs a)
    {
        var options = new ImportOptions { Interval = a.Interval, Rate = a.Rate ?? RequestRate.Unknown };
        ImportedLog imported;
        try
        {
            imported = PsLogImport.Read(a.File, options);
        }
        catch (ImportException e)
        {
            throw new LabUsageException(e.Message);
        }
        string dir = ResultsDirs.Choose(a.Out, imported.Name, DateTime.UtcNow);

        var result = PsLogImport.Write(imported, dir, "./run.sh import " + a.CommandLine, options);
        var o = Console.Out;
        foreach (var line in PsLogImport.SummaryLines(result)) o.WriteLine(line);
        if (a.IntervalGiven && imported.Log.TimeSource != TimeSource.Interval)
            o.WriteLine("  note      --interval was not used: the log's own timestamps give the times");

        // The report: the last line printed is its path (the folder's, if the report fails).
        string last;
        try
        {
            last = RunReport.Generate(RunFolder.Open(result.Directory), new ReportOptions());
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Console.Error.WriteLine($"error: the report could not be made: {e.Message}");
            o.WriteLine(ResultsDirs.Display(result.Directory));
            return 1;
        }
        o.WriteLine(ResultsDirs.Display(last));
        return 0;
    }

    public static ImportArgs Parse(string[] args) => Lab.Cli.CommandLine.LabCommandLine.ArgsOf<ImportArgs>(["import", .. args]);

    /// <param name="interval">--interval's value; null when not given.</param>
    public static ImportArgs Bind(IReadOnlyList<string> words, string? interval, string? outDir, string? requestsPerBlock = null, string? rate = null)
    {
        if (words.Count == 0)
            throw new LabUsageException($"import needs a file: a log of repeated `ps aux | grep php` outputs pasted from a terminal. Usage: {Usage}");
        if (words.Count > 1)
            throw new LabUsageException($"import takes one file (got '{words[0]}' and '{words[1]}'). Usage: {Usage}");
        if (interval is { Length: 0 }) throw new LabUsageException("--interval needs a duration, e.g. --interval 1s or --interval 250ms.");
        double? perBlock = requestsPerBlock is null ? null : PositiveNumber(requestsPerBlock, "--requests-per-block", "the requests the pool served between two snapshots of the log, e.g. --requests-per-block 1");
        double? perSecond = rate is null ? null : PositiveNumber(rate, "--rate", "the requests per second the pool served while the log was taken, e.g. --rate 2");
        if (perBlock is not null && perSecond is not null)
            throw new LabUsageException("give --requests-per-block or --rate, not both: they say the same thing two ways.");
        return new ImportArgs(words[0], interval is null ? TimeSpan.FromSeconds(1) : ParseInterval(interval), interval is not null, outDir,
            perBlock is not null || perSecond is not null ? new RequestRate(perBlock, perSecond) : null);
    }

    private static double PositiveNumber(string text, string option, string what)
    {
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) && v > 0 && v < 1e9) return v;
        throw new LabUsageException($"{option} {text}: give {what} (a number above 0).");
    }

    /// <summary>"1s", "250ms", "1m30s" (the scenario files' durations), or a number of seconds.</summary>
    private static TimeSpan ParseInterval(string text)
    {
        TimeSpan? t = double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) && double.IsFinite(seconds) && seconds < 1e9
            ? TimeSpan.FromSeconds(seconds)
            : ScenarioUnits.ParseDuration(text, out _);
        if (t is not { } interval || interval <= TimeSpan.Zero)
            throw new LabUsageException($"--interval {text}: give the time between two ps outputs, a positive duration such as 1s, 250ms or 2m.");
        return interval;
    }
}
