using Lab.Core.Engines;
using Lab.Core.Records;
using Lab.Results.Formats;

namespace Lab.Results.Tests;

public class RunFolderTests
{
    /// <summary>Feeds the small run to a writer and to a recorder at once, completes it, opens the folder.</summary>
    private static (RunFolder Folder, Recorder Given, Summary Written) WriteAndOpen(TempDir tmp, RunOutcome? outcome = null)
    {
        var given = new Recorder();
        using var w = Runs.Create(tmp.Run());
        Runs.FeedSmallRun(new Tee(w, given));
        var summary = w.Complete(outcome ?? RunOutcome.Complete, Runs.Manifest());
        return (RunFolder.Open(w.Directory), given, summary);
    }

    [Fact]
    public void Round_trip_gives_back_what_the_engine_gave()
    {
        using var tmp = new TempDir();
        var (f, given, written) = WriteAndOpen(tmp);

        Assert.Equal(given.Samples, Enumerable.Range(0, f.Samples.Count).Select(i => f.Samples[i]));
        Assert.Equal(given.Events, f.Events);
        Assert.Equal(given.Requests.Count, f.Requests.Count);
        for (int i = 0; i < given.Requests.Count; i++)
        {
            var g = given.Requests[i];
            var r = f.Requests[i];
            if (g.Dropped)
            {
                Assert.Equal((g.Id, g.TIntended, 0, g.Status, g.LeakKb, g.TransientKb), (r.Id, r.TIntended, r.Pid, r.Status, r.LeakKb, r.TransientKb));
                Assert.True(double.IsNaN(r.TStart) && double.IsNaN(r.TEnd) && double.IsNaN(r.LatencyMs));
            }
            else Assert.Equal(g, r);
        }
        Assert.Equal(written.ToJson(), f.Summary!.ToJson());
        Assert.Equal(Runs.Toml, f.ScenarioToml);
        Assert.Equal((Runs.Manifest() with { EndUtc = f.Manifest.EndUtc, Status = RunStatus.Complete }).ToJson(), f.Manifest.ToJson());
        Assert.Equal(Runs.Manifest().Versions, f.Manifest.Versions);
        Assert.Equal(Runs.Manifest().Machine, f.Manifest.Machine);
        Assert.NotNull(f.Manifest.EndUtc);
        Assert.Equal(ResultsFiles.FormatTag, f.Manifest.Format);
        Assert.Empty(f.Notes);
    }

    [Fact]
    public void Fpm_log_and_processes_are_recovered()
    {
        using var tmp = new TempDir();
        var (f, given, _) = WriteAndOpen(tmp);
        Assert.Equal("[01-Jan-2026 00:00:00] NOTICE: fpm is running, pid 100", f.FpmLog[0]);
        Assert.Equal("[04-Mar-2026 10:11:22] NOTICE: a raw line, verbatim", f.FpmLog[^1]);
        Assert.DoesNotContain(f.FpmLog, l => l.Contains("a debug line"));

        var master = f.Processes.Single(p => p.Pid == Runs.MasterPid);
        Assert.Equal((ProcessRole.Master, "root", "php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)", 0.0),
            (master.Role, master.User, master.Command, master.StartT));
        // every sampled child, with its spawn time and the master as parent
        var sampled = given.Samples.Where(s => s.Role == ProcessRole.Child).Select(s => s.Pid).Distinct().ToList();
        Assert.True(sampled.Count >= 3);
        foreach (int pid in sampled)
        {
            var p = f.Processes.Single(x => x.Pid == pid);
            var introduced = given.Processes.Single(x => x.Pid == pid);
            Assert.Equal(introduced with { StartT = Math.Round(introduced.StartT, 6) }, p);
        }
    }

