using Lab.Analysis.Calibration;
using Lab.Core.Records;
using Lab.Results;
using Lab.Results.Reading;
using Lab.Scenarios;
using Lab.Sim;

namespace Lab.Analysis.Tests;

/// <summary>
/// The start of a pool on the simulator (memory.master_start, memory.start_spread) and the spread
/// fitted back from a run (StartSpreadFit), the sim as the oracle.
/// </summary>
public class StartSpreadFitTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("leaklab-start-test-").FullName;
    public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    /// <summary>8 static children, the master at 150 ms, the load from 155 ms at 40 req/s.</summary>
    private const string Pool = """
        engine = "sim"
        seed = 3
        sample_interval = "250ms"
        [pool]
        pm = "static"
        max_children = 8
        max_requests = 50
        [request]
        leak = "1M"
        transient = "0K"
        work = { dist = "normal", mean = "21.7ms", stddev = "0.3ms" }
        [load]
        arrivals = "even"
        [[load.phases]]
        phase = "pause"
        during = "155ms"
        [[load.phases]]
        phase = "inject"
        rate = 40
        during = "12s"
        [memory]
        master_start = "150ms"
        """;

    private async Task<RunFolder> Run(string name, string memory = "")
    {
        var s = ScenarioLoader.Parse(Pool + "\n" + memory + "\n", name + ".toml", "start", []);
        string dir = Path.Combine(_dir, name);
        await HeadlessRun.RunAsync(s, new SimEngine(), dir, "test");
        return RunFolder.Open(dir);
    }

    private static RequestTable Table(params (double Start, int Pid)[] rows)
    {
        int n = rows.Length;
        return new RequestTable(Enumerable.Range(0, n).Select(i => (long)i).ToArray(), rows.Select(r => r.Start).ToArray(), rows.Select(r => r.Start).ToArray(),
            rows.Select(r => r.Start + 0.02).ToArray(), rows.Select(r => r.Pid).ToArray(), Enumerable.Repeat(200, n).ToArray(),
            Enumerable.Repeat(20.0, n).ToArray(), new long[n], new long[n]);
    }

    [Fact]
    public void Repeats_count_the_requests_an_initial_child_served_twice_before_the_last_served_once()
    {
        var initial = new HashSet<int> { 1, 2, 3 };
        Assert.Equal((0, 0.3), StartSpreadFit.Repeats(Table((0.1, 1), (0.2, 2), (0.3, 3), (0.4, 1)), initial));
        // 1 serves twice and 2 once more before 3 serves; a respawned child (9) does not count
        Assert.Equal((3, 0.6), StartSpreadFit.Repeats(Table((0.1, 1), (0.2, 2), (0.3, 1), (0.35, 9), (0.4, 2), (0.5, 1), (0.6, 3)), initial));
        Assert.Null(StartSpreadFit.Repeats(Table((0.1, 1), (0.2, 2)), initial)); // 3 never served
    }

    [Fact]
    public async Task The_master_starts_at_master_start_and_its_initial_children_reach_accept_within_the_spread()
    {
        var run = await Run("spread", "start_spread = \"100ms\"");
        Assert.Equal(0.15, run.Events.First(e => e.Kind == PoolEventKind.Start).T, 6);
        var s = run.Samples;
        Assert.All(Enumerable.Range(0, s.Count), i => Assert.True(s.T[i] >= 0.15, $"a sample at {s.T[i]} s, before the master started"));
        var forks = run.Events.Where(e => e.Kind == PoolEventKind.Spawn && e.Spawned == SpawnCause.Initial).ToDictionary(e => e.Pid, e => e.T);
        Assert.Equal(8, forks.Count);
        var r = run.Requests;
        var first = forks.Keys.ToDictionary(p => p, p => Enumerable.Range(0, r.Count).Where(i => r.Pid[i] == p).Min(i => r.TStart[i]));
        // each reaches accept() 5 ms (spawn_time) + [0, 100] ms after its fork; its first request waits for a connection, 25 ms apart
        Assert.All(forks.Keys, p => Assert.InRange(first[p] - forks[p], 0.005, 0.105 + 8 * 0.025));
        // with the spread the first requests meet only the children ready: some serve twice before all served once
        Assert.True(StartSpreadFit.Repeats(r, forks.Keys.ToHashSet())!.Value.Repeats > 0);
        // without it every child is ready for the first request: each serves once, in fork order
        var plain = await Run("plain");
        var plainForks = plain.Events.Where(e => e.Kind == PoolEventKind.Spawn && e.Spawned == SpawnCause.Initial).Select(e => e.Pid).ToHashSet();
        Assert.Equal(0, StartSpreadFit.Repeats(plain.Requests, plainForks)!.Value.Repeats);
        Assert.Equal(plainForks.Order(), Enumerable.Range(0, 8).Select(i => plain.Requests.Pid[i]));
    }

    [Fact]
    public async Task The_fit_finds_a_spread_that_repeats_as_many_first_requests_as_the_oracle()
    {
        var truth = await Run("truth", "start_spread = \"120ms\"");
        var real = StartSpreadFit.Repeats(truth.Requests, StartSpreadFit.Initial(truth.Events))!.Value.Repeats;
        Assert.True(real >= 1, $"the oracle's start should repeat some: {real}");
        var plain = ScenarioLoader.Parse(Pool, "plain.toml", "start", []);
        var fit = StartSpreadFit.Fit(truth, plain);
        Assert.Equal(real, fit.Real);
        Assert.True(fit.Sim >= real, $"sim {fit.Sim}, real {real}");
        Assert.InRange(fit.Value.TotalMilliseconds, 20, 480);
        Assert.Equal(["truth"], Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName)); // the fit's sim runs write nothing

        // a start where every child served once before any served twice fits 0
        var clean = StartSpreadFit.Fit(await Run("clean"), plain);
        Assert.Equal((0, TimeSpan.Zero), (clean.Real!.Value, clean.Value));
    }
}
