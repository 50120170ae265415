using System.Globalization;
using System.Runtime.InteropServices;
using Lab.Cli.Terminal;
using Lab.Core.Engines;
using Lab.Core.Records;
using Lab.Core.Time;
using Lab.Record;
using Lab.Record.Masters;
using Lab.Record.Recording;
using Lab.Record.Source;
using Lab.Report;
using Lab.Report.Sections;
using Lab.Results;
using Lab.Results.Formats;
using Lab.Scenarios;

namespace Lab.Cli.Commands;

/// <summary>
/// ./run.sh record [--pid MASTER_PID] [--pool NAME] [duration=10m] [interval=1s] [pss_interval=1s]
/// [--status PATH] [--out DIR] [--plain]: attach to a php-fpm pool running without the lab, start
/// nothing, change nothing, and write the standard results folder (engine "record") and its
/// report. Bad input (no master, several and no --pid, an unreadable configuration): exit 2,
/// nothing written. Ctrl-C or the duration end it (complete, exit 0); the master going away ends
/// it incomplete (exit 3).
/// </summary>
public static class RecordCommand
{
    public const string Usage = "./run.sh record [--pid MASTER_PID] [--pool NAME] [duration=10m] [interval=1s] [pss_interval=1s] [--status PATH] [--out DIR] [--plain]";