    [Fact]
    public void An_incomplete_run_says_so_with_its_reason()
    {
        using var tmp = new TempDir();
        var (f, _, written) = WriteAndOpen(tmp, new RunOutcome(RunStatus.Incomplete, "cancelled by the user (Ctrl-C) at t=10.0s"));
        Assert.Equal(RunStatus.Incomplete, f.Manifest.Status);
        Assert.Equal("cancelled by the user (Ctrl-C) at t=10.0s", f.Manifest.Reason);
        Assert.Equal(RunStatus.Incomplete, written.Status);
        Assert.Contains("\"status\": \"incomplete\"", File.ReadAllText(f.PathOf("manifest.json")));
        Assert.Contains("\"status\": \"incomplete\"", File.ReadAllText(f.PathOf("summary.json")));
    }

    [Fact]
    public void A_failed_run_without_a_reason_still_gets_one()
    {
        using var tmp = new TempDir();
        var (f, _, _) = WriteAndOpen(tmp, new RunOutcome(RunStatus.Failed));
        Assert.Equal(RunStatus.Failed, f.Manifest.Status);
        Assert.False(string.IsNullOrWhiteSpace(f.Manifest.Reason));
    }

    [Fact]
    public void Outcome_versions_are_added_to_the_manifest()
    {
        using var tmp = new TempDir();
        var (f, _, _) = WriteAndOpen(tmp, new RunOutcome(RunStatus.Complete, Versions: new Dictionary<string, string> { ["php-fpm"] = "8.2.29" }));
        Assert.Equal("8.2.29", f.Manifest.Versions["php-fpm"]);
        Assert.Equal("0.1.0", f.Manifest.Versions["lab"]);
    }

    [Fact]
    public void The_manifest_says_incomplete_until_Complete_is_called()
    {
        using var tmp = new TempDir();
        using var w = Runs.Create(tmp.Run());
        Runs.FeedSmallRun(w);
        var during = RunFolder.Open(w.Directory); // the writer is still open
        Assert.Equal(RunStatus.Incomplete, during.Manifest.Status);
        Assert.Equal(Manifest.RunningReason, during.Manifest.Reason);
        Assert.Null(during.Manifest.EndUtc);
        Assert.Null(during.Summary);
        w.Complete(RunOutcome.Complete, Runs.Manifest());
        var after = RunFolder.Open(w.Directory);
        Assert.Equal(RunStatus.Complete, after.Manifest.Status);
        Assert.Null(after.Manifest.Reason);
        Assert.NotNull(after.Summary);
    }

    [Fact]
    public void Disposing_without_Complete_leaves_an_honest_incomplete_folder()
    {
        using var tmp = new TempDir();
        string dir;
        using (var w = Runs.Create(tmp.Run()))
        {
            Runs.FeedSmallRun(w);
            dir = w.Directory;
        }
        var f = RunFolder.Open(dir);
        Assert.Equal(RunStatus.Incomplete, f.Manifest.Status);
        Assert.Equal(ResultsWriter.AbandonedReason, f.Manifest.Reason);
        Assert.Null(f.Summary);
        Assert.Equal(20, f.Requests.Count); // the data is all there
        Assert.Contains(f.Notes, n => n.Contains("summary.json"));
        // the figures can still be computed from the files, and agree with what a writer would have said
        var computed = f.SummaryOrComputed(out bool wasComputed);
        Assert.True(wasComputed);
        var b = new SummaryBuilder(Runs.Header());
        Runs.FeedSmallRun(b);
        var direct = b.Build(new RunOutcome(RunStatus.Incomplete, ResultsWriter.AbandonedReason));
        Assert.Equal(RunStatus.Incomplete, computed.Status);
        Assert.Equal((direct.RequestsTotal, direct.RequestsOk, direct.Dropped, direct.Recycles, direct.ChildrenSpawned, direct.PeakPoolRssKb, direct.FinalPoolRssKb, direct.PeakChildRssKb),
            (computed.RequestsTotal, computed.RequestsOk, computed.Dropped, computed.Recycles, computed.ChildrenSpawned, computed.PeakPoolRssKb, computed.FinalPoolRssKb, computed.PeakChildRssKb));
        Assert.Equal(direct.LeakKbPerRequest, computed.LeakKbPerRequest);
        Assert.Equal(direct.LatencyMs!.P50, computed.LatencyMs!.P50, 2);
    }

