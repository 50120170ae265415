using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Lab.Core.Records;
using Lab.Linux.Proc;
using Lab.Probe;
using Lab.Record.Masters;
using Lab.Record.Recording;
using Lab.Record.Source;
using Lab.Record.Status;
using Lab.Testing;

namespace Lab.Record.Tests;

/// <summary>The pieces of record, without a pool: titles, listen addresses, the status page, the bookkeeping.</summary>
public class PiecesTests
{
    [Theory]
    [InlineData("php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)", "/etc/php/8.2/fpm/php-fpm.conf")]
    [InlineData("php-fpm: master process (/tmp/a (copy)/php-fpm.conf)", "/tmp/a (copy)/php-fpm.conf")]
    [InlineData("php-fpm: pool www", null)]
    [InlineData("lab-fpm: master process (/tmp/x.conf)", null)]
    public void A_masters_title_names_its_configuration(string title, string? config) => Assert.Equal(config, FpmMasters.ConfigOf(title));

    [Fact]
    public void Listen_addresses_are_read_as_php_fpm_reads_them()
    {
        Assert.Equal("/run/php/php8.2-fpm.sock", ((UnixDomainSocketEndPoint)RecordedPool.EndPointOf("/run/php/php8.2-fpm.sock")).ToString());
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 9000), RecordedPool.EndPointOf("9000"));
        Assert.Equal(new IPEndPoint(IPAddress.Parse("127.0.0.1"), 9001), RecordedPool.EndPointOf("127.0.0.1:9001"));
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, 9002), RecordedPool.EndPointOf("[::1]:9002"));
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 9003), RecordedPool.EndPointOf("0.0.0.0:9003"));
    }

    private const string StatusJson = """
        {"pool":"www","process manager":"static","start time":1,"start since":9,"accepted conn":42,"listen queue":0,"max listen queue":0,
         "listen queue len":0,"idle processes":1,"active processes":1,"total processes":2,"max active processes":2,"max children reached":0,"slow requests":0,
         "processes":[
          {"pid":101,"state":"Running","start time":1,"start since":9,"requests":21,"request duration":100,"request method":"GET","request uri":"/status?json&full&leaklab=7","content length":0,"user":"-","script":"-","last request cpu":0.00,"last request memory":0},
          {"pid":102,"state":"Idle","start time":1,"start since":9,"requests":21,"request duration":100,"request method":"GET","request uri":"/leak.php","content length":0,"user":"-","script":"/x/leak.php","last request cpu":0.00,"last request memory":2097152}]}
        """;

    [Fact]
    public void The_status_page_gives_each_childs_finished_requests_and_the_pools_counters()
    {
        using var doc = JsonDocument.Parse(StatusJson);
        var s = StatusSnapshot.Parse(doc.RootElement);
        Assert.Equal(42, s.AcceptedConn);
        Assert.Equal(2, s.Counters["total processes"]);
        // php-fpm counts a request when it begins: a child in the middle of one has finished one fewer
        Assert.Equal(20, s.Of(101)!.Finished);
        Assert.Equal(21, s.Of(102)!.Finished);
        var reader = new StatusReader(new UnixDomainSocketEndPoint("/nonexistent"), "/status");
        Assert.Equal(0, reader.ServedBy(s)); // another process's marker is not ours
    }

    private static StatusSnapshot Snapshot(long accepted, params (int Pid, string State, long Requests, string Uri)[] children) =>
        new(new Dictionary<string, long> { ["accepted conn"] = accepted },
            children.Select(c => new StatusProcess(c.Pid, c.State, c.Requests, c.Uri)).ToList());

    private static ProcSample P(int pid, int ppid = 1) => new(pid, ppid, 'S', 10_000, 50_000, 0, -5, "php-fpm8.2");

    [Fact]
    public void An_exit_is_put_down_to_max_requests_only_when_the_counters_make_exactly_max_requests()
    {
        var sink = new ListSink();
        var state = new RecordState(sink, masterPid: 1, maxRequests: 10, FpmLogLevel.Notice, statusKnown: true);
        const string own = "/status?json&full&leaklab=9";
        state.OnStatus(Snapshot(7, (2, "Running", 4, own), (3, "Idle", 3, "/a")), servedBy: 2);
        state.OnTick(0, [P(1, 0), P(2), P(3)], null);
        Assert.Equal(3, sink.Samples.First(s => s.Pid == 2).Requests); // 4 begun, one of them this status request
        // child 2 serves 6 more (to 10: its last) and exits; child 4 replaces it and serves 2; child 3 serves 1:
        // accepted grows by 6 + 2 + 1 = 9, the living account for 3: the other 6 make child 2's count exactly 10
        state.OnStatus(Snapshot(16, (3, "Idle", 4, "/a"), (4, "Running", 2, own)), servedBy: 4);
        state.OnTick(1, [P(1, 0), P(3), P(4)], null);
        state.Finish();
        var exit = Assert.Single(sink.Events, e => e.Event == EventNames.Exit);
        Assert.Equal((2, "unknown;max_requests"), (exit.Pid, exit.Detail)); // gone from /proc unlogged: how unknown
        Assert.Single(sink.Events, e => e.Event == EventNames.Spawn && e.Pid == 4);
        // the lab's own status requests are no traffic: child 4 has begun 2, one of them the lab's, in progress
        Assert.Equal(1, sink.Samples.Last(s => s.Pid == 4).Requests);

        // the same, but a request short of max_requests: the counters do not say so
        var sink2 = new ListSink();
        var state2 = new RecordState(sink2, 1, 10, FpmLogLevel.Notice, statusKnown: true);
        state2.OnStatus(Snapshot(7, (2, "Idle", 4, "/a"), (3, "Idle", 3, "/a")), 0);
        state2.OnTick(0, [P(1, 0), P(2), P(3)], null);
        state2.OnLogLine(0.5, "[07-Dec-2026 02:03:37] NOTICE: [pool www] child 2 exited with code 0 after 9.000000 seconds from start");
        state2.OnStatus(Snapshot(15, (3, "Idle", 4, "/a"), (4, "Idle", 2, "/a")), 0);
        state2.OnTick(1, [P(1, 0), P(3), P(4)], null);
        state2.Finish();
        var exit2 = Assert.Single(sink2.Events, e => e.Event == EventNames.Exit);
        Assert.Equal((2, "code 0;exit", 0.5), (exit2.Pid, exit2.Detail, exit2.T));
    }

    [Fact]
    public void Smaps_rollup_gives_pss_uss_and_swap()
    {
        const string text = "55a4c8e5f000-7ffd2b9fe000 ---p 00000000 00:00 0                          [rollup]\nRss:               11480 kB\nPss:                6351 kB\n" +
                            "Pss_Dirty:          4256 kB\nShared_Clean:       5612 kB\nShared_Dirty:        748 kB\nPrivate_Clean:       196 kB\nPrivate_Dirty:      4924 kB\n" +
                            "Referenced:        11480 kB\nAnonymous:          5120 kB\nSwap:                  8 kB\nSwapPss:               8 kB\n";
        Assert.True(SmapsRollup.TryParse(System.Text.Encoding.ASCII.GetBytes(text), out var f));
        Assert.Equal(new SmapsFigures(6351, 5120, 8), f);
        // this process's own, as the kernel says it
        Assert.Equal(SmapsRead.Ok, SmapsRollup.TryRead(Environment.ProcessId, out var self));
        Assert.True(self.PssKb > 0 && self.UssKb > 0 && self.UssKb <= self.PssKb);
        Assert.Equal(SmapsRead.Gone, SmapsRollup.TryRead(int.MaxValue - 1, out _));
    }
}
