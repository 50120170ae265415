using Lab.Analysis.Calibration;
using Lab.Core.Scenarios;
using Lab.Results;
using Lab.Scenarios;
using Lab.Sim;

namespace Lab.Analysis.Tests;

/// <summary>The cost of a new child: the simulator's model, and calibrate's fit of it against the simulator as oracle.</summary>
public class ColdStartFitTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("leaklab-coldstart-test-").FullName;
    public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    private async Task<RunFolder> Sim(string coldStart)
    {
        var s = ScenarioLoader.Parse($"""
            engine = "sim"
            seed = 5
            [pool]
            pm = "static"
            max_children = 2
            max_requests = 4
            [request]
            work = "2ms"
            wait = {"{"} dist = "uniform", min = "0ms", max = "4ms" {"}"}
            [[load.phases]]
            phase = "inject"
            rate = 10
            during = "30s"
            [memory]
            cold_start = "{coldStart}"
            """, "test.toml", "cold", []);
        string dir = Path.Combine(_dir, coldStart);
        await HeadlessRun.RunAsync(s, new SimEngine(), dir, "test");
        return RunFolder.Open(dir);
    }

    [Fact]
    public async Task A_new_childs_first_request_pays_the_cold_start_and_calibrate_finds_it()
    {
        var run = await Sim("3ms");
        var r = run.Requests;
        // every child's first request took work + wait + 3 ms; the others work + wait (an idle pool: no queueing at 10 req/s)
        var firsts = Enumerable.Range(0, r.Count).GroupBy(i => r.Pid[i]).Select(g => g.OrderBy(i => r.TStart[i]).First()).ToHashSet();
        var scenario = ScenarioLoader.Parse(run.ScenarioToml, "scenario.toml", "cold", []);
        var stream = new Lab.Core.Requests.RequestStream(scenario.Request, scenario.Seed);
        for (int i = 0; i < r.Count; i++)
        {
            if (r.TStart[i] < 0.01) continue; // the first request met the initial children still starting (spawn_time)
            var spec = stream.For(r.Id[i]);
            double extra = (r.TEnd[i] - r.TStart[i]) * 1000 - spec.WorkMs - spec.WaitMs;
            Assert.Equal(firsts.Contains(i) ? 3.0 : 0.0, extra, 3);
        }

        var (cold, ms, _) = ColdStartFit.Fit(run, scenario);
        Assert.Equal(3.0, ms.Value, 3);
        Assert.Equal(TimeSpan.FromMilliseconds(3), cold);

        var none = await Sim("0ms");
        Assert.Equal(0.0, ColdStartFit.Fit(none, ScenarioLoader.Parse(none.ScenarioToml, "scenario.toml", "cold", [])).Ms.Value, 3);
    }
}
