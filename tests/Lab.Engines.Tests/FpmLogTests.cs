using Lab.Core.Logging;
using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.Core.Time;
using Lab.Results.Reading;
using Lab.Engines.Real;
using Lab.Load;
using Lab.Testing;

namespace Lab.Engines.Tests;

public class FpmLogParserTests
{
    [Theory]
    [InlineData("[25-Nov-2026 04:32:10] NOTICE: [pool www] child 123 started", FpmLogLevel.Notice, "[pool www] child 123 started")]
    [InlineData("[25-Nov-2026 04:32:10.123456] DEBUG: pid 13670, fpm_children_make(), line 420: [pool www] child 124 started", FpmLogLevel.Debug, "[pool www] child 124 started")]
    [InlineData("[25-Nov-2026 04:32:10.123456] WARNING: pid 1, (null)(), line 0: [pool www] child 2 said into stderr: \"x\"", FpmLogLevel.Warning, "[pool www] child 2 said into stderr: \"x\"")]
    public void Lines_of_every_level_and_format_split(string raw, FpmLogLevel level, string message)
    {
        var line = FpmLogParser.ParseLine(raw)!;
        Assert.Equal(level, line.Level);
        Assert.Equal(message, line.Message);
        Assert.StartsWith("[25-Nov-2026 04:32:10] ", FpmLogParser.AsNoticeLevel(line));
    }

    [Fact]
    public void Not_a_php_fpm_line() => Assert.Null(FpmLogParser.ParseLine("hello"));

    [Fact]
    public void Facts_of_php_fpm_messages()
    {
        Assert.Equal((FpmLogKind.ChildExitedCode, 12, 0), Of("[pool www] child 12 exited with code 0 after 2.500000 seconds from start"));
        var sig = FpmLogParser.Classify("[pool www] child 13 exited on signal 9 (SIGKILL) after 1.000000 seconds from start");
        Assert.Equal((FpmLogKind.ChildExitedSignal, 13, 9), (sig.Kind, sig.Pid, sig.Signal));
        Assert.Equal(FpmLogKind.ChildKilledByPm, FpmLogParser.Classify("[pool www] child 14 has been killed by the process management after 10.0 seconds from start").Kind);
        Assert.Equal(FpmLogKind.ExecutionTimedOut, FpmLogParser.Classify("[pool www] child 15, script '/x.php' (request: \"GET /x.php?a=1\") execution timed out (3.000100 sec), terminating").Kind);
        Assert.Equal(FpmLogKind.MaxChildrenReached, FpmLogParser.Classify("[pool www] server reached pm.max_children setting (5), consider raising it").Kind);
        Assert.Equal(FpmLogKind.MaxChildrenReachedOndemand, FpmLogParser.Classify("[pool www] server reached max_children setting (5), consider raising it").Kind);
        Assert.Equal((FpmLogKind.MasterStarted, 99, 0), Of("fpm is running, pid 99"));
        Assert.Equal(FpmLogKind.Reloading, FpmLogParser.Classify("Reloading in progress ...").Kind);
        Assert.Equal(FpmLogKind.Other, FpmLogParser.Classify("something else").Kind);
    }

    private static (FpmLogKind, int, int) Of(string m) { var f = FpmLogParser.Classify(m); return (f.Kind, f.Pid, f.Code); }
}

public class RunStateTests
{
    private static Scenario Scenario(int maxRequests, FpmLogLevel level = FpmLogLevel.Notice) => new()
    {
        Name = "t", Title = "t", LogLevel = level,
        Pool = new PoolSettings { Pm = ProcessManagerStyle.Static, MaxChildren = 1, MaxRequests = maxRequests },
        Request = new RequestProfile(), Load = new LoadPlan(),
    };

    private const string Ts = "[25-Nov-2026 04:32:10.000001] ";

