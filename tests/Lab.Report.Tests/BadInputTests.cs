using Lab.Cli;
using Lab.Cli.Commands;
using Lab.Results;

namespace Lab.Report.Tests;

/// <summary>
/// ./run.sh report and ./run.sh compare on bad input: a clear error naming the folder or
/// file:line (the CLI maps it to exit code 2) and nothing written. The commands' source is
/// compiled into this test project (see the csproj), so they are tested without the rest of the CLI.
/// </summary>
[Collection(nameof(ConsoleCollection))]
public class BadInputTests
{
    private static (string Out, Exception? Error) Capture(Func<int> command)
    {
        var old = Console.Out;
        var w = new StringWriter();
        Console.SetOut(w);
        try
        {
            command();
            return (w.ToString(), null);
        }
        catch (Exception e) when (e is LabUsageException or ResultsFormatException or IOException)
        {
            return (w.ToString(), e);
        }
        finally
        {
            Console.SetOut(old);
        }
    }

    private static RunFolder GoodRun(TempDir tmp, string name = "good") =>
        TestRuns.Synthetic(tmp.Sub(name), children: 2, ticks: 4, concurrent: 1);

    [Fact]
    public void Compare_of_a_missing_folder_names_it_and_creates_nothing()
    {
        using var tmp = new TempDir();
        var good = GoodRun(tmp);
        string missing = tmp.Sub("no-such-run"), outDir = tmp.Sub("out");
        var (_, e) = Capture(() => CompareCommand.Run(["compare", good.Directory, missing, "--out", outDir, "--plain"]));
        var f = Assert.IsType<ResultsFormatException>(e);
        Assert.Equal(missing, f.File);
        Assert.Contains("no such results folder", f.Message);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void Compare_of_a_folder_that_is_not_a_run_says_so_and_creates_nothing()
    {
        using var tmp = new TempDir();
        var good = GoodRun(tmp);
        string notRun = tmp.Sub("photos"), outDir = tmp.Sub("out");
        Directory.CreateDirectory(notRun);
        File.WriteAllText(Path.Combine(notRun, "cat.jpg"), "meow");
        var (_, e) = Capture(() => CompareCommand.Run(["compare", notRun, good.Directory, "--out", outDir, "--plain"]));
        var f = Assert.IsType<ResultsFormatException>(e);
        Assert.Contains("not a Leak Lab results folder", f.Message);
        Assert.False(Directory.Exists(outDir));
        Assert.Equal(["cat.jpg"], Directory.GetFileSystemEntries(notRun).Select(Path.GetFileName));
    }

    [Fact]
    public void Compare_with_a_corrupt_samples_csv_names_file_and_line_and_creates_nothing()
    {
        using var tmp = new TempDir();
        var good = GoodRun(tmp);
        var bad = GoodRun(tmp, "bad");
        string samples = bad.PathOf("samples.csv");
        var lines = File.ReadAllLines(samples);
        lines[4] = "3.000,501,child,lots,60000,0.00,S,2";
        File.WriteAllLines(samples, lines);
        string outDir = tmp.Sub("out");
        var (_, e) = Capture(() => CompareCommand.Run(["compare", good.Directory, bad.Directory, "--out", outDir, "--plain"]));
        var f = Assert.IsType<ResultsFormatException>(e);
        Assert.Equal(samples, f.File);
        Assert.Equal(5, f.Line);
        Assert.Contains("rss_kb \"lots\" is not an integer", f.Message);
        Assert.False(Directory.Exists(outDir));
        Assert.False(File.Exists(bad.PathOf("report.html")));
    }

    [Fact]
    public void Report_of_a_corrupt_folder_writes_nothing()
    {
        using var tmp = new TempDir();
        var bad = GoodRun(tmp, "bad");
        File.AppendAllText(bad.PathOf("events.csv"), "1.5,exit,not-a-pid,code 0\n");
        var before = Directory.GetFiles(bad.Directory).Order().ToList();
        var (_, e) = Capture(() => ReportCommand.Run(["report", bad.Directory, "--plain"]));
        var f = Assert.IsType<ResultsFormatException>(e);
        Assert.EndsWith("events.csv", f.File);
        Assert.NotNull(f.Line);
        Assert.Equal(before, Directory.GetFiles(bad.Directory).Order().ToList());
    }

    [Fact]
    public void Usage_errors_are_labusage_exceptions()
    {
        using var tmp = new TempDir();
        var good = GoodRun(tmp);
        Assert.IsType<LabUsageException>(Capture(() => CompareCommand.Run(["compare", good.Directory])).Error);
        Assert.IsType<LabUsageException>(Capture(() => CompareCommand.Run(["compare", good.Directory, good.Directory, "--out"])).Error);
        Assert.IsType<LabUsageException>(Capture(() => CompareCommand.Run(["compare", good.Directory, good.Directory, "--bogus"])).Error);
        Assert.IsType<LabUsageException>(Capture(() => ReportCommand.Run(["report"])).Error);
        Assert.IsType<LabUsageException>(Capture(() => ReportCommand.Run(["report", good.Directory, "--x", "pids"])).Error);
        Assert.IsType<LabUsageException>(Capture(() => ReportCommand.Run(["report", good.Directory, good.Directory])).Error);

        string busy = tmp.Sub("busy");
        Directory.CreateDirectory(busy);
        File.WriteAllText(Path.Combine(busy, "x"), "");
        var e = Capture(() => CompareCommand.Run(["compare", good.Directory, good.Directory, "--out", busy, "--plain"])).Error;
        Assert.IsType<LabUsageException>(e);
        Assert.Contains("not empty", e!.Message);
    }

    [Fact]
    public void The_commands_print_plain_progress_and_the_report_path_last()
    {
        using var tmp = new TempDir();
        var a = GoodRun(tmp, "a");
        var b = GoodRun(tmp, "b");
        var (text, e) = Capture(() => ReportCommand.Run(["report", a.Directory, "--x=requests", "--plain"]));
        Assert.Null(e);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith("report: plotting RSS per PID", StringComparison.Ordinal));
        Assert.Equal(Path.Combine(a.Directory, "report.html"), Path.GetFullPath(lines[^1]));

        string outDir = tmp.Sub("cmp");
        (text, e) = Capture(() => CompareCommand.Run(["compare", a.Directory, b.Directory, "--out", outDir, "--plain"]));
        Assert.Null(e);
        lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith("compare: reading ", StringComparison.Ordinal));
        Assert.Equal(Path.Combine(outDir, "report.html"), Path.GetFullPath(lines[^1]));
    }
}

/// <summary>Tests that swap Console.Out run one at a time.</summary>
[CollectionDefinition(nameof(ConsoleCollection), DisableParallelization = true)]
public class ConsoleCollection;