    [Fact]
    public void Flush_every_tick_puts_rows_on_disk_before_Complete()
    {
        using var tmp = new TempDir();
        using var real = Runs.Create(tmp.Run("real"), Runs.Header(flushEveryTick: true));
        using var sim = Runs.Create(tmp.Run("sim"), Runs.Header(flushEveryTick: false));
        foreach (var w in new[] { real, sim })
        {
            w.Process(new ProcessInfo(7, ProcessRole.Child, "nobody", "php-fpm: pool www", 0));
            w.Sample(new Sample(1, 7, ProcessRole.Child, 7148, 60604, 0, 'S', 0));
            w.Request(new RequestRecord(0, 0.5, 0.5, 0.51, 7, 200, 10, 812, 0));
            w.Event(new PoolEvent(0.2, EventNames.Spawn, 7, ""));
            w.Log(0.2, FpmLogLevel.Notice, "[pool www] child 7 started");
            w.EndTick(1);
        }
        static string Read(ResultsWriter w, string name)
        {
            using var s = new FileStream(Path.Combine(w.Directory, name), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return new StreamReader(s).ReadToEnd();
        }
        // the real engine's files are readable at once...
        Assert.Equal(ResultsFiles.SamplesHeader + "\n1.000,7,child,7148,60604,0.00,S,0,,,\n", Read(real, "samples.csv"));
        Assert.Contains("0,0.500000,0.500000,0.510000,7,200,10.000,812,0,,\n", Read(real, "requests.csv"));
        Assert.Contains("spawn", Read(real, "events.csv"));
        Assert.Contains("child 7 started", Read(real, "fpm.log"));
        Assert.Contains("php-fpm: pool www", Read(real, "ps.log"));
        var live = RunFolder.Open(real.Directory);
        Assert.Equal(1, live.Samples.Count);
        Assert.Equal(1, live.Requests.Count);
        // ...the sim's only have their headers until the end (they buffer)
        Assert.Equal(ResultsFiles.SamplesHeader + "\n", Read(sim, "samples.csv"));
        sim.Complete(RunOutcome.Complete, Runs.Manifest());
        Assert.Equal(Read(real, "samples.csv"), Read(sim, "samples.csv"));
    }

    [Fact]
    public void A_torn_last_line_is_ignored_in_every_file()
    {
        using var tmp = new TempDir();
        var (f0, _, _) = WriteAndOpen(tmp);
        File.AppendAllText(f0.PathOf("samples.csv"), "11.000,105,chi");
        File.AppendAllText(f0.PathOf("requests.csv"), "20,9.99");
        File.AppendAllText(f0.PathOf("events.csv"), "10.5,action,0,\"half a quoted\ndetail");
        File.AppendAllText(f0.PathOf("fpm.log"), "[01-Jan-2026 00:00:11] NOT");
        File.AppendAllText(f0.PathOf("ps.log"), "# t=11.000s 2026-01-01 00:00:11 UTC\nUSER       PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\nnobody     105  0.0  0.0  6");
        var f = RunFolder.Open(f0.Directory);
        Assert.Equal(f0.Samples.Count, f.Samples.Count);
        Assert.Equal(f0.Requests.Count, f.Requests.Count);
        Assert.Equal(f0.Events, f.Events);
        Assert.Equal(f0.FpmLog, f.FpmLog);
        Assert.Equal(f0.Processes, f.Processes);
        Assert.Equal(5, f.Notes.Count(n => n.Contains("last line was cut")));
    }

    [Fact]
    public void A_corrupt_line_in_the_middle_names_file_and_line()
    {
        using var tmp = new TempDir();
        var (f0, _, _) = WriteAndOpen(tmp);
        string path = f0.PathOf("samples.csv");
        var lines = File.ReadAllLines(path);
        lines[3] = lines[3].Replace(",child,", ",chlid,").Replace(",master,", ",mastr,");
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        var e = Assert.Throws<ResultsFormatException>(() => RunFolder.Open(f0.Directory));
        Assert.Equal(path, e.File);
        Assert.Equal(4, e.Line);
        Assert.StartsWith(path + ":4: role", e.Message);
    }

    [Theory]
    [InlineData("requests.csv", 5, "12.5x", "t_intended_s")]
    [InlineData("requests.csv", 1, null, "header")]
    [InlineData("events.csv", 3, "x", "t_s")]
    public void Corrupt_lines_in_other_files_are_reported_too(string file, int line, string? badFirstField, string what)
    {
        using var tmp = new TempDir();
        var (f0, _, _) = WriteAndOpen(tmp);
        string path = f0.PathOf(file);
        var lines = File.ReadAllLines(path);
        if (badFirstField is null) lines[line - 1] = lines[line - 1].Replace("t_", "T_");
        else
        {
            var fields = lines[line - 1].Split(',');
            fields[file == "requests.csv" ? 1 : 0] = badFirstField;
            lines[line - 1] = string.Join(",", fields);
        }
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        var e = Assert.Throws<ResultsFormatException>(() => RunFolder.Open(f0.Directory));
        Assert.Equal(path, e.File);
        Assert.Equal(line, e.Line);
        Assert.Contains(what, e.Problem);
    }

    [Fact]
    public void A_corrupt_manifest_is_reported_with_its_file()
    {
        using var tmp = new TempDir();
        var (f0, _, _) = WriteAndOpen(tmp);
        File.WriteAllText(f0.PathOf("manifest.json"), "{\n  \"format\": \"leaklab-results/1\",\n  \"engine\": \n}");
        var e = Assert.Throws<ResultsFormatException>(() => RunFolder.Open(f0.Directory));
        Assert.Equal(f0.PathOf("manifest.json"), e.File);
        Assert.Equal(4, e.Line);
    }

    [Fact]
    public void A_missing_folder_is_a_clear_error()
    {
        using var tmp = new TempDir();
        string missing = tmp.Run("nope");
        var e = Assert.Throws<ResultsFormatException>(() => RunFolder.Open(missing));
        Assert.Equal(missing, e.File);
        Assert.Null(e.Line);
        Assert.Contains("no such results folder", e.Message);
    }

    [Fact]
    public void A_folder_that_is_not_a_run_is_a_clear_error()
    {
        using var tmp = new TempDir();
        string dir = tmp.Run("other");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "hello");
        var e = Assert.Throws<ResultsFormatException>(() => RunFolder.Open(dir));
        Assert.Contains("not a Leak Lab results folder", e.Message);
        Assert.Contains("manifest.json", e.Message);
        Assert.Contains("samples.csv", e.Message);

        File.WriteAllText(Path.Combine(dir, "manifest.json"), Runs.Manifest().ToJson());
        e = Assert.Throws<ResultsFormatException>(() => RunFolder.Open(dir));
        Assert.Contains("no samples.csv", e.Message);
        Assert.DoesNotContain("no manifest.json", e.Message);
    }

