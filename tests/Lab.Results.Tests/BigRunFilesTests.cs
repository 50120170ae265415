using System.IO.Compression;
using Lab.Core.Engines;
using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.Results.Formats;
using Lab.Results.Planning;

namespace Lab.Results.Tests;

/// <summary>
/// Large runs on disk: gzipped requests.csv, samples.csv and ps.log hold exactly the rows the
/// plain files would (gunzip gives the same bytes; the lab's reader the same records), a folder
/// cut by a kill still reads, records = "summary" keeps per-second and per-PID aggregates that
/// add up to the requests fed, (a full disk: tests/Lab.Cli.Tests/FailurePathTests).
/// </summary>
public class BigRunFilesTests
{
    private static string Gunzip(string path)
    {
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var r = new StreamReader(gz);
        return r.ReadToEnd();
    }

    [Fact]
    public void Gzipped_files_hold_the_same_rows_as_plain_ones()
    {
        using var tmp = new TempDir();
        using (var plain = Runs.Create(tmp.Run("plain")))
        {
            Runs.FeedSmallRun(plain);
            plain.Complete(RunOutcome.Complete, Runs.Manifest());
        }
        using (var gz = Runs.Create(tmp.Run("gz"), Runs.Header() with { Compress = true }))
        {
            Runs.FeedSmallRun(gz);
            gz.Complete(RunOutcome.Complete, Runs.Manifest());
        }
        foreach (var name in new[] { ResultsFiles.Requests, ResultsFiles.Samples, ResultsFiles.PsLog })
        {
            Assert.False(File.Exists(Path.Combine(tmp.Run("gz"), name)), name + " written plain in a compressed run");
            Assert.Equal(File.ReadAllText(Path.Combine(tmp.Run("plain"), name)), Gunzip(Path.Combine(tmp.Run("gz"), name + ".gz")));
        }
        var a = RunFolder.Open(tmp.Run("plain"));
        var b = RunFolder.Open(tmp.Run("gz"));
        Assert.Equal(a.Requests.Count, b.Requests.Count);
        Assert.Equal(a.Requests.LatencyMs, b.Requests.LatencyMs);
        Assert.Equal(a.Samples.RssKb, b.Samples.RssKb);
        Assert.Equal(a.Processes.Select(p => p.Command), b.Processes.Select(p => p.Command));
        var streamed = new List<RequestRecord>();
        b.ForEachRequest(streamed.Add);
        Assert.Equal(a.Requests.Count, streamed.Count);
        Assert.Equal(a.RequestOverview, b.RequestOverview);
    }

    [Fact]
    public void A_gzipped_folder_cut_by_a_kill_still_reads()
    {
        using var tmp = new TempDir();
        using (var gz = Runs.Create(tmp.Run("gz"), Runs.Header(flushEveryTick: true) with { Compress = true }))
        {
            Runs.FeedSmallRun(gz);
            gz.Complete(RunOutcome.Complete, Runs.Manifest());
        }
        string requests = Path.Combine(tmp.Run("gz"), "requests.csv.gz");
        var bytes = File.ReadAllBytes(requests);
        File.WriteAllBytes(requests, bytes[..(bytes.Length * 2 / 3)]); // no gzip trailer, a row cut
        var f = RunFolder.Open(tmp.Run("gz"));
        Assert.InRange(f.RequestOverview.Count, 1, 19);
        // what was read is the run's first requests, in order
        Assert.Equal(Enumerable.Range(0, f.Requests.Count).Select(i => (long)i), f.Requests.Id);
    }

