using Lab.Analysis.Calibration;
using Lab.Core.Scenarios;
using Lab.Results;
using Lab.Scenarios;
using Lab.Sim;

namespace Lab.Analysis.Tests;

/// <summary>
/// calibrate's fit of the shared memory (memory.shared, shared_code, shared_others, master_pss)
/// against the simulator as an oracle: a sim run with known values, fitted as if it were real,
/// gives them back, and the model with them reproduces the run's summed RSS / summed PSS.
/// </summary>
public class SharedFitTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("leaklab-sharedfit-test-").FullName;
    public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    [Theory]
    [InlineData(6000, 3000, 0.0, 4, 3UL)]
    [InlineData(7400, 2900, 1.0, 8, 5UL)]
    [InlineData(20000, 0, 2.5, 3, 9UL)]
    public async Task The_fit_gives_back_the_model_s_shared_memory(long shared, long code, double others, int children, ulong seed)
    {
        var s = ScenarioLoader.Parse($$"""
            engine = "sim"
            seed = {{seed}}
            sample_interval = "100ms"
            pss_interval = "100ms"
            [pool]
            pm = "static"
            max_children = {{children}}
            max_requests = 6
            [request]
            work = "30ms"
            [memory]
            child_baseline = "1500K"
            shared = "{{shared}}K"
            shared_code = "{{code}}K"
            shared_others = {{others}}
            master_pss = "5000K"
            [load]
            iterations = 120
            [[load.phases]]
            phase = "inject"
            rate = 20
            during = "6s"
            """, "test.toml", "shared", []);
        string dir = Path.Combine(_dir, $"s{seed}");
        await HeadlessRun.RunAsync(s, new SimEngine(), dir, "test");
        var fit = SharedFitResult.Of(RunFolder.Open(dir));
        Assert.NotNull(fit);
        Assert.Equal(shared, fit!.Shared.Value, 0);
        Assert.Equal(code, fit.SharedCode.Value, 0);
        Assert.Equal(5000, fit.MasterPss.Value, 0);
        Assert.InRange(fit.Others.Value, others - 0.05, others + 0.05);
        // the model with the fitted values is the run's own
        var m = fit.Apply(new MemoryModel { ChildBaselineKb = 1500 + shared });
        Assert.Equal((1500L, shared, code), (m.ChildBaselineKb, m.SharedKb, m.SharedCodeKb));
    }

    [Fact]
    public async Task A_run_without_pss_has_no_shared_fit()
    {
        var s = ScenarioLoader.Parse("""
            engine = "sim"
            pss_interval = "1s"
            [[load.phases]]
            phase = "inject"
            rate = 2
            during = "3s"
            """, "test.toml", "x", []);
        string dir = Path.Combine(_dir, "rss");
        await HeadlessRun.RunAsync(s, new SimEngine(), dir, "test");
        // samples.csv without its PSS columns: a folder written before them (or an RSS-only log)
        string samples = Path.Combine(dir, "samples.csv");
        var lines = File.ReadAllLines(samples).Select(l => string.Join(',', l.Split(',').Take(8)));
        File.WriteAllLines(samples, lines);
        Assert.Null(SharedFitResult.Of(RunFolder.Open(dir)));
    }
}
