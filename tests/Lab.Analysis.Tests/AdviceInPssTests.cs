using Lab.Analysis.Advice;
using Lab.Analysis.Calibration;
using Lab.Results;
using Lab.Scenarios;
using Lab.Sim;

namespace Lab.Analysis.Tests;

/// <summary>
/// advise in private and shared memory, with the simulator as the oracle: a pool whose children
/// share 24 MiB fits more children in the same ram than the RSS formula allows, both are given,
/// and the fit's S is what the sim's children pay for their shared pages; without PSS (an
/// RSS-only folder) the advice is in RSS and says it is conservative.
/// </summary>
public class AdviceInPssTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("leaklab-advice-pss-test-").FullName;
    public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    private async Task<RunFolder> Run(string name, bool stripPss)
    {
        var s = ScenarioLoader.Parse("""
            engine = "sim"
            seed = 4
            sample_interval = "100ms"
            pss_interval = "100ms"
            [pool]
            pm = "static"
            max_children = 4
            [request]
            leak = "64K"
            work = "20ms"
            [memory]
            child_baseline = "2M"
            shared = "24M"
            master_pss = "4M"
            [load]
            iterations = 400
            [[load.phases]]
            phase = "inject"
            rate = 40
            during = "10s"
            """, "test.toml", "shared", []);
        string dir = Path.Combine(_dir, name);
        await HeadlessRun.RunAsync(s, new SimEngine(), dir, "test");
        if (stripPss)
        {
            string samples = Path.Combine(dir, "samples.csv");
            File.WriteAllLines(samples, File.ReadAllLines(samples).Select(l => string.Join(',', l.Split(',').Take(8))));
        }
        return RunFolder.Open(dir);
    }

    [Fact]
    public async Task More_children_fit_in_what_the_host_pays_than_by_the_RSS_formula()
    {
        var run = await Run("pss", stripPss: false);
        var request = new AdviceRequest(512 * 1024, true, 0.2, null);
        var (fit, advice, _, _) = AdviseRun.Prepare(run, request);
        Assert.True(fit.InPss);
        // the children pay the 24 MiB once (4 children, nothing else maps them)
        Assert.InRange(fit.Shared!.Value, 24 * 1024 - 8, 24 * 1024 + 8);
        Assert.InRange(fit.Baseline.Value, 2048 - 8, 2048 + 8); // B_private: a fresh child's USS
        Assert.Equal(4096, fit.Master.Value, 0);
        var rss = Assert.IsType<Lab.Analysis.Advice.Advice>(advice.RssBased);
        Assert.True(rss.Fit.Baseline.Value >= 2048 + 24 * 1024 - 8, "the RSS formula counts the shared pages in every child");
        Assert.True(advice.ForRam!.MaxChildren > rss.ForRam!.MaxChildren, $"{advice.ForRam.MaxChildren} against {rss.ForRam.MaxChildren}");
        var lines = AdviceText.RssBeside(advice);
        Assert.Contains(lines, l => l.StartsWith("it would advise:", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains($"{advice.ForRam.MaxChildren} children fit where the RSS formula allows {rss.ForRam.MaxChildren}"));
    }

    [Fact]
    public async Task Without_pss_the_advice_is_in_rss_and_says_it_is_conservative()
    {
        var run = await Run("rss", stripPss: true);
        var (fit, advice, _, _) = AdviseRun.Prepare(run, new AdviceRequest(512 * 1024, true, 0.2, null));
        Assert.False(fit.InPss);
        Assert.Null(advice.RssBased);
        Assert.Contains(fit.Notes, n => n.Contains("shared memory cannot be separated") && n.Contains("conservative"));
    }
}
