using Lab.Cli.Terminal;
using Lab.Core.Records;
using Lab.Results;
using Spectre.Console;

namespace Lab.Cli.Tests;

/// <summary>The live view: bars on one scale over the run, the pool total and its peak, the progress line alone on a small terminal.</summary>
public class LiveViewTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("leaklab-live-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Draw(Spectre.Console.Rendering.IRenderable r, int width)
    {
        var text = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(text) });
        console.Profile.Width = width;
        console.Write(r);
        return text.ToString();
    }

    private (LiveView Live, ResultsWriter Writer) Start()
    {
        var header = new RunHeader("live", "sim", 1, DateTime.UnixEpoch, 16L << 20, FpmLogLevel.Notice, 10, FlushEveryTick: false);
        var manifest = Manifest.ForThisMachine("sim", "live", 1, "test", DateTime.UtcNow);
        var w = ResultsWriter.Create(Path.Combine(_dir, "run"), header, "title = \"live\"\n", manifest);
        var live = new LiveView();
        live.Watch(w);
        return (live, w);
    }

    private static void Tick(ResultsWriter w, double t, long childKb)
    {
        w.Sample(new Sample(t, 100, ProcessRole.Master, 10_000, 50_000, 0, 'S', 0));
        w.Sample(new Sample(t, 101, ProcessRole.Child, childKb, 50_000, 0, 'S', 1));
        w.EndTick(t);
    }

    [Fact]
    public void Bars_share_one_scale_over_the_run_and_the_pool_total_shows_its_peak()
    {
        var (live, w) = Start();
        using var _ = w;
        Tick(w, 1, 100 * 1024);
        string first = Draw(RunDisplay.Render(live, 10, "title", 120, 40), 120);
        Assert.Contains(new string('■', 20), first); // the largest process so far: a full bar
        Tick(w, 2, 50 * 1024);
        string second = Draw(RunDisplay.Render(live, 10, "title", 120, 40), 120);
        // the child halved: its bar is half of the run's scale, not full again
        Assert.Contains(new string('■', 10) + new string('·', 10), second);
        Assert.Contains("pool RSS 59.8 MiB (peak 109.8 MiB)", second);
    }

    [Fact]
    public void A_small_terminal_gets_the_progress_line_alone()
    {
        var (live, w) = Start();
        using var _ = w;
        Tick(w, 1, 100 * 1024);
        string small = Draw(RunDisplay.Render(live, 10, "a title", 70, 15), 70);
        var lines = small.TrimEnd('\n').Split('\n');
        Assert.Single(lines);
        Assert.True(lines[0].Length <= 70, lines[0]);
        Assert.Contains("pool RSS", lines[0]);
        Assert.DoesNotContain("PID", small);
        string big = Draw(RunDisplay.Render(live, 10, "a title", 120, 40), 120);
        Assert.Contains("PID", big);
        Assert.Contains("a title", big);
    }
}