    [Fact]
    public void Exits_carry_their_why()
    {
        var sink = new ListSink();
        var state = new RunState(sink, new RunClock(), Scenario(5));
        state.OnLogLine(Ts + "NOTICE: pid 1, fpm_init(), line 1: fpm is running, pid 100");
        state.OnLogLine(Ts + "DEBUG: pid 100, f(), line 1: [pool www] child 101 started");
        state.OnLogLine(Ts + "NOTICE: pid 100, f(), line 1: [pool www] child 101 exited with code 0 after 2.000000 seconds from start");
        state.ExpectExit(102, ExitCause.KillChild);
        state.OnLogLine(Ts + "WARNING: pid 100, f(), line 1: [pool www] child 102 exited on signal 9 (SIGKILL) after 1.000000 seconds from start");
        state.OnLogLine(Ts + "WARNING: pid 100, f(), line 1: [pool www] child 103 exited on signal 11 (SIGSEGV) after 1.000000 seconds from start");
        state.OnLogLine(Ts + "WARNING: pid 100, f(), line 1: [pool www] child 104, script '/x' (request: \"GET /x\") execution timed out (3.000000 sec), terminating");
        state.OnLogLine(Ts + "WARNING: pid 100, f(), line 1: [pool www] child 104 exited on signal 15 (SIGTERM) after 3.000000 seconds from start");
        state.OnLogLine(Ts + "DEBUG: pid 100, f(), line 1: [pool www] child 105 has been killed by the process management after 10.000000 seconds from start");
        state.OnLogLine(Ts + "WARNING: pid 100, f(), line 1: [pool www] child 106 said into stderr: \"NOTICE: PHP message: PHP Fatal error:  Allowed memory size of 8388608 bytes exhausted (tried to allocate 9437216 bytes) in /x.php on line 3\"");
        state.MasterStopping(ExitCause.Shutdown);
        state.OnLogLine(Ts + "DEBUG: pid 100, f(), line 1: [pool www] child 107 exited on signal 15 (SIGTERM) after 9.000000 seconds from start");

        var exits = sink.Events.Where(e => e.Event == EventNames.Exit).Select(e => (e.Pid, e.Detail)).ToList();
        Assert.Equal(new[]
        {
            (101, "code 0;max_requests"), (102, "signal 9;kill-child"), (103, "signal 11;crash"),
            (104, "signal 15;timeout"), (105, "code 0;idle"), (107, "signal 15;shutdown"),
        }, exits);
        Assert.Equal(new[] { 102, 103 }, sink.Events.Where(e => e.Event == EventNames.Crash).Select(e => e.Pid));
        Assert.Contains(sink.Events, e => e.Event == EventNames.MemoryLimit && e.Pid == 106 && e.Detail == "tried 9437216 bytes;limit 8388608 bytes");
        Assert.Contains(sink.Events, e => e is { Event: EventNames.Start, Pid: 100 });
        Assert.Contains(sink.Events, e => e is { Event: EventNames.Spawn, Pid: 101 });
    }

    [Fact]
    public void Fpm_log_is_written_at_the_scenario_s_level_in_php_fpm_s_format_for_that_level()
    {
        var notice = new ListSink();
        var s1 = new RunState(notice, new RunClock(), Scenario(0));
        s1.OnLogLine(Ts + "DEBUG: pid 100, f(), line 1: [pool www] child 101 started");
        s1.OnLogLine(Ts + "NOTICE: pid 100, f(), line 1: [pool www] child 101 exited with code 0 after 2.000000 seconds from start");
        Assert.Equal(new[] { "[25-Nov-2026 04:32:10] NOTICE: [pool www] child 101 exited with code 0 after 2.000000 seconds from start" }, notice.Lines);

        var debug = new ListSink();
        var s2 = new RunState(debug, new RunClock(), Scenario(0, FpmLogLevel.Debug));
        s2.OnLogLine(Ts + "DEBUG: pid 100, f(), line 1: [pool www] child 101 started");
        Assert.Equal(new[] { Ts + "DEBUG: pid 100, f(), line 1: [pool www] child 101 started" }, debug.Lines);
    }

    [Fact]
    public void Requests_count_per_child_with_namespace_pids_mapped()
    {
        var sink = new ListSink();
        var state = new RunState(sink, new RunClock(), Scenario(0)) { MapPid = p => p + 1000 };
        ILoadObserver observer = state;
        observer.OnRequest(new RequestRecord(1, 0, 0, 0.1, 2, RequestStatus.Ok, 100, 0, 0));
        observer.OnRequest(new RequestRecord(2, 0, 0, 0.1, 2, RequestStatus.MemoryLimit, 100, 0, 0));
        observer.OnRequest(new RequestRecord(3, 0, 0, 0.1, 0, RequestStatus.ChildDied, 100, 0, 0));
        Assert.Equal(2, state.Served(1002));
        Assert.Equal(0, state.Served(2));
    }
}
