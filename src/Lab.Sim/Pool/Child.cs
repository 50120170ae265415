using Lab.Core.Scenarios;
using Lab.Sim.Engine;

namespace Lab.Sim.Pool;

internal enum ChildStage
{
    /// <summary>Forked, not yet in accept() (MemoryModel.SpawnTime).</summary>
    Starting,
    /// <summary>Waiting in accept() (php-fpm's request stage ACCEPTING).</summary>
    Idle,
    /// <summary>Serving a request.</summary>
    Busy,
    /// <summary>Between the end of a request and what follows it (idle again, or exit).</summary>
    Finishing,
    /// <summary>Got SIGQUIT while idle: its listening socket closed, PHP shutting down (<see cref="Child.QuitLatencyUs"/>), then exit(0).</summary>
    Quitting,
    Exited,
}

/// <summary>
/// One php-fpm child (php-src struct fpm_child_s plus its scoreboard slot): its pid, its stage,
/// the request it serves, its counters and memory. The child receives its own events (ready,
/// request done) and hands them to the master model.
/// </summary>
internal sealed class Child(Fpm fpm, int pid, long forkedAt, PoolSettings settings) : ISimHandler
{
    public const int EventReady = 1, EventRequestDone = 2, EventQuitDone = 3, EventWoken = 4;

    /// <summary>
    /// How long an idle child takes from SIGQUIT to its exit(0): php-fpm's sig_soft_quit closes the
    /// listening socket at once, then the child ends its request loop and shuts PHP down. A
    /// SIGTERM arriving meanwhile (process_control_timeout = 0: the master's next loop pass) kills
    /// it first, as on a real php-fpm.
    /// </summary>
    public const long QuitLatencyUs = 1_000;

    public int Pid { get; } = pid;
    /// <summary>Fork time (µs); php-fpm's child->started.</summary>
    public long ForkedAt { get; } = forkedAt;
    /// <summary>From its fork to its first accept() (µs): memory.spawn_time, plus its start-up spread's draw for an initial child.</summary>
    public long SpawnUs;
    /// <summary>The pool settings it was forked with (pm.max_requests, memory_limit).</summary>
    public PoolSettings Settings { get; } = settings;

    public ChildStage Stage = ChildStage.Starting;
    /// <summary>Its scoreboard slot (0-based; uWSGI's worker id is slot + 1).</summary>
    public int BoardSlot = -1;
    /// <summary>The pool's fork number of this child (from 0): the index of its jitter draw.</summary>
    public long Life;
    /// <summary>Its request limit for this life (Lab.Core's Recycling.RequestLimit); 0 = unlimited.</summary>
    public long Limit;
    /// <summary>Bumped when the child dies, so its pending events are recognised as stale.</summary>
    public int Token;
    /// <summary>When the child last entered accept() (php-fpm's proc->tv while idle).</summary>
    public long LastActivity = forkedAt;
    /// <summary>Requests served (php-fpm's per-process counter checked against pm.max_requests).</summary>
    public long Served;
    /// <summary>CPU time of completed requests (µs).</summary>
    public long CpuUs;
    public ChildMemory Memory;

    // the request in flight
    public int Slot = -1;
    public long RequestId;
    public long AcceptedAt;
    public long WorkUs;
    public long WaitUs;
    public long TransientKb;
    /// <summary>The request hit memory_limit (status 500).</summary>
    public bool Failed;
    public bool SlowLogged;

    // signals
    /// <summary>Got SIGQUIT while busy or starting: exits with code 0 once its request is done.</summary>
    public bool Quitting;
    /// <summary>php-fpm's child->idle_kill: the process manager sent it SIGQUIT as idle (not replaced when it exits).</summary>
    public bool IdleKill;
    /// <summary>SIGSTOP: frozen (its work and signals wait) until SIGCONT.</summary>
    public bool Stopped;
    /// <summary>Signals that arrived while stopped (SIGQUIT), acted on at SIGCONT.</summary>
    public bool PendingQuit;
    public long StoppedAt;

    // the queue of children waiting in accept(), longest waiter first
    public Child? IdlePrev, IdleNext;
    public bool InIdleQueue;
    /// <summary>Woken in accept() for a connection (memory.accept_wakeup), not yet running.</summary>
    public bool Waking;
    /// <summary>The connection it was woken for; -1 once another child took it meanwhile.</summary>
    public int WokenSlot = -1;

    public void Handle(Simulation sim, in SimEvent e)
    {
        if (e.Token != Token) return; // the child died meanwhile
        fpm.OnChildEvent(this, e.Kind);
    }

    /// <summary>CPU seconds at time now, the current request's work done so far included.</summary>
    public double CpuSeconds(long now)
    {
        long cpu = CpuUs;
        if (Stage == ChildStage.Busy && !Failed) cpu += Math.Min(now - AcceptedAt, WorkUs);
        return cpu / (double)Simulation.TicksPerSecond;
    }

    /// <summary>ps's state letter: T stopped, R while burning CPU, S otherwise (asleep in accept() or in a wait).</summary>
    public char PsState(long now) => Stopped ? 'T' : Stage == ChildStage.Busy && !Failed && now < AcceptedAt + WorkUs ? 'R' : 'S';
}
