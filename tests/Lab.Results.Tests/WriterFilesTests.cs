using Lab.Core.Engines;
using Lab.Core.Records;
using Lab.Results.Formats;

namespace Lab.Results.Tests;

public class WriterFilesTests
{
    private static string[] Lines(string path) => File.ReadAllText(path).Split('\n');

    [Fact]
    public void Every_file_exists_with_its_exact_header()
    {
        using var tmp = new TempDir();
        using var w = Runs.Create(tmp.Run());
        Runs.FeedSmallRun(w);
        w.Complete(RunOutcome.Complete, Runs.Manifest());
        string d = w.Directory;
        foreach (var f in new[] { ResultsFiles.Scenario, ResultsFiles.Manifest, ResultsFiles.Samples, ResultsFiles.Events,
                     ResultsFiles.Requests, ResultsFiles.PsLog, ResultsFiles.FpmLog, ResultsFiles.Latency,
                     ResultsFiles.LatencyUncorrected, ResultsFiles.Summary })
            Assert.True(File.Exists(Path.Combine(d, f)), f + " is missing");
        Assert.Equal("t_s,pid,role,rss_kb,vsz_kb,cpu_s,state,requests,pss_kb,uss_kb,swap_kb", Lines(Path.Combine(d, "samples.csv"))[0]);
        Assert.Equal("t_s,event,pid,detail", Lines(Path.Combine(d, "events.csv"))[0]);
        Assert.Equal("id,t_intended_s,t_start_s,t_end_s,pid,status,latency_ms,leak_kb,transient_kb,rss_kb,kind", Lines(Path.Combine(d, "requests.csv"))[0]);
        Assert.Equal(Runs.Toml, File.ReadAllText(Path.Combine(d, "scenario.toml")));
        Assert.Empty(Directory.GetFiles(d, "*.tmp"));
    }

    [Fact]
    public void Files_are_utf8_without_bom_and_end_lines_with_lf()
    {
        using var tmp = new TempDir();
        using var w = Runs.Create(tmp.Run());
        Runs.FeedSmallRun(w);
        w.Complete(RunOutcome.Complete, Runs.Manifest());
        foreach (var f in Directory.GetFiles(w.Directory))
        {
            var bytes = File.ReadAllBytes(f);
            Assert.False(bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF, f + " starts with a BOM");
            Assert.DoesNotContain((byte)'\r', bytes);
            if (bytes.Length > 0) Assert.Equal((byte)'\n', bytes[^1]);
        }
    }

    [Fact]
    public void Rows_have_the_documented_precision()
    {
        using var tmp = new TempDir();
        using var w = Runs.Create(tmp.Run());
        w.Sample(new Sample(12.25, 13672, ProcessRole.Child, 11188, 62364, 1.234, 'S', 3));
        w.Sample(new Sample(12.25, 13670, ProcessRole.Master, 16008, 60284, 0, 'S', 0, PssKb: 3120, UssKb: 1804, SwapKb: 0));
        w.EndTick(12.25);
        w.Event(new PoolEvent(1.5, EventNames.Exit, 13672, "code 0;max_requests"));
        w.Request(new RequestRecord(4, 1.0000004, 1.0001, 1.0123456, 13672, 200, 12.3456, 812, 2048));
        w.Request(new RequestRecord(5, 2, 0, 0, 0, RequestStatus.Dropped, 0, 812, 0));
        w.Request(new RequestRecord(6, 3, 3.001, 3.01, 13672, 200, 10, 812, 0, RssKb: 12000, Kind: "export"));
        w.Complete(RunOutcome.Complete, Runs.Manifest());
        var samples = Lines(Path.Combine(w.Directory, "samples.csv"));
        Assert.Equal("12.250,13672,child,11188,62364,1.23,S,3,,,", samples[1]);
        Assert.Equal("12.250,13670,master,16008,60284,0.00,S,0,3120,1804,0", samples[2]);
        Assert.Equal("1.500000,exit,13672,code 0;max_requests", Lines(Path.Combine(w.Directory, "events.csv"))[1]);
        var req = Lines(Path.Combine(w.Directory, "requests.csv"));
        Assert.Equal("4,1.000000,1.000100,1.012346,13672,200,12.346,812,2048,,", req[1]);
        Assert.Equal("5,2.000000,,,,0,,812,0,,", req[2]);
        Assert.Equal("6,3.000000,3.001000,3.010000,13672,200,10.000,812,0,12000,export", req[3]);
    }

    [Fact]
    public void Event_detail_is_quoted_when_it_holds_a_comma_quote_or_newline()
    {
        using var tmp = new TempDir();
        using var w = Runs.Create(tmp.Run());
        w.Event(new PoolEvent(1, EventNames.Action, 0, "kill-child, pid 12"));
        w.Event(new PoolEvent(2, EventNames.Action, 0, "said \"hi\""));
        w.Event(new PoolEvent(3, EventNames.Action, 0, "two\nlines"));
        w.Event(new PoolEvent(4, EventNames.Action, 0, "plain"));
        w.Complete(RunOutcome.Complete, Runs.Manifest());
        string text = File.ReadAllText(Path.Combine(w.Directory, "events.csv"));
        Assert.Equal(
            "t_s,event,pid,detail\n" +
            "1.000000,action,0,\"kill-child, pid 12\"\n" +
            "2.000000,action,0,\"said \"\"hi\"\"\"\n" +
            "3.000000,action,0,\"two\nlines\"\n" +
            "4.000000,action,0,plain\n", text);
    }

    [Fact]
    public void Create_refuses_a_folder_that_is_not_empty_and_accepts_an_empty_one()
    {
        using var tmp = new TempDir();
        string dir = tmp.Run();
        Directory.CreateDirectory(dir);
        using (var w = Runs.Create(dir)) w.Complete(RunOutcome.Complete, Runs.Manifest()); // empty: fine
        var e = Assert.ThrowsAny<IOException>(() => Runs.Create(dir));
        Assert.Contains("not empty", e.Message);
    }

    [Fact]
    public void Latency_histograms_are_printed_in_milliseconds()
    {
        using var tmp = new TempDir();
        using var w = Runs.Create(tmp.Run());
        for (int i = 0; i < 100; i++)
            w.Request(new RequestRecord(i, i, i + 0.001, i + 0.020, 5, 200, 20.0, 0, 0)); // 20 ms corrected, 19 ms uncorrected
        w.Complete(RunOutcome.Complete, Runs.Manifest());
        string hgrm = File.ReadAllText(Path.Combine(w.Directory, "latency.hgrm"));
        Assert.Contains("Value     Percentile TotalCount 1/(1-Percentile)", hgrm);
        Assert.Matches(@"#\[Max     =\s+20\.0\d\d, Total count    =\s+100\]", hgrm);
        string unc = File.ReadAllText(Path.Combine(w.Directory, "latency-uncorrected.hgrm"));
        Assert.Matches(@"#\[Max     =\s+19\.0\d\d, Total count    =\s+100\]", unc);
    }

    [Fact]
    public void Sink_calls_after_Complete_are_refused()
    {
        using var tmp = new TempDir();
        using var w = Runs.Create(tmp.Run());
        w.Complete(RunOutcome.Complete, Runs.Manifest());
        Assert.Throws<InvalidOperationException>(() => w.Sample(new Sample(1, 1, ProcessRole.Child, 1, 1, 0, 'S', 0)));
        Assert.Throws<InvalidOperationException>(() => w.Complete(RunOutcome.Complete, Runs.Manifest()));
    }
}
