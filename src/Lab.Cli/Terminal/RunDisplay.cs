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

        await AnsiConsole.Live(Render(live, total, title))
            .AutoClear(false)
            .Overflow(VerticalOverflow.Ellipsis)
            .StartAsync(async ctx =>
            {
                while (!run.IsCompleted)
                {
                    await Task.WhenAny(run, Task.Delay(200));
                    ctx.UpdateTarget(Render(live, total, title));
                }
                ctx.UpdateTarget(Render(live, total, title));
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

    private static IRenderable Render(LiveView live, double total, string title)
    {
        var s = live.Stats;
        double f = Math.Clamp(T(s) / total, 0, 1);
        int width = 40, done = (int)Math.Round(f * width);
        var bar = new Markup($"[bold]{Markup.Escape(title)}[/]\n[green]{new string('█', done)}[/][grey]{new string('░', width - done)}[/] " +
            string.Create(Inv, $"{Math.Min(T(s), total):0.0}/{total:0.0} s   requests {s.Requests} (ok {s.RequestsOk}, failed {s.RequestsFailed}, dropped {s.Dropped})   spawned {s.ChildrenSpawned}, recycled {s.Recycles}"));

        var table = new Table().Border(TableBorder.Simple)
            .AddColumn("PID").AddColumn("ROLE").AddColumn("STAT").AddColumn(new TableColumn("REQS").RightAligned())
            .AddColumn(new TableColumn("RSS").RightAligned()).AddColumn("");
        var processes = s.LastTickSamples.OrderBy(p => p.Role).ThenBy(p => p.Pid).ToList();
        long max = Math.Max(1, processes.Count == 0 ? 1 : processes.Max(p => p.RssKb));
        foreach (var p in processes.Take(24))
        {
            int n = (int)Math.Round(20.0 * p.RssKb / max);
            table.AddRow(p.Pid.ToString(Inv), p.Role == ProcessRole.Master ? "master" : "child", p.State.ToString(),
                p.Role == ProcessRole.Master ? "" : p.Requests.ToString(Inv), Fmt.Size(p.RssKb),
                $"[{(p.Role == ProcessRole.Master ? "blue" : "yellow")}]{new string('■', n)}[/]");
        }
        if (processes.Count > 24) table.AddRow("…", $"{processes.Count - 24} more", "", "", "", "");
        var log = new Markup(string.Join('\n', live.RecentLog.Select(l => "[grey]" + Markup.Escape(l.Length > 150 ? l[..150] + "…" : l) + "[/]")));
        return new Rows(bar, table, log);
    }
}
