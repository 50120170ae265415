using Lab.Analysis.Calibration;
using Lab.Report;
using Lab.Results;

namespace Lab.Cli.Commands;

/// <summary>
/// ./run.sh calibrate DIR [--out DIR] [--plain]: fits the simulator's memory model (baseline, leak
/// per request, allocator retention and its wobble) and the work time to a real run (engine
/// php-fpm or dotnet), writes the scenario that runs the same thing on the sim
/// (OUT/calibrated.toml) and the fitted [memory] section (OUT/memory.toml), runs it (OUT/sim),
/// and compares the two: the largest child's RSS at every recycle boundary, real against sim, and
/// a compare report (OUT/compare). OUT defaults to results/calibrate-&lt;scenario&gt;-&lt;UTC&gt;/.
/// Prints the fitted parameters with their uncertainty and the boundary table; the last line is
/// the compare report's path. Exit code 0 when the sim agrees within 10% at every boundary, 1 when
/// it does not, 2 for bad input.
/// </summary>
public static class CalibrateCommand
{
    public const string Usage = "./run.sh calibrate DIR [--out DIR] [--plain]";

    public sealed record CalibrateArgs(string Dir, string? Out, bool Plain);

    public static CalibrateArgs Bind(IReadOnlyList<string> words, string? outDir, bool plain) => words.Count switch
    {
        0 => throw new LabUsageException($"calibrate needs the results folder of a real run (engine php-fpm or dotnet). Usage: {Usage}"),
        1 => new CalibrateArgs(words[0], outDir, plain),
        _ => throw new LabUsageException($"calibrate takes one results folder (a real run), got '{words[0]}' and '{words[1]}'. Usage: {Usage}"),
    };

    public static async Task<int> RunAsync(CalibrateArgs a)
    {
        var (runDir, outDir, plain) = (a.Dir, a.Out, a.Plain);
        // Everything about the input is checked before anything is created.
        RunFolder real;
        try
        {
            real = RunFolder.Open(runDir);
            Calibrator.Fit(real);
        }
        catch (ResultsFormatException e) { throw new LabUsageException(e.Message); }
        catch (CalibrationException e) { throw new LabUsageException(e.Message); }
        string dir = ResultsDirs.Choose(outDir, "calibrate-" + real.Manifest.Scenario, DateTime.UtcNow);

        var outcome = ReportCommand.WithProgress(plain, "calibrate", progress =>
            Calibrator.RunAsync(runDir, dir, new StepProgress(progress)).GetAwaiter().GetResult());
        Console.Out.Write(CalibrationText.Terminal(outcome));
        Console.Out.WriteLine(ResultsDirs.Display(outcome.CompareHtml));
        return outcome.Agrees ? 0 : 1;
    }

    /// <summary>The calibrator's steps as progress (five steps).</summary>
    private sealed class StepProgress(IProgress<ReportProgress> progress) : IProgress<string>
    {
        private int _step;
        public void Report(string value) => progress.Report(new ReportProgress(Math.Min(1.0, _step++ / 6.0), value));
    }
}
