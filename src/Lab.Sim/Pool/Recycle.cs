using Lab.Core.Logging;
using Lab.Core.ProcessManager;
using Lab.Core.Randomness;
using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.Sim.Engine;

namespace Lab.Sim.Pool;

// Recycling: php-fpm's pm.max_requests and the [recycle] rules php-fpm does not have. Every
// decision is Lab.Core's Recycling (the same for the dotnet master and worker); this file gives
// each child its scoreboard slot, its life number and its request limit at fork, and runs the
// master's timer check (kill_rss, pool_budget).
internal sealed partial class Fpm
{
    private const int EventRecycleCheck = 14;

    /// <summary>Forks so far (the life number of the next child: every engine draws jitter by it).</summary>
    private long _lives;

    /// <summary>A new child's place: the lowest free scoreboard slot, its life number and request limit for this life.</summary>
    private void AssignLife(Child c)
    {
        int slot = 0;
        while (true)
        {
            bool used = false;
            foreach (var other in _children) if (other != c && other.BoardSlot == slot) { used = true; break; }
            if (!used) break;
            slot++;
        }
        c.BoardSlot = slot;
        c.Life = _lives++;
        c.Limit = _recycling.RequestLimit(c.Settings.MaxRequests, slot + 1, c.Life);
    }

    /// <summary>
    /// After a request: does the child exit (code 0), and by which rule? A [recycle] rule other
    /// than the request limit announces itself first with the lab's own log line.
    /// </summary>
    private bool RecycleAfterRequest(Child c)
    {
        double age = Simulation.ToSeconds(_sim.Now - c.ForkedAt);
        long rss = _recycling.ChildReadsRss ? c.Memory.RssKb(_mem) : -1;
        long uss = _recycling.ChildReadsUss ? c.Memory.UssKb(_mem) : -1; // RSS less the shared pages (memory.shared)
        var why = _recycling.AfterRequest(c.Served, c.Limit, age, rss, uss);
        if (why == ExitCause.None) return false;
        if (why != ExitCause.MaxRequests) Emit(FpmLogLevel.Notice, FpmLogFact.LabRecycled(_pool.Name, c.Pid, PoolEvent.CauseName(why)));
        return true;
    }

    /// <summary>
    /// A recycled child leaves: exit(0) after memory.exit_time (drawn by its life number), during
    /// which it holds its memory and takes no connection (the stage of a child quitting); at once
    /// when that is 0.
    /// </summary>
    private void ShutDown(Child c)
    {
        long us = ExitTimeUs(c);
        if (us <= 0) { Exit(c, code: 0, signal: 0); return; }
        c.Stage = ChildStage.Quitting;
        c.Token++;
        _sim.Schedule(us, c, Child.EventQuitDone, 0, c.Token);
    }

    private long ExitTimeUs(Child c)
    {
        var d = _mem.ExitTimeMs;
        return d.Kind == DistributionKind.Constant ? Micros(d.A) : Micros(d.Draw(_seed, LabRandom.Streams.ExitTime, (ulong)c.Life));
    }

    private void StartRecycleCheck()
    {
        if (_recycling.CheckInterval is { } every)
            _sim.Schedule(Math.Max(1, Simulation.FromTimeSpan(every)), this, EventRecycleCheck, _masterGen);
    }

    /// <summary>The master's recycling check (kill_rss, pool_budget), on its own timer while the master can spawn.</summary>
    private void OnRecycleCheck(int gen)
    {
        if (gen != _masterGen || _down) return;
        StartRecycleCheck();
        if (!_control.CanSpawn) return;
        var views = new List<RecycleView>(_children.Count);
        foreach (var c in _children)
            views.Add(new RecycleView(c.Pid, Simulation.ToSeconds(c.ForkedAt), c.Memory.RssKb(_mem),
                c.Quitting || c.Stage is ChildStage.Quitting or ChildStage.Exited));
        foreach (var kill in _recycling.Check(views, _mem.MasterRssKb))
        {
            if (FindChild(kill.Pid) is not { } victim) continue;
            Emit(FpmLogLevel.Notice, FpmLogFact.LabRecycled(_pool.Name, victim.Pid, PoolEvent.CauseName(kill.Why)));
            SendSignal(victim, kill.Signal);
        }
    }
}
