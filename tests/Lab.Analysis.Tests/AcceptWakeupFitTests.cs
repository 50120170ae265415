using Lab.Analysis.Calibration;
using Lab.Core.Scenarios;
using Lab.Results;
using Lab.Results.Reading;
using Lab.Results.Storm;
using Lab.Scenarios;
using Lab.Sim;

namespace Lab.Analysis.Tests;

/// <summary>
/// The order in which children take connections (AcceptOrder), memory.accept_wakeup fitted to it
/// (AcceptWakeupFit) with the simulator as the oracle, and the storm figures' comparison.
/// </summary>
public class AcceptWakeupFitTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("leaklab-accept-test-").FullName;
    public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    private static RequestTable Table(params (double Start, double End, int Pid)[] rows)
    {
        int n = rows.Length;
        return new RequestTable(
            Enumerable.Range(0, n).Select(i => (long)i).ToArray(), rows.Select(r => r.Start).ToArray(), rows.Select(r => r.Start).ToArray(),
            rows.Select(r => r.End).ToArray(), rows.Select(r => r.Pid).ToArray(), Enumerable.Repeat(200, n).ToArray(),
            rows.Select(r => (r.End - r.Start) * 1000).ToArray(), new long[n], new long[n]);
    }

    /// <summary>Three children served in turn, 10 requests each, a request every 100 ms taking 50 ms.</summary>
    private static List<(double, double, int)> RoundRobin(int requests = 30)
        => Enumerable.Range(0, requests).Select(k => (k * 0.1, k * 0.1 + 0.05, 100 + k % 3)).ToList();

    [Fact]
    public void Children_served_first_in_first_out_are_all_in_turn()
    {
        var turns = AcceptOrder.Count(Table([.. RoundRobin()]));
        Assert.Equal(0, turns.OutOfTurn);
        Assert.Equal(27, turns.Compared); // the first request of each child is not compared, the others are
    }

    [Fact]
    public void A_child_finishing_as_a_connection_arrives_takes_it_out_of_turn_and_the_skipped_one_waits_a_round()
    {
        var rows = RoundRobin(9);
        // request 9 arrives at 0.9 s: child 100 has waited longest, but 102 (request 8, from 0.8 s) ran long
        // and ends just after 0.9 s: it takes the connection (a steal), 100 goes on waiting
        rows[8] = (0.8, 0.9005, 102);
        rows.Add((0.9, 0.95, 102));
        // then 101 is served while 100 has still waited longest; then 100, then 102: in turn again
        rows.Add((1.0, 1.05, 101));
        rows.Add((1.1, 1.15, 100));
        rows.Add((1.2, 1.25, 102));
        var turns = AcceptOrder.Count(Table([.. rows]));
        // request 9 (the steal) and request 10 (101 served while 100 had waited longer) are out of turn
        Assert.Equal(2, turns.OutOfTurn);
    }

    [Fact]
    public void A_new_child_served_before_the_children_idle_since_before_its_fork_is_out_of_turn()
    {
        // 102 exits after its third request (at 0.85 s); 103, forked at 0.86 s, takes request 9 (0.9 s)
        // while 100 and 101 have waited since 0.65 s and 0.75 s: out of turn
        var rows = RoundRobin(9).Select(r => r.Item3 == 102 && r.Item1 > 0.6 ? (r.Item1, r.Item2, 999) : r).ToList();
        rows.RemoveAll(r => r.Item3 == 999);
        rows.Add((0.9, 0.95, 103));
        rows.Add((1.0, 1.05, 100));
        var spawned = new Dictionary<int, double> { [100] = 0, [101] = 0, [102] = 0, [103] = 0.86 };
        Assert.Equal(new AcceptTurns(1, 9), AcceptOrder.Count(Table([.. rows]), spawned)); // first requests compared too
        // forked before they went idle, it was ahead of them: in turn
        spawned[103] = 0.6;
        Assert.Equal(0, AcceptOrder.Count(Table([.. rows]), spawned).OutOfTurn);
        // without spawn times a new child's first request is not compared
        Assert.Equal(new AcceptTurns(0, 6), AcceptOrder.Count(Table([.. rows])));
    }

    [Fact]
    public void A_child_that_serves_its_last_request_leaves_the_queue()
    {
        // 102 serves three requests and exits (pm.max_requests); its replacement 103 joins
        var rows = RoundRobin(9).Select(r => r.Item3 == 102 && r.Item1 > 0.6 ? (r.Item1, r.Item2, 103) : r).ToList();
        var turns = AcceptOrder.Count(Table([.. rows]));
        Assert.Equal(0, turns.OutOfTurn);
    }

    private const string Storm = """
        engine = "sim"
        seed = 5
        sample_interval = "250ms"
        [pool]
        pm = "static"
        max_children = 8
        max_requests = 50
        [request]
        leak = "1M"
        transient = "0K"
        work = { dist = "normal", mean = "21.7ms", stddev = "2ms" }
        [load]
        arrivals = "even"
        [[load.phases]]
        phase = "inject"
        rate = 40
        during = "30s"
        """;

    [Fact]
    public async Task The_fit_finds_a_wakeup_that_serves_as_many_requests_out_of_turn_as_the_oracle()
    {
        // the oracle: the sim with a known wake-up time; the fit starts from exact first-in-first-out
        var truth = ScenarioLoader.Parse(Storm + "\n[memory]\naccept_wakeup = \"1ms\"\n", "truth.toml", "storm", []);
        string dir = Path.Combine(_dir, "truth");
        await HeadlessRun.RunAsync(truth, new SimEngine(), dir, "test");
        var run = RunFolder.Open(dir);
        var real = AcceptOrder.Count(run);
        Assert.True(real.OutOfTurn >= 5, $"the oracle run should serve some requests out of turn: {real}");

        var fifo = ScenarioLoader.Parse(Storm, "fifo.toml", "storm", []);
        var fit = AcceptWakeupFit.Fit(run, fifo);
        Assert.NotNull(fit.Sim);
        Assert.Equal(real, fit.Real);
        Assert.InRange(fit.Sim!.OutOfTurn, real.OutOfTurn * 0.75 - 3, real.OutOfTurn * 1.25 + 3);
        Assert.InRange(fit.Value.TotalMilliseconds, 0.4, 2.5);
        Assert.Equal(["truth"], Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName)); // the fit's sim runs write nothing

        // exact first-in-first-out fits 0 on a run that took connections in turn
        string fdir = Path.Combine(_dir, "fifo");
        await HeadlessRun.RunAsync(fifo with { Request = fifo.Request with { WorkMs = Distribution.Const(21.7) } }, new SimEngine(), fdir, "test");
        var inTurn = AcceptWakeupFit.Fit(RunFolder.Open(fdir), fifo);
        Assert.Equal(0, inTurn.Real.OutOfTurn);
        Assert.Equal(TimeSpan.Zero, inTurn.Value);
    }

    [Fact]
    public void Storm_figures_are_compared_only_where_the_real_run_recycled()
    {
        var real = new StormSummary(8, 10, 6, 1.66, null, 104, 54, 400);
        var sim = new StormSummary(8, 10, 5, 1.70, 1.7, 90, 50, 400);
        var figures = StormComparison.Compare(real, sim);
        Assert.Equal(["max_recycles_per_s", "max_starting_at_once", "pool_rss_peak_to_mean", "p99_near_recycles_ms", "p99_elsewhere_ms"],
            figures.Select(f => f.Name));
        Assert.Equal(-100.0 / 6, figures[1].DifferencePercent, 6);
        Assert.True(figures.All(f => f.Within(StormComparison.TolerancePercent)));
        Assert.False(new StormFigure("x", "x", 10, 12.5).Within(20));
        Assert.Empty(StormComparison.Compare(real with { MaxRecyclesPerSecond = 0 }, sim));
        Assert.Empty(StormComparison.Compare(null, sim));
    }
}