    /// <summary>manifest.json's and summary.json's engine for a recording.</summary>
    public const string EngineName = "record";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <param name="Settings">The key=value words as given (for the manifest's command line).</param>
    public sealed record RecordArgs(int? Pid, string? Pool, string? Status, TimeSpan Duration, TimeSpan Interval, TimeSpan PssInterval, string? Out, bool Plain,
        IReadOnlyList<string> Settings)
    {
        /// <summary>The arguments as the manifest records them.</summary>
        public string CommandLine => string.Join(' ', (Pid is int p ? new[] { "--pid", p.ToString(Inv) } : [])
            .Concat(Pool is { } pool ? ["--pool", pool] : []).Concat(Status is { } st ? ["--status", st] : []).Concat(Settings)
            .Concat(Out is { } o ? ["--out", o] : []));
    }

    public static async Task<int> RunAsync(RecordArgs a)
    {
        var master = ChooseMaster(a.Pid);
        RecordedPool pool;
        try { pool = RecordedPool.Read(master, a.Pool, a.Status, a.Duration, a.Interval); }
        catch (RecordException e) { throw new LabUsageException(e.Message); }
        string dir = ResultsDirs.Choose(a.Out, pool.Scenario.Name, DateTime.UtcNow);

        var o = Console.Out;
        var p = pool.Scenario.Pool;
        o.WriteLine($"recording php-fpm master {master.Pid} ({master.ConfigPath}), pool {pool.PoolName}: " +
                    $"pm {p.Pm.ToString().ToLowerInvariant()}, max_children {p.MaxChildren}, max_requests {p.MaxRequests}; listen {pool.Listen}");
        o.WriteLine($"  children  {(master.Children.Count == 0 ? "none yet" : string.Join(", ", master.Children))}");
        o.WriteLine(pool.StatusPath is { } sp
            ? $"  status    {sp} ({pool.StatusFrom}) every {ScenarioUnits.FormatDuration(a.Interval)}: the requests column is each child's counter"
            : "  status    none: the pool has no pm.status_path (give one with --status PATH): requests per child are unknown, the leak is fitted per second");
        o.WriteLine("  log       " + pool.ErrorLogNote);
        o.WriteLine($"  for       {ScenarioUnits.FormatDuration(a.Duration)} (Ctrl-C ends it sooner, keeping what was recorded); nothing of the pool is changed");
        foreach (var n in pool.Notices) Console.Error.WriteLine("notice: " + n);

        var clock = new RunClock();
        var header = new RunHeader(pool.Scenario.Name, EngineName, pool.Scenario.Seed, clock.EpochUtc, MachineInfo.ReadMemTotalKb(),
            FpmLogLevel.Debug, a.Duration.TotalSeconds, FlushEveryTick: true);
        string commandLine = "./run.sh record " + a.CommandLine;
        var manifest = Manifest.ForThisMachine(EngineName, pool.Scenario.Name, pool.Scenario.Seed, commandLine, DateTime.UtcNow) with
        {
            Source = Source(pool, a),
        };
        RecordResult result;
        Summary summary;
        string? interruptedBy;
        using (var writer = ResultsWriter.Create(dir, header, pool.ScenarioHeader + ScenarioWriter.ToToml(pool.Scenario), manifest))
        using (var interruption = new Interruption(PosixSignal.SIGTERM, PosixSignal.SIGHUP))
        {
            var recording = Recorder.RunAsync(pool, new RecordOptions(a.Duration, a.Interval, a.PssInterval), writer, clock,
                note => Console.Error.WriteLine("note: " + note), interruption.Token);
            var last = DateTime.UtcNow;
            while (!recording.IsCompleted)
            {
                await Task.WhenAny(recording, Task.Delay(250));
                if ((DateTime.UtcNow - last).TotalSeconds < 5 || recording.IsCompleted) continue;
                last = DateTime.UtcNow;
                o.WriteLine(Progress(writer.Live, a.Duration.TotalSeconds));
            }
            result = await recording;
            interruptedBy = interruption.By;
            summary = writer.Complete(result.Outcome, manifest with { EndUtc = DateTime.UtcNow });
        }
        // scenario.toml says how long the recording lasted (Ctrl-C may have ended it sooner) and the traffic it counted
        var (recorded, recordedHeader) = pool.AsRecorded(summary.DurationS, pool.StatusPath is null ? null : RecordedFrom.ServedDuring(RunFolder.Open(dir).Samples),
            summary.LeakKbPerRequest);
        File.WriteAllText(Path.Combine(dir, ResultsFiles.Scenario), recordedHeader + ScenarioWriter.ToToml(recorded));

        if (interruptedBy is not null) o.WriteLine($"ended by {interruptedBy}: the recording is what was recorded until then.");
        if (result.Outcome.Status != RunStatus.Complete) Console.Error.WriteLine($"note: {result.Outcome.Reason}");
        foreach (var line in SummaryLines(pool, result, summary, dir)) o.WriteLine(line);

        string shown = dir;
        try { shown = RunReport.Generate(RunFolder.Open(dir), new ReportOptions()); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Console.Error.WriteLine($"warning: the report could not be made ({e.Message}); retry with ./run.sh report {ResultsDirs.Display(dir)}");
        }
        o.WriteLine(ResultsDirs.Display(shown));
        return result.Outcome.Status == RunStatus.Complete ? 0 : 3;
    }

    /// <summary>The master to record: --pid, else the host's only php-fpm master.</summary>
    private static FpmMaster ChooseMaster(int? pid)
    {
        if (pid is int p)
            return FpmMasters.Describe(p) ?? throw new LabUsageException(
                File.Exists($"/proc/{p}/stat")
                    ? $"PID {p} is not a php-fpm master (its title is \"{Lab.Linux.Proc.Proc.CommandLine(p)}\"; a master's is \"php-fpm: master process (CONFIG)\")."
                    : $"there is no process {p}.");
        var masters = FpmMasters.Find();
        if (masters.Count == 1) return masters[0];
        if (masters.Count == 0)
            throw new LabUsageException("no php-fpm master is running here (no process titled \"php-fpm: master process (...)\"). Start your pool, or give --pid.");
        var list = masters.Select(m => $"  --pid {m.Pid}   {m.ConfigPath}   pools: {(m.Pools.Count == 0 ? "(no children)" : string.Join(", ", m.Pools))}");
        throw new LabUsageException($"{masters.Count} php-fpm masters are running here; choose one with --pid:\n{string.Join('\n', list)}");
    }

    private static Dictionary<string, string> Source(RecordedPool pool, RecordArgs a) => new(StringComparer.Ordinal)
    {
        ["master_pid"] = pool.Master.Pid.ToString(Inv),
        ["master_title"] = pool.Master.Title,
        ["config"] = pool.Master.ConfigPath,
        ["config_files"] = string.Join(", ", pool.ConfigFiles),
        ["pool"] = pool.PoolName,
        ["listen"] = pool.Listen,
        ["status_path"] = pool.StatusPath is { } s ? $"{s} ({pool.StatusFrom})" : "none",
        ["error_log"] = pool.ErrorLogNote,
        ["interval"] = ScenarioUnits.FormatDuration(a.Interval),
        ["pss_interval"] = ScenarioUnits.FormatDuration(a.PssInterval),
    };

    private static string Progress(LiveStats s, double total)
    {
        var children = s.LastTickSamples.Where(x => x.Role == ProcessRole.Child).ToList();
        var largest = children.OrderByDescending(x => x.RssKb).FirstOrDefault();
        double t = double.IsNaN(s.LastTickT) ? 0 : s.LastTickT;
        string line = string.Create(Inv, $"t={t,6:0.0}s/{total:0}s  children={children.Count}  served={children.Sum(x => x.Requests)}  pool RSS={Fmt.Size(s.PoolRssKb)}");
        return children.Count > 0 ? line + $"  largest child {Fmt.Size(largest.RssKb)} (pid {largest.Pid}, {largest.Requests} requests)" : line;
    }

    private static IEnumerable<string> SummaryLines(RecordedPool pool, RecordResult r, Summary s, string dir)
    {
        yield return $"recorded {Fmt.Seconds(s.DurationS)} of php-fpm master {pool.Master.Pid}, pool {pool.PoolName} (engine record)";
        var pids = r.ChildrenSeen;
        yield return $"  children  {pids.Count} seen: {(pids.Count <= 12 ? string.Join(", ", pids) : string.Join(", ", pids.Take(12)) + ", ...")}; " +
                     $"{r.Spawns} spawned, {r.Exits} exited, {r.Recycles} recycled by pm.max_requests (by the counters)";
        if (pool.StatusPath is not null)
            yield return $"  requests  from the status page's per-child counters; the lab's own {Fmt.Int(r.OwnStatusRequests)} status requests left out" +
                         (r.StatusFailures > 0 ? $"; it did not answer {Fmt.Int(r.StatusFailures)} time(s)" : "");
        yield return $"  memory    largest child {Fmt.Size(s.PeakChildRssKb)}, pool peak {Fmt.Size(s.PeakPoolRssKb)}, final {Fmt.Size(s.FinalPoolRssKb)}" +
                     (r.SmapsDenied ? " (RSS only: smaps_rollup needs root)" : "");
        if (s.LeakKbPerRequest is { } leak)
            yield return $"  leak      fitted {Fmt.Size(leak)} per request" + (s.LeakKbPerRequestStderr is { } se ? $" ± {Fmt.Size(se)}" : "") + $" ({Fmt.Int(s.FitPoints)} samples)";
        else if (RecordedFrom.LeakPerSecond(RunFolder.Open(dir).Samples) is { } perSecond)
            yield return $"  leak      {(pool.StatusPath is null ? "no requests counted (no status page)" : "no child served requests during the recording")}: fitted per second instead, {Fmt.Size(perSecond.SlopeKb)}/s" +
                         (double.IsFinite(perSecond.StdErrKb) ? $" ± {Fmt.Size(perSecond.StdErrKb)}" : "") + " per child";
        else yield return "  leak      none fitted: no child was seen in two samples";
    }

    /// <summary>The arguments of a command line (the words after "record").</summary>
    public static RecordArgs Parse(string[] args) => Lab.Cli.CommandLine.LabCommandLine.ArgsOf<RecordArgs>(["record", .. args]);

    /// <summary>
    /// record's arguments from the parser's options (--pid, --pool, --status, --out, --plain) and
    /// its words: duration=, interval=, pss_interval=.
    /// </summary>
    public static RecordArgs Bind(IReadOnlyList<string> words, string? pidText, string? poolName, string? status, string? outDir, bool plain)
    {
        int? pid = null;
        if (pidText is not null)
            pid = int.TryParse(pidText, NumberStyles.None, Inv, out int n) && n > 0 ? n : throw new LabUsageException($"--pid {pidText}: give the master's PID, a positive number. Usage: {Usage}");
        if (poolName is { Length: 0 }) throw new LabUsageException($"--pool needs the pool's name, e.g. --pool www. Usage: {Usage}");
        if (status is not null && !status.StartsWith('/'))
            throw new LabUsageException($"--status {status}: give the status page's path, starting with '/', e.g. --status /status. Usage: {Usage}");
        var duration = TimeSpan.FromMinutes(10);
        var interval = TimeSpan.FromSeconds(1);
        TimeSpan? pss = null;
        foreach (var a in words)
        {
            int eq = a.IndexOf('=');
            if (eq <= 0) throw new LabUsageException($"'{a}' is not a setting of record (duration=, interval=, pss_interval=). Usage: {Usage}");
            string key = a[..eq], text = a[(eq + 1)..];
            TimeSpan Duration(TimeSpan min) =>
                ScenarioUnits.ParseDuration(text, out var problem) is { } d && d >= min ? d
                    : throw new LabUsageException($"{key}={text}: {problem ?? $"must be at least {ScenarioUnits.FormatDuration(min)}"} (a duration, e.g. 30s, 10m).");
            switch (key)
            {
                case "duration": duration = Duration(TimeSpan.FromMilliseconds(1)); break;
                case "interval": interval = Duration(TimeSpan.FromMilliseconds(10)); break;
                case "pss_interval": pss = Duration(TimeSpan.FromMilliseconds(10)); break;
                default:
                    throw new LabUsageException($"unknown setting \"{key}\"{Lab.Scenarios.Suggest.DidYouMean(key, ["duration", "interval", "pss_interval"])}; record takes duration=, interval=, pss_interval=. Usage: {Usage}");
            }
        }
        return new RecordArgs(pid, poolName, status, duration, interval, pss ?? TimeSpan.FromSeconds(1), outDir, plain, words);
    }

}