    [Fact]
    public void A_folder_killed_right_after_creation_reads_as_an_empty_incomplete_run()
    {
        using var tmp = new TempDir();
        using var w = Runs.Create(tmp.Run());
        var f = RunFolder.Open(w.Directory);
        Assert.Equal(0, f.Samples.Count);
        Assert.Equal(0, f.Requests.Count);
        Assert.Empty(f.Events);
        Assert.Equal(RunStatus.Incomplete, f.Manifest.Status);
        Assert.Equal(0, f.ComputeSummary().RequestsTotal);
    }

    [Fact]
    public void Writing_is_deterministic()
    {
        using var tmp = new TempDir();
        string[] dirs = ["a", "b"];
        foreach (var d in dirs)
        {
            using var w = Runs.Create(tmp.Run(d));
            Runs.FeedSmallRun(w);
            w.Complete(RunOutcome.Complete, Runs.Manifest() with { EndUtc = Runs.Epoch });
        }
        foreach (var file in Directory.GetFiles(tmp.Run("a")).Select(Path.GetFileName))
            Assert.Equal(File.ReadAllBytes(Path.Combine(tmp.Run("a"), file!)), File.ReadAllBytes(Path.Combine(tmp.Run("b"), file!)));
    }

    [Fact]
    public void Large_files_read_back_row_for_row_across_read_chunks()
    {
        using var tmp = new TempDir();
        using var w = Runs.Create(tmp.Run());
        var rnd = new Random(5);
        var samples = new List<Sample>();
        var requests = new List<RequestRecord>();
        // a command line longer than the reader's 1 MiB chunk, in ps.log
        // (sampled at one tick only)
        string hugeCommand = "php-fpm: pool " + new string('w', 1_500_000);
        w.Process(new ProcessInfo(1, ProcessRole.Master, "root", hugeCommand, 0));
        var once = new Sample(0, 1, ProcessRole.Master, 16008, 60284, 0, 'S', 0);
        w.Sample(once);
        w.EndTick(0);
        samples.Add(once);
        for (int k = 0; k < 20_000; k++)
        {
            double t = 1 + k * 0.25;
            for (int c = 1; c < 4; c++)
            {
                var s = new Sample(t, 1 + c, ProcessRole.Child, rnd.Next(1000, 3_000_000),
                    rnd.Next(50_000, 9_000_000), Math.Round(k * 0.01, 2), c == 2 ? 'R' : 'S', k);
                samples.Add(s);
                w.Sample(s);
            }
            w.EndTick(t);
            double ti = Math.Round(t + 0.125, 6), ts = Math.Round(ti + rnd.Next(0, 1000) / 1e6, 6), te = Math.Round(ts + rnd.Next(1, 100_000) / 1e6, 6);
            var r = new RequestRecord(k, ti, ts, te, 2, 200, Math.Round((te - ti) * 1000, 3), rnd.Next(0, 2000), rnd.Next(0, 9000));
            requests.Add(r);
            w.Request(r);
        }
        w.Complete(RunOutcome.Complete, Runs.Manifest());
        Assert.True(new FileInfo(Path.Combine(w.Directory, "samples.csv")).Length > 2 << 20);
        Assert.True(new FileInfo(Path.Combine(w.Directory, "requests.csv")).Length > 1 << 20);

        var f = RunFolder.Open(w.Directory);
        Assert.Equal(samples.Count, f.Samples.Count);
        for (int i = 0; i < samples.Count; i++) Assert.Equal(samples[i], f.Samples[i]);
        Assert.Equal(requests.Count, f.Requests.Count);
        for (int i = 0; i < requests.Count; i++) Assert.Equal(requests[i], f.Requests[i]);
        Assert.Equal(hugeCommand, f.Processes.Single(p => p.Pid == 1).Command);
        Assert.Equal([1, 2, 3, 4], f.Processes.Select(p => p.Pid));
    }

