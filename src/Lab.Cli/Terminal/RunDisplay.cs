using System.Globalization;
using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.Report;
using Lab.Results;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Lab.Cli.Terminal;

/// <summary>
/// While a run goes on: on a terminal, a progress bar and a live table of the pool (pid, state,
/// requests, RSS and a small bar), like watching ps; otherwise plain periodic lines.
/// </summary>
public static class RunDisplay
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static async Task ShowAsync(Scenario scenario, LiveView live, Task run, bool plain)
    {
        double total = Math.Max(scenario.RunLength.TotalSeconds, 1e-9);
        string title = $"{scenario.Title}  [engine {EngineNames.Of(scenario.Engine)}]";
        if (!Interactive.Wanted(plain))
        {
            Console.Out.WriteLine($"running {scenario.Name}: {title}");
            bool realTime = scenario.Engine != EngineKind.Sim;
            var last = DateTime.UtcNow;
            while (!run.IsCompleted)
            {
                await Task.WhenAny(run, Task.Delay(250));
                if (realTime && (DateTime.UtcNow - last).TotalSeconds >= 5)
                {
                    last = DateTime.UtcNow;
                    Console.Out.WriteLine(PlainLine(live.Stats, total));
                }
            }
            return;
        }

        await AnsiConsole.Live(Render(live, total, title, AnsiConsole.Profile.Width, AnsiConsole.Profile.Height))
            .AutoClear(false)
            .Overflow(VerticalOverflow.Ellipsis)
            .StartAsync(async ctx =>
            {
                while (!run.IsCompleted)
                {
                    await Task.WhenAny(run, Task.Delay(200));
                    ctx.UpdateTarget(Render(live, total, title, AnsiConsole.Profile.Width, AnsiConsole.Profile.Height));
                }
                ctx.UpdateTarget(Render(live, total, title, AnsiConsole.Profile.Width, AnsiConsole.Profile.Height));
            });
    }

    /// <summary>Run time of the last sample tick (0 before the first).</summary>
    private static double T(LiveStats s) => double.IsNaN(s.LastTickT) ? 0 : s.LastTickT;

    public static string PlainLine(LiveStats s, double total)
    {
        var largest = s.LastTickSamples.Where(p => p.Role == ProcessRole.Child).OrderByDescending(p => p.RssKb).Cast<Sample?>().FirstOrDefault();
        string line = string.Create(Inv, $"t={T(s),6:0.0}s/{total:0}s  children={s.LastTickSamples.Count(p => p.Role == ProcessRole.Child)}  requests={s.Requests} ok={s.RequestsOk} failed={s.RequestsFailed} dropped={s.Dropped}  pool RSS={Fmt.Size(s.PoolRssKb)}");
        return largest is { } l ? line + $"  largest child {Fmt.Size(l.RssKb)} (pid {l.Pid}, {l.Requests} requests)" : line;
    }

    /// <summary>The live table needs this much terminal; smaller, the view is the progress line alone.</summary>
    public const int MinWidth = 80, MinHeight = 20;

    /// <summary>
    /// One frame: the title and progress bar, the pool's total RSS and its peak, a table of the
    /// processes with bars on one scale over the run (the most any process reached so far, so a
    /// growing child's bar grows), and the last log lines; on a terminal smaller than
    /// <see cref="MinWidth"/> × <see cref="MinHeight"/>, the progress line alone.
    /// </summary>
    public static IRenderable Render(LiveView live, double total, string title, int width, int height)
    {
        var s = live.Stats;
        double f = Math.Clamp(T(s) / total, 0, 1);
        string pool = $"pool RSS {Fmt.Size(s.PoolRssKb)} (peak {Fmt.Size(live.PeakPoolRssKb)})";
        if (width < MinWidth || height < MinHeight)
        {
            string text = string.Create(Inv, $"{Math.Min(T(s), total):0}/{total:0} s  {s.Requests} req  {pool}");
            int w = Math.Clamp(width - text.Length - 2, 0, 40), d = (int)Math.Round(f * w);
            return new Markup((w > 0 ? $"[green]{new string('█', d)}[/][grey]{new string('░', w - d)}[/] " : "") + Markup.Escape(text));
        }
        int width40 = 40, done = (int)Math.Round(f * width40);
        var bar = new Markup($"[bold]{Markup.Escape(title)}[/]\n[green]{new string('█', done)}[/][grey]{new string('░', width40 - done)}[/] " +
            string.Create(Inv, $"{Math.Min(T(s), total):0.0}/{total:0.0} s   requests {s.Requests} (ok {s.RequestsOk}, failed {s.RequestsFailed}, dropped {s.Dropped})   spawned {s.ChildrenSpawned}, recycled {s.Recycles}") +
            "\n" + Markup.Escape(pool));

        var table = new Table().Border(TableBorder.Simple)
            .AddColumn("PID").AddColumn("ROLE").AddColumn("STAT").AddColumn(new TableColumn("REQS").RightAligned())
            .AddColumn(new TableColumn("RSS").RightAligned()).AddColumn("");
        var processes = s.LastTickSamples.OrderBy(p => p.Role).ThenBy(p => p.Pid).ToList();
        long max = Math.Max(1, live.PeakProcessRssKb);
        // as many rows as the terminal holds under the header, the bar and the log
        int rows = Math.Clamp(height - 14, 3, 24);
        foreach (var p in processes.Take(rows))
        {
            int n = (int)Math.Round(20.0 * p.RssKb / max);
            table.AddRow(p.Pid.ToString(Inv), p.Role == ProcessRole.Master ? "master" : "child", Markup.Escape(p.State.ToString()),
                p.Role == ProcessRole.Master ? "" : p.Requests.ToString(Inv), Fmt.Size(p.RssKb),
                $"[{(p.Role == ProcessRole.Master ? "blue" : "yellow")}]{new string('■', n)}[/][grey]{new string('·', 20 - n)}[/]");
        }
        if (processes.Count > rows) table.AddRow("…", $"{processes.Count - rows} more", "", "", "", "");
        var log = new Markup(string.Join('\n', live.RecentLog.Select(l => "[grey]" + Markup.Escape(l.Length > 150 ? l[..150] + "…" : l) + "[/]")));
        return new Rows(bar, table, log);
    }
}
