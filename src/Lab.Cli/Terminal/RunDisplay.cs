using System.Globalization;
using Lab.Core.Records;
using Lab.Core.Scenarios;
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
        bool interactive = !plain && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
        string title = $"{scenario.Title}  [engine {EngineName(scenario.Engine)}]";
        if (!interactive)
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
                    Console.Out.WriteLine(PlainLine(live.Take(), total));
                }
            }
            return;
        }

        await AnsiConsole.Live(Render(live.Take(), total, title))
            .AutoClear(false)
            .Overflow(VerticalOverflow.Ellipsis)
            .StartAsync(async ctx =>
            {
                while (!run.IsCompleted)
                {
                    await Task.WhenAny(run, Task.Delay(200));
                    ctx.UpdateTarget(Render(live.Take(), total, title));
                }
                ctx.UpdateTarget(Render(live.Take(), total, title));
            });
    }

    public static string PlainLine(LiveView.Snapshot s, double total)
    {
        var largest = s.LargestChild;
        long failed = s.Requests - s.Count(RequestStatus.Ok) - s.Count(RequestStatus.Dropped);
        string line = string.Create(Inv, $"t={s.T,6:0.0}s/{total:0}s  children={s.Processes.Count(p => p.Role == ProcessRole.Child)}  requests={s.Requests} ok={s.Count(RequestStatus.Ok)} failed={failed} dropped={s.Count(RequestStatus.Dropped)}  pool RSS={Units.Kb(s.PoolRssKb)}");
        return largest is { } l ? line + $"  largest child {Units.Kb(l.RssKb)} (pid {l.Pid}, {l.Requests} requests)" : line;
    }

    private static IRenderable Render(LiveView.Snapshot s, double total, string title)
    {
        double f = Math.Clamp(s.T / total, 0, 1);
        int width = 40, done = (int)Math.Round(f * width);
        var bar = new Markup($"[bold]{Markup.Escape(title)}[/]\n[green]{new string('█', done)}[/][grey]{new string('░', width - done)}[/] " +
            string.Create(Inv, $"{Math.Min(s.T, total):0.0}/{total:0.0} s   requests {s.Requests} (ok {s.Count(RequestStatus.Ok)}, failed {s.Requests - s.Count(RequestStatus.Ok) - s.Count(RequestStatus.Dropped)}, dropped {s.Count(RequestStatus.Dropped)})   spawned {s.Spawned}, recycled {s.Recycles}"));

        var table = new Table().Border(TableBorder.Simple)
            .AddColumn("PID").AddColumn("ROLE").AddColumn("STAT").AddColumn(new TableColumn("REQS").RightAligned())
            .AddColumn(new TableColumn("RSS").RightAligned()).AddColumn("");
        long max = Math.Max(1, s.Processes.Count == 0 ? 1 : s.Processes.Max(p => p.RssKb));
        foreach (var p in s.Processes.Take(24))
        {
            int n = (int)Math.Round(20.0 * p.RssKb / max);
            table.AddRow(p.Pid.ToString(Inv), p.Role == ProcessRole.Master ? "master" : "child", p.State.ToString(),
                p.Role == ProcessRole.Master ? "" : p.Requests.ToString(Inv), Units.Kb(p.RssKb),
                $"[{(p.Role == ProcessRole.Master ? "blue" : "yellow")}]{new string('■', n)}[/]");
        }
        if (s.Processes.Count > 24) table.AddRow("…", $"{s.Processes.Count - 24} more", "", "", "", "");
        var log = new Markup(string.Join('\n', s.RecentLog.Select(l => "[grey]" + Markup.Escape(l.Length > 150 ? l[..150] + "…" : l) + "[/]")));
        return new Rows(bar, table, log);
    }

    public static string EngineName(EngineKind e) => e switch { EngineKind.Sim => "sim", EngineKind.Dotnet => "dotnet", _ => "php-fpm" };
}