    [Fact]
    public void Live_stats_follow_the_run()
    {
        using var tmp = new TempDir();
        using var w = Runs.Create(tmp.Run());
        Assert.True(double.IsNaN(w.Live.LastTickT));
        Runs.FeedSmallRun(w);
        var live = w.Live;
        Assert.Equal(10, live.LastTickT);
        Assert.Equal(2, live.LastTickSamples.Count);
        Assert.Equal(20, live.Requests);
        Assert.Equal(18, live.RequestsOk);
        Assert.Equal(1, live.Dropped);
        Assert.Equal(1, live.RequestsByStatus[500]);
        Assert.Equal(5, live.ChildrenSpawned);
        Assert.Equal(3, live.Recycles);
        Assert.Equal(live.LastTickSamples.Sum(s => s.RssKb), live.PoolRssKb);
    }

    [Fact]
    public void Manifest_for_this_machine_fills_machine_and_versions()
    {
        var m = Manifest.ForThisMachine("dotnet", "article-growth", 3, "./run.sh article-growth", DateTime.UtcNow,
            new Dictionary<string, string> { ["nginx"] = "1.22.1" });
        Assert.Equal(Environment.ProcessorCount, m.Machine.Cores);
        Assert.True(m.Machine.MemTotalKb > 0);
        Assert.False(string.IsNullOrEmpty(m.Machine.Kernel));
        Assert.Equal(Environment.Version.ToString(), m.Versions["dotnet"]);
        Assert.True(m.Versions.ContainsKey("lab"));
        Assert.Equal("1.22.1", m.Versions["nginx"]);
        Assert.Equal(RunStatus.Incomplete, m.Status);
        var back = Manifest.FromJson(m.ToJson());
        Assert.Equal(m.ToJson(), back.ToJson());
    }

