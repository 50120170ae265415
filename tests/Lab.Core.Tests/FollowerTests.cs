using Lab.Core.Events;
using Lab.Core.Logging;
using Lab.Core.Records;
using Lab.Core.Scenarios;

namespace Lab.Core.Tests;

/// <summary>The one classification of a pool's history into events, fed the facts of php-fpm's lines.</summary>
public class FollowerTests
{
    private static (FpmLogFollower F, List<PoolEvent> Events) Follow(PoolSettings? pool = null)
    {
        var events = new List<PoolEvent>();
        return (new FpmLogFollower(events.Add, pool ?? new PoolSettings { Pm = ProcessManagerStyle.Static, MaxChildren = 2, MaxRequests = 5 }), events);
    }

    [Fact]
    public void A_masters_life_reads_as_start_spawns_exits_and_stop()
    {
        var (f, events) = Follow();
        f.On(0, FpmLogFact.MasterStarted(100), FpmLogLevel.Notice);
        f.On(0, FpmLogFact.ChildStarted("www", 101), FpmLogLevel.Debug);
        f.On(0, FpmLogFact.Ready, FpmLogLevel.Notice);
        f.On(1, FpmLogFact.ChildExited("www", 101, 0, 1), FpmLogLevel.Notice);
        f.On(1, FpmLogFact.ChildStarted("www", 102), FpmLogLevel.Notice);
        f.On(2, FpmLogFact.Terminating, FpmLogLevel.Notice);
        f.On(2, FpmLogFact.ChildSignaled("www", 102, 15, 1), FpmLogLevel.Debug);
        f.On(2, FpmLogFact.Exiting, FpmLogLevel.Notice);
        Assert.Equal(
        [
            "start 100 pm=static max_children=2 max_requests=5", "spawn 101 initial", "exit 101 code 0;max_requests",
            "spawn 102 respawn", "exit 102 signal 15;shutdown", "stop 100 shutdown",
        ], events.Select(e => $"{e.Event} {e.Pid} {e.Detail}"));
    }

    [Fact]
    public void Causes_come_from_the_lab_the_master_or_the_status()
    {
        Assert.Equal(ExitCause.KillChild, FpmLogFollower.Classify(ExitStatus.Signal(9), ExitCause.KillChild, ExitCause.Reload, 5));
        Assert.Equal(ExitCause.Reload, FpmLogFollower.Classify(ExitStatus.Code(0), ExitCause.None, ExitCause.Reload, 5));
        Assert.Equal(ExitCause.MaxRequests, FpmLogFollower.Classify(ExitStatus.Code(0), ExitCause.None, ExitCause.None, 5));
        Assert.Equal(ExitCause.Exit, FpmLogFollower.Classify(ExitStatus.Code(0), ExitCause.None, ExitCause.None, 0));
        Assert.Equal(ExitCause.Error, FpmLogFollower.Classify(ExitStatus.Code(70), ExitCause.None, ExitCause.None, 5));
        Assert.Equal(ExitCause.Crash, FpmLogFollower.Classify(ExitStatus.Signal(11), ExitCause.None, ExitCause.None, 5));
        Assert.False(FpmLogFollower.EndsProcess(19));
        Assert.True(FpmLogFollower.EndsProcess(3));
    }

    [Fact]
    public void A_timeout_a_kill_child_a_reload_and_a_memory_limit()
    {
        var (f, events) = Follow();
        f.On(0, FpmLogFact.MasterStarted(100), FpmLogLevel.Notice);
        f.On(0, FpmLogFact.Ready, FpmLogLevel.Notice);
        f.On(3, FpmLogFact.ExecutionTimedOut("www", 101, "/x.php", "GET", "/x.php?a", 2.1), FpmLogLevel.Warning);
        f.On(3, FpmLogFact.ChildSignaled("www", 101, 15, 3), FpmLogLevel.Warning);
        f.ExpectExit(102, ExitCause.KillChild);
        f.On(4, FpmLogFact.ChildSignaled("www", 102, 9, 4), FpmLogLevel.Warning);
        f.On(5, FpmLogFact.ChildStderrMemoryLimit("www", 103, 1024, 2048, "/x.php", 3), FpmLogLevel.Warning);
        f.On(6, FpmLogFact.Reloading, FpmLogLevel.Notice);
        f.On(6, FpmLogFact.SendingSignal("www", 3, 103), FpmLogLevel.Debug);
        f.On(6, FpmLogFact.ChildExited("www", 103, 0, 6), FpmLogLevel.Debug);
        f.On(6, FpmLogFact.MasterStarted(100), FpmLogLevel.Notice); // the re-executed master: not a new start
        var text = events.Select(e => $"{e.Event} {e.Pid} {e.Detail}").ToList();
        Assert.Equal(
        [
            "start 100 pm=static max_children=2 max_requests=5",
            "timeout 101 after 2.100000 s", "kill 101 signal 15;timeout", "exit 101 signal 15;timeout",
            "crash 102 signal 9 (SIGKILL)", "exit 102 signal 9;kill-child",
            "memory_limit 103 tried 2048 bytes;limit 1024 bytes",
            "reload 100 SIGUSR2;pm=static max_children=2 max_requests=5", "kill 103 signal 3;reload", "exit 103 code 0;reload",
        ], text);
    }

    [Fact]
    public void Events_read_back_from_their_text_are_the_same()
    {
        var e = new PoolEvent(1.5, PoolEventKind.Exit, 7, ExitStatus.Signal(9), ExitCause.KillChild);
        var back = PoolEvent.FromCsv(e.T, e.Event, e.Pid, e.Detail);
        Assert.Equal(e, back);
        Assert.Equal((PoolEventKind.Spawn, SpawnCause.Respawn), (PoolEvent.FromCsv(1, "spawn", 3, "respawn").Kind, PoolEvent.FromCsv(1, "spawn", 3, "respawn").Spawned));
        var imported = PoolEvent.FromCsv(1, "exit", 3, "unknown;recycled");
        Assert.Equal((false, ExitCause.Recycled), (imported.How.Known, imported.Why));
        Assert.Equal("unknown;recycled", imported.Detail);
        Assert.Equal(("idle", ExitCause.Idle), ("idle", PoolEvent.FromCsv(1, "kill", 3, "idle").Why)); // written before events were typed
    }
}
