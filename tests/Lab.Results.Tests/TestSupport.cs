using Lab.Core.Engines;
using Lab.Core.Records;

namespace Lab.Results.Tests;

/// <summary>A fresh temporary folder, deleted afterwards.</summary>
internal sealed class TempDir : IDisposable
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "lab-results-tests", Guid.NewGuid().ToString("N"));
    public TempDir() => Directory.CreateDirectory(Root);
    /// <summary>A path inside that does not exist yet (a results folder to be created).</summary>
    public string Run(string name = "run") => Path.Combine(Root, name);
    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}

internal static class Runs
{
    public static readonly DateTime Epoch = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    public const long HostMemKb = 16_000_000;
    public const string Toml = "name = \"test-scenario\"\nseed = 7\n\n[pool]\nmax_requests = 5\n";

    public static RunHeader Header(bool flushEveryTick = false, FpmLogLevel logLevel = FpmLogLevel.Notice, double? runLengthS = 10) =>
        new("test-scenario", "sim", 7, Epoch, HostMemKb, logLevel, runLengthS, flushEveryTick);

    public static Manifest Manifest() => new(
        "sim", "test-scenario", 7, "./run.sh test-scenario engine=sim seed=7",
        new Dictionary<string, string> { ["lab"] = "0.1.0", ["dotnet"] = "10.0.0" },
        new MachineInfo("testhost", 2, HostMemKb, "6.1.0-test", "Debian GNU/Linux 12 (bookworm)"),
        new DateTime(2026, 3, 4, 10, 11, 12, 345, DateTimeKind.Utc), null, RunStatus.Incomplete, null);

    public static ResultsWriter Create(string dir, RunHeader? header = null) =>
        ResultsWriter.Create(dir, header ?? Header(), Toml, Manifest());

    public const int MasterPid = 100;

    /// <summary>
    /// A small php-fpm-like run: a master, children recycled after 5 requests (pm.max_requests),
    /// one memory_limit failure, one dropped request, one child killed, ticks every second.
    /// Every number is chosen with the precision the files keep, so a round trip is exact.
    /// </summary>
    public static void FeedSmallRun(IRunSink sink)
    {
        sink.Process(new ProcessInfo(MasterPid, ProcessRole.Master, "root", "php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)", 0));
        sink.Event(new PoolEvent(0, EventNames.Start, MasterPid, ""));
        sink.Log(0, FpmLogLevel.Notice, "fpm is running, pid 100");
        int child = 101, served = 0;
        double childStart = 0.0;
        void Spawn(double t)
        {
            childStart = t;
            sink.Process(new ProcessInfo(child, ProcessRole.Child, "nobody", "php-fpm: pool www", t, MasterPid));
            sink.Event(new PoolEvent(t, EventNames.Spawn, child, ""));
            sink.Log(t, FpmLogLevel.Notice, $"[pool www] child {child} started");
        }
        Spawn(0.001);
        long id = 0;
        for (int tick = 1; tick <= 10; tick++)
        {
            // two requests per second: at tick-1+0.25 and tick-1+0.75
            foreach (double off in new[] { 0.25, 0.75 })
            {
                double ti = tick - 1 + off;
                if (id == 7)
                {
                    sink.Request(new RequestRecord(id++, ti, 0, 0, 0, RequestStatus.Dropped, 0, 812, 2048));
                    continue;
                }
                int status = id == 3 ? RequestStatus.MemoryLimit : RequestStatus.Ok;
                double start = Math.Round(ti + 0.000125, 6), end = Math.Round(ti + 0.012 + 0.001 * (id % 4), 6);
                sink.Request(new RequestRecord(id++, ti, start, end, child, status, Math.Round((end - ti) * 1000, 3), 812, 2048));
                if (status == RequestStatus.MemoryLimit)
                    sink.Event(new PoolEvent(end, EventNames.MemoryLimit, child, "Allowed memory size of 134217728 bytes exhausted (tried to allocate 20480 bytes)"));
                served++;
                if (served == 5)
                {
                    sink.Event(new PoolEvent(end, EventNames.Exit, child, "code 0;max_requests"));
                    sink.Log(end, FpmLogLevel.Notice, $"[pool www] child {child} exited with code 0 after {end - childStart:0.000000} seconds from start");
                    child++; served = 0;
                    Spawn(Math.Round(end + 0.001, 6));
                }
            }
            if (tick == 8)
            {
                sink.Event(new PoolEvent(7.9, EventNames.Kill, child, "SIGKILL;kill-child"));
                sink.Event(new PoolEvent(7.9, EventNames.Exit, child, "signal 9;kill-child"));
                child++; served = 0;
                Spawn(7.901);
            }
            double t = tick;
            sink.Sample(new Sample(t, MasterPid, ProcessRole.Master, 16008, 60284, 0.05, 'S', 0));
            sink.Sample(new Sample(t, child, ProcessRole.Child, 7148 + 812 * served + tick % 3 * 100, 60604 + 812 * served, 0.01 * tick, 'S', served));
            sink.EndTick(t);
        }
        sink.Log(10, FpmLogLevel.Debug, "a debug line");
        sink.RawLog("[04-Mar-2026 10:11:22] NOTICE: a raw line, verbatim");
    }
}