    /// <summary>Keeps what it is given (the engine's side of a round trip).</summary>
    private sealed class Recorder : IRunSink
    {
        public List<Sample> Samples { get; } = new();
        public List<PoolEvent> Events { get; } = new();
        public List<RequestRecord> Requests { get; } = new();
        public List<ProcessInfo> Processes { get; } = new();
        public void Process(ProcessInfo process) => Processes.Add(process);
        public void Sample(in Sample sample) => Samples.Add(sample);
        public void EndTick(double t) { }
        public void Event(in PoolEvent e) => Events.Add(e);
        public void Request(in RequestRecord r) => Requests.Add(r);
        public void Log(double t, FpmLogLevel level, string message) { }
        public void RawLog(string line) { }
    }

    private sealed class Tee(IRunSink a, IRunSink b) : IRunSink
    {
        public void Process(ProcessInfo process) { a.Process(process); b.Process(process); }
        public void Sample(in Sample sample) { a.Sample(sample); b.Sample(sample); }
        public void EndTick(double t) { a.EndTick(t); b.EndTick(t); }
        public void Event(in PoolEvent e) { a.Event(e); b.Event(e); }
        public void Request(in RequestRecord r) { a.Request(r); b.Request(r); }
        public void Log(double t, FpmLogLevel level, string message) { a.Log(t, level, message); b.Log(t, level, message); }
        public void RawLog(string line) { a.RawLog(line); b.RawLog(line); }
    }
}

public class AppendedColumnsTests
{
    [Fact]
    public void New_columns_round_trip_and_folders_written_before_them_still_read()
    {
        using var tmp = new TempDir();
        string dir;
        using (var w = Runs.Create(tmp.Run()))
        {
            w.Sample(new Sample(1, 7, ProcessRole.Child, 9000, 60000, 0.5, 'S', 2, PssKb: 4000, UssKb: 3000, SwapKb: 12));
            w.Sample(new Sample(1, 6, ProcessRole.Master, 16000, 60000, 0.1, 'S', 0));
            w.EndTick(1);
            w.Request(new RequestRecord(1, 0.5, 0.5, 0.6, 7, 200, 100, 10, 20, RssKb: 9004, Kind: "page"));
            w.Request(new RequestRecord(2, 0.7, 0.7, 0.8, 7, 200, 100, 10, 20));
            w.Complete(RunOutcome.Complete, Runs.Manifest());
            dir = w.Directory;
        }
        var run = RunFolder.Open(dir);
        Assert.Equal(new Sample(1, 7, ProcessRole.Child, 9000, 60000, 0.5, 'S', 2, 4000, 3000, 12), run.Samples[0]);
        Assert.Equal(-1, run.Samples.PssKb[1]);
        Assert.True(run.Samples.HasPss);
        Assert.Equal(9004, run.Requests.RssKb[0]);
        Assert.Equal("page", run.Requests.Kind[0]);
        Assert.Equal(-1, run.Requests.RssKb[1]);
        Assert.Null(run.Requests.Kind[1]);

        // the same folder as the first round wrote it: the old headers, rows without the new fields
        File.WriteAllText(Path.Combine(dir, "samples.csv"), "t_s,pid,role,rss_kb,vsz_kb,cpu_s,state,requests\n1.000,7,child,9000,60000,0.50,S,2\n");
        File.WriteAllText(Path.Combine(dir, "requests.csv"), "id,t_intended_s,t_start_s,t_end_s,pid,status,latency_ms,leak_kb,transient_kb\n1,0.500000,0.500000,0.600000,7,200,100.000,10,20\n");
        var old = RunFolder.Open(dir);
        Assert.Equal(-1, old.Samples.PssKb[0]);
        Assert.False(old.Samples.HasPss);
        Assert.Equal(-1, old.Requests.RssKb[0]);
        Assert.False(old.Requests.HasRss);
        Assert.Equal(9000, old.Samples.RssKb[0]);
    }
}
