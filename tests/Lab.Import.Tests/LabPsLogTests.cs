using Lab.Core.Engines;
using Lab.Core.Paths;
using Lab.Core.Records;
using Lab.Import.Following;
using Lab.Results;
using Lab.Results.Formats;
using Lab.Scenarios;
using Lab.Sim;

namespace Lab.Import.Tests;

/// <summary>The lab's own ps.log imports back to the samples it was written from.</summary>
public class LabPsLogTests
{
    /// <summary>Runs scenarios/article-max-requests.toml in the simulator into a results folder.</summary>
    private static RunFolder SimRun(TempDir tmp)
    {
        var scenario = ScenarioLoader.Load("article-max-requests", ["engine=sim"], LabPaths.Scenarios);
        var header = new RunHeader(scenario.Name, "sim", scenario.Seed, SimEngine.Epoch, scenario.Memory.HostMemKb,
            scenario.LogLevel, scenario.RunLength.TotalSeconds, FlushEveryTick: false);
        var manifest = Manifest.ForThisMachine("sim", scenario.Name, scenario.Seed, "test", DateTime.UtcNow);
        string dir = tmp.Path("sim");
        using (var writer = ResultsWriter.Create(dir, header, ScenarioWriter.ToToml(scenario), manifest))
        {
            var outcome = SimEngine.Run(scenario, writer, CancellationToken.None);
            writer.Complete(outcome, manifest);
        }
        return RunFolder.Open(dir);
    }

    [Fact]
    public void A_simulated_runs_ps_log_imports_back_to_its_samples()
    {
        using var tmp = new TempDir();
        var sim = SimRun(tmp);
        var imported = PsLogImport.Read(sim.PathOf(ResultsFiles.PsLog), Imports.Options);
        Assert.Equal(TimeSource.LabPsLog, imported.Log.TimeSource);
        Assert.Equal(SimEngine.Epoch, imported.Log.EpochUtc);
        Assert.Equal(0, imported.Log.Counts.TextLines);

        var samples = imported.Run.Ticks.SelectMany(t => t.Samples).ToList();
        var s = sim.Samples;
        Assert.True(s.Count > 100, $"the sim run should have many samples, has {s.Count}");
        Assert.Equal(s.Count, samples.Count);
        for (int i = 0; i < s.Count; i++)
        {
            var a = samples[i];
            Assert.Equal((s.T[i], s.Pid[i], s.Role[i], s.RssKb[i], s.VszKb[i], s.State[i]), (a.T, a.Pid, a.Role, a.RssKb, a.VszKb, a.State));
            Assert.Equal(Math.Floor(s.CpuS[i]), a.CpuS); // ps's TIME column keeps whole seconds
        }

        // One child at a time, recycled by max_requests: every child PID but the last vanished as a new one appeared —
        // gone, cause unknown (ps does not say pm.max_requests did it).
        int childPids = s.Pid.Where((p, i) => s.Role[i] == ProcessRole.Child).Distinct().Count();
        Assert.Equal(childPids - 1, imported.Run.Stats.Replaced);
        Assert.Equal(childPids - 1, imported.Run.Stats.Gone);
    }

    [Fact]
    public void The_imported_folder_has_the_same_samples_and_a_comparable_leak_fit()
    {
        using var tmp = new TempDir();
        var sim = SimRun(tmp);
        var imported = PsLogImport.Read(sim.PathOf(ResultsFiles.PsLog), Imports.Options);
        var result = PsLogImport.Write(imported, tmp.Path("import"), "./run.sh import ps.log", Imports.Options);
        var folder = RunFolder.Open(result.Directory);
        Assert.Equal(sim.Samples.T, folder.Samples.T);
        Assert.Equal(sim.Samples.Pid, folder.Samples.Pid);
        Assert.Equal(sim.Samples.RssKb, folder.Samples.RssKb);
        // ps.log re-rendered from the imported samples reads like the original (same processes, same RSS).
        var original = File.ReadAllLines(sim.PathOf(ResultsFiles.PsLog)).Where(l => !l.StartsWith('#')).Select(l => PsAux.Parse(l)).Where(p => p is not null).ToList();
        var again = File.ReadAllLines(folder.PathOf(ResultsFiles.PsLog)).Where(l => !l.StartsWith('#')).Select(l => PsAux.Parse(l)).Where(p => p is not null).ToList();
        Assert.Equal(original.Select(p => (p!.Pid, p.RssKb, p.VszKb, p.Stat, p.Command, p.User)), again.Select(p => (p!.Pid, p.RssKb, p.VszKb, p.Stat, p.Command, p.User)));
        // The sim sampled 4 times per request (every 250ms at 2 req/s): per observation, the leak is about a quarter to a half of per request.
        double perRequest = sim.Summary!.LeakKbPerRequest!.Value;
        double perObservation = folder.Summary!.LeakKbPerRequest!.Value;
        Assert.InRange(perObservation / perRequest, 0.2, 0.6);
    }

    [Fact]
    public void A_ps_log_of_the_dotnet_engine_lab_fpm_imports()
    {
        using var tmp = new TempDir();
        string dir = tmp.Path("dotnet");
        var epoch = new DateTime(2026, 2, 3, 10, 0, 0, 500, DateTimeKind.Utc);
        var header = new RunHeader("t", "dotnet", 1, epoch, 16_000_000, FpmLogLevel.Notice, 10, FlushEveryTick: true);
        var expected = new List<Sample>();
        using (var w = ResultsWriter.Create(dir, header, "", Manifest.ForThisMachine("dotnet", "t", 1, "test", epoch)))
        {
            w.Process(new ProcessInfo(500, ProcessRole.Master, "root", "lab-fpm: master process (/tmp/lab/pool.conf)", 0));
            int child = 501;
            for (int tick = 0; tick < 12; tick++)
            {
                double t = tick * 0.5;
                if (tick % 4 == 0)
                {
                    if (tick > 0) child += 3;
                    w.Process(new ProcessInfo(child, ProcessRole.Child, "nobody", "lab-fpm: pool www", t, 500));
                }
                var m = new Sample(t, 500, ProcessRole.Master, 9000, 200000, 0, 'S', 0);
                var c = new Sample(t, child, ProcessRole.Child, 6000 + 2048L * (tick % 4), 210000 + tick, tick, tick % 3 == 0 ? 'R' : 'S', tick % 4);
                w.Sample(m); w.Sample(c); w.EndTick(t);
                expected.Add(m); expected.Add(c);
            }
            w.Complete(RunOutcome.Complete, Manifest.ForThisMachine("dotnet", "t", 1, "test", epoch));
        }
        var imported = PsLogImport.Read(Path.Combine(dir, ResultsFiles.PsLog), Imports.Options);
        var got = imported.Run.Ticks.SelectMany(t => t.Samples).ToList();
        Assert.Equal(expected.Select(s => (s.T, s.Pid, s.Role, s.RssKb, s.VszKb, s.CpuS, s.State)), got.Select(s => (s.T, s.Pid, s.Role, s.RssKb, s.VszKb, s.CpuS, s.State)));
        Assert.Equal(epoch, imported.Log.EpochUtc); // the half second recovered from the "# t=" lines' bounds
        Assert.Equal(2, imported.Run.Stats.Replaced);
        Assert.Equal(Lab.Core.Scenarios.EngineKind.Dotnet, imported.Scenario.Engine);
        Assert.Equal(2048, imported.Run.Stats.LeakKb, 6);
    }
}