    [Fact]
    public void Summary_records_add_up_to_the_requests()
    {
        using var tmp = new TempDir();
        string dir = tmp.Run("summary");
        var fed = new List<RequestRecord>();
        using (var w = Runs.Create(dir, Runs.Header() with { SummaryRecords = true }))
        {
            Runs.FeedSmallRun(new Tee(w, fed));
            w.Complete(RunOutcome.Complete, Runs.Manifest());
        }
        Assert.False(File.Exists(Path.Combine(dir, ResultsFiles.Requests)));
        var bySecond = File.ReadAllLines(Path.Combine(dir, ResultsFiles.RequestsBySecond));
        Assert.Equal(ResultsFiles.RequestsBySecondHeader, bySecond[0]);
        var rows = bySecond.Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(fed.Count, rows.Sum(c => long.Parse(c[1])));
        Assert.Equal(fed.Count(r => r.Ok), rows.Sum(c => long.Parse(c[2])));
        Assert.Equal(fed.Count(r => r.Dropped), rows.Sum(c => long.Parse(c[4])));
        // each second's p99 and max are those of the requests that ended in it (2-digit histogram: within 1%)
        foreach (var c in rows.Where(c => c[8].Length > 0))
        {
            int sec = int.Parse(c[0]);
            var lat = fed.Where(r => !r.Dropped && Math.Floor(r.TEnd) == sec).Select(r => r.LatencyMs).Order().ToList();
            Assert.Equal(lat.Max(), double.Parse(c[9], System.Globalization.CultureInfo.InvariantCulture), 3);
            Assert.InRange(double.Parse(c[8], System.Globalization.CultureInfo.InvariantCulture), lat.Max() * 0.99, lat.Max() * 1.01);
        }
        var byPid = File.ReadAllLines(Path.Combine(dir, ResultsFiles.RequestsByPid));
        Assert.Equal(ResultsFiles.RequestsByPidHeader, byPid[0]);
        foreach (var c in byPid.Skip(1).Select(l => l.Split(',')))
            Assert.Equal(fed.Count(r => r.Pid == int.Parse(c[0]) && !r.Dropped), long.Parse(c[1]));
        var f = RunFolder.Open(dir);
        Assert.False(f.HasRequestRows);
        Assert.Equal(fed.Count, f.BySecond!.Rows.Sum(r => r.Requests));
    }

    [Fact]
    public void The_size_estimate_compresses_an_hour_and_asks_before_gigabytes()
    {
        Scenario Sc(double rate, TimeSpan during, long? iterations = null, RecordsMode? records = null) => new()
        {
            Name = "x", Title = "x",
            Pool = new PoolSettings { Pm = ProcessManagerStyle.Static, MaxChildren = 64 },
            Request = new RequestProfile(),
            Load = new LoadPlan { Phases = [new LoadPhase { Kind = LoadPhaseKind.Inject, Rate = rate, During = during }], Iterations = iterations },
            RequestRecords = records,
        };
        var article = RunSize.Of(Sc(2, TimeSpan.FromSeconds(20), 40));
        Assert.Equal(40, article.Requests);
        Assert.False(article.Compress);
        var hour = RunSize.Of(Sc(1000, TimeSpan.FromHours(1)));
        Assert.Equal(3_600_000, hour.Requests, 0);
        Assert.True(hour.Compress);
        Assert.InRange(hour.Bytes, 40e6, 80e6);
        Assert.False(hour.NeedsConfirmation);
        var flood = RunSize.Of(Sc(100_000_000, TimeSpan.FromSeconds(20), 1_000_000_000));
        Assert.Equal(1e9, flood.Requests);
        Assert.True(flood.NeedsConfirmation);
        Assert.False(flood.AsSummary.NeedsConfirmation);
        Assert.False(RunSize.Of(Sc(100_000_000, TimeSpan.FromSeconds(20), 1_000_000_000, RecordsMode.Summary)).NeedsConfirmation);
    }

    private sealed class Tee(IRunSink inner, List<RequestRecord> requests) : IRunSink
    {
        public void Process(ProcessInfo process) => inner.Process(process);
        public void Sample(in Sample sample) => inner.Sample(sample);
        public void EndTick(double t) => inner.EndTick(t);
        public void Event(in PoolEvent e) => inner.Event(e);
        public void Request(in RequestRecord r) { requests.Add(r); inner.Request(r); }
        public void Log(double t, FpmLogLevel level, string message) => inner.Log(t, level, message);
        public void RawLog(string line) => inner.RawLog(line);
    }
}
