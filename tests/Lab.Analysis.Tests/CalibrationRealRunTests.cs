using System.Text.Json;
using Lab.Analysis.Calibration;
using Lab.Core.Paths;
using Lab.Core.Scenarios;
using Lab.Engines;
using Lab.Results;
using Lab.Scenarios;

namespace Lab.Analysis.Tests;

/// <summary>
/// Calibration against the real stack: article-max-requests on the real php-fpm (Debian's
/// php8.2-fpm; the test fails with the install command when it is missing), calibrated: the
/// calibrated sim's largest-child RSS is within 10% of the real run's at every recycle boundary.
/// </summary>
public class CalibrationRealRunTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("leaklab-calibrate-real-").FullName;
    public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    [Fact]
    public async Task The_calibrated_sim_agrees_with_real_php_fpm_at_every_recycle_boundary()
    {
        Assert.True(Lab.PhpFpm.PhpFpmInstall.Locate() is not null,
            "php-fpm is not installed; the calibration test needs it: sudo apt-get install -y php8.2-fpm");
        // the article's third experiment, 20 requests (4 recycles) instead of 40
        var scenario = ScenarioLoader.Load("article-max-requests", ["engine=php-fpm", "iterations=20"], LabPaths.Scenarios);
        var engine = EngineFactory.Create(scenario, _ => { });
        string realDir = Path.Combine(_dir, "real");
        var (outcome, _) = await HeadlessRun.RunAsync(scenario, engine, realDir, "./run.sh article-max-requests engine=php-fpm iterations=20");
        Assert.True(outcome.Status == Lab.Core.Engines.RunStatus.Complete, outcome.Reason);

        var result = await Calibrator.RunAsync(realDir, Path.Combine(_dir, "calibrated"));

        Assert.True(result.BoundariesAreRecycles);
        Assert.True(result.Boundaries.Count >= 3, $"{result.Boundaries.Count} recycle boundaries compared");
        foreach (var b in result.Boundaries)
            Assert.True(b.Within(Calibrator.TolerancePercent),
                $"boundary {b.Index}: real {b.Real.RssKb} KiB, sim {b.Sim.RssKb} KiB ({b.DifferencePercent:0.0}%)\n{CalibrationText.Terminal(result)}");
        Assert.True(result.Agrees);

        // the leak of 4096 KiB a request shows (a page more for malloc's header, and the allocator's growth)
        Assert.InRange(result.Fit.Memory.LeakScale.Value, 0.95, 1.15);
        // a fresh php-fpm child is a few MiB
        Assert.InRange(result.Fit.Memory.ChildBaseline.Value, 2_000, 40_000);

        // the calibrated scenario runs the same thing on the sim
        var calibrated = ScenarioLoader.Load(result.ScenarioPath, [], LabPaths.Scenarios);
        Assert.Equal(EngineKind.Sim, calibrated.Engine);
        Assert.Equal(scenario.Seed, calibrated.Seed);
        Assert.Equal(scenario.Pool, calibrated.Pool);
        // the same load, after a pause as long as the real pool's start-up
        Assert.Equal(LoadPhaseKind.Pause, calibrated.Load.Phases[0].Kind);
        Assert.InRange(calibrated.Load.Phases[0].During.TotalSeconds, 0.001, 5);
        Assert.Equal(scenario.Load.Phases, calibrated.Load.Phases.Skip(1));
        Assert.Equal(scenario.Load.Iterations, calibrated.Load.Iterations);
        // a fresh child's RSS: its private baseline and the pages it shares from its start (opcache on: memory.shared)
        Assert.Equal((long)Math.Round(result.Fit.Memory.ChildBaseline.Value), calibrated.Memory.ChildBaselineKb + calibrated.Memory.SharedKb);
        Assert.True(calibrated.Memory.SharedKb > 0, "a php-fpm child shares pages (libraries, opcache) with the others");
        Assert.True(calibrated.Request.WorkMs.Mean > scenario.Request.WorkMs.Mean, "the real stack's overhead is added to the work");

        // the sim's run, the compare report, the fit's own files
        Assert.Equal("sim", RunFolder.Open(result.SimDir).Manifest.Engine);
        Assert.True(File.Exists(result.CompareHtml));
        Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(result.CompareHtml)!, "largest-child.png")));
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(result.OutDir, "calibration.json")));
        Assert.True(json.RootElement.GetProperty("agrees").GetBoolean());
        Assert.Contains("[memory]", File.ReadAllText(result.MemoryPath));
        Assert.Contains("| 1 |", File.ReadAllText(Path.Combine(result.OutDir, "calibration.md")));
    }
}
