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
    public sealed record ImportArgs(string File, TimeSpan Interval, bool IntervalGiven, string? Out, RequestRate? Rate = null);

    public const string Usage = "./run.sh import FILE [--interval 1s] [--requests-per-block N | --rate R] [--out DIR]";

    /// <param name="args">The arguments after "import".</param>
    public static int Run(string[] args)
    {
        var a = Parse(args);
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

        var result = PsLogImport.Write(imported, dir, "./run.sh import " + string.Join(' ', args), options);
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

    public static ImportArgs Parse(string[] args)
    {
        string? file = null, outDir = null;
        TimeSpan interval = TimeSpan.FromSeconds(1);
        bool intervalGiven = false;
        double? perBlock = null, rate = null;
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            string? value = null;
            string name = arg;
            int eq = arg.IndexOf('=');
            if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 0) { name = arg[..eq]; value = arg[(eq + 1)..]; }
            switch (name)
            {
                case "--interval":
                    value ??= i + 1 < args.Length ? args[++i] : throw new LabUsageException("--interval needs a duration, e.g. --interval 1s or --interval 250ms.");
                    interval = ParseInterval(value);
                    intervalGiven = true;
                    break;
                case "--requests-per-block":
                    value ??= i + 1 < args.Length ? args[++i] : throw new LabUsageException("--requests-per-block needs a number: the requests the pool served between two ps snapshots, e.g. --requests-per-block 1.");
                    perBlock = PositiveNumber(value, "--requests-per-block", "the requests the pool served between two ps snapshots, e.g. --requests-per-block 1");
                    break;
                case "--rate":
                    value ??= i + 1 < args.Length ? args[++i] : throw new LabUsageException("--rate needs a number: the requests per second the pool served while the log was taken, e.g. --rate 2.");
                    rate = PositiveNumber(value, "--rate", "the requests per second the pool served while the log was taken, e.g. --rate 2");
                    break;
                case "--out":
                    value ??= i + 1 < args.Length ? args[++i] : throw new LabUsageException("--out needs a folder: --out DIR.");
                    if (value.Length == 0) throw new LabUsageException("--out needs a folder: --out DIR.");
                    outDir = value;
                    break;
                default:
                    if (arg.StartsWith('-') && arg.Length > 1)
                        throw new LabUsageException($"unknown option '{arg}'. Usage: {Usage}");
                    if (file is not null)
                        throw new LabUsageException($"import takes one file (got '{file}' and '{arg}'). Usage: {Usage}");
                    file = arg;
                    break;
            }
        }
        if (file is null)
            throw new LabUsageException($"import needs a file: a log of repeated `ps aux | grep php` outputs pasted from a terminal. Usage: {Usage}");
        if (perBlock is not null && rate is not null)
            throw new LabUsageException("give --requests-per-block or --rate, not both: they say the same thing two ways.");
        return new ImportArgs(file, interval, intervalGiven, outDir, perBlock is not null || rate is not null ? new RequestRate(perBlock, rate) : null);
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
