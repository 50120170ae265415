using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.Core.Logging;

namespace Lab.Core.ProcessManager;

/// <summary>What the master knows of one child when it decides (php-fpm's scoreboard slot).</summary>
/// <param name="StartedAt">When it was forked (seconds; any common clock).</param>
/// <param name="Idle">Waiting in accept() (php-fpm: request stage ACCEPTING).</param>
/// <param name="LastActivity">When its last request ended (its start if it served none).</param>
/// <param name="IdleKill">The process manager already sent it SIGQUIT as idle (php-fpm's child->idle_kill).</param>
public readonly record struct ChildView(int Pid, double StartedAt, bool Idle, double LastActivity, bool IdleKill = false);

/// <summary>A log line the policy wants written (php-fpm's wording).</summary>
public readonly record struct PolicyLog(FpmLogLevel Level, FpmLogFact Fact)
{
    public string Message => Fact.Message;
}

/// <summary>
/// The outcome of one maintenance tick: at most one idle child to kill, or children to fork.
/// <see cref="KillSignal"/> is SIGQUIT, or SIGKILL for a child that was already sent SIGQUIT as
/// idle and is still there (php 8.2's fpm_pctl_kill_idle_child); the driver marks the child idle_kill.
/// </summary>
public readonly record struct Maintenance(int KillPid, int Spawn, PolicyLog? Log, bool MaxChildrenReached, int KillSignal = 3)
{
    public static readonly Maintenance None = new(0, 0, null, false);
}

/// <summary>
/// php-fpm's process manager rules (php-src sapi/fpm/fpm/fpm_process_ctl.c and fpm_children.c),
/// as one pure state machine shared by the simulator and the dotnet master:
/// <list type="bullet">
/// <item>dynamic, once a second: idle &gt; max_spare → kill ONE idle child, the oldest-started;
/// idle &lt; min_spare → fork min(rate, min_spare − idle, max_children − running), the rate
/// doubling 1, 2, 4, … while below max_spawn_rate and reset to 1 otherwise; at max_children
/// warn once "server reached pm.max_children setting (N), consider raising it"; at rate ≥ 8
/// warn "seems busy …".</item>
/// <item>ondemand: fork on accept when no child is idle; once a second, kill the oldest-started
/// idle child when its last activity is older than process_idle_timeout.</item>
/// <item>static: max_children children, always.</item>
/// <item>An idle kill is SIGQUIT; a child that got it and is still idle at a later pass gets SIGKILL
/// (php 8.2's fpm_pctl_kill_idle_child).</item>
/// <item>After a child exits, it is replaced unless the process manager itself killed it as idle
/// (see <see cref="ProcessControl.ChildExited"/>).</item>
/// </list>
/// Recycling policies php-fpm does not have (a child that exits after a request, a master that
/// kills a child for its memory) plug in beside this class through <see cref="IRecyclePolicy"/>.
/// </summary>
public sealed class ProcessManagerPolicy
{
    private bool _warnMaxChildren;

    public ProcessManagerPolicy(PoolSettings settings) => Settings = settings;

    /// <summary>The pool's settings; replaced on reload.</summary>
    public PoolSettings Settings { get; private set; }
    /// <summary>php-fpm's wp->idle_spawn_rate.</summary>
    public int IdleSpawnRate { get; private set; } = 1;
    /// <summary>The status page's "max children reached" counter.</summary>
    public long MaxChildrenReached { get; private set; }

    /// <summary>A reload starts a new master state (php-fpm execs itself).</summary>
    public void Reset(PoolSettings settings)
    {
        Settings = settings;
        IdleSpawnRate = 1;
        _warnMaxChildren = false;
        MaxChildrenReached = 0; // php-fpm's reload starts a fresh scoreboard
    }

    /// <summary>The maintenance heartbeat (FPM_IDLE_SERVER_MAINTENANCE_HEARTBEAT, 1 s).</summary>
    /// <param name="running">Children running (forked and not yet reaped), the ones still starting included.</param>
    public Maintenance Maintain(IReadOnlyList<ChildView> children, int running, double now)
    {
        var s = Settings;
        int idle = 0;
        ChildView? oldestIdle = null;
        foreach (var c in children)
        {
            if (!c.Idle) continue;
            idle++;
            if (oldestIdle is null || c.StartedAt < oldestIdle.Value.StartedAt) oldestIdle = c;
        }

        if (s.Pm == ProcessManagerStyle.Ondemand)
        {
            if (oldestIdle is null) return Maintenance.None;
            // php-fpm compares whole seconds: last.tv_sec < now.tv_sec - pm_process_idle_timeout
            long timeout = (long)Math.Ceiling(s.ProcessIdleTimeout.TotalSeconds); // whole seconds, as FpmConfig renders it
            if (Math.Floor(oldestIdle.Value.LastActivity) < Math.Floor(now) - timeout)
                return KillIdle(oldestIdle.Value);
            return Maintenance.None;
        }
        if (s.Pm != ProcessManagerStyle.Dynamic) return Maintenance.None;

        if (idle > s.MaxSpareServers && oldestIdle is not null)
        {
            IdleSpawnRate = 1;
            return KillIdle(oldestIdle.Value);
        }
        if (idle < s.MinSpareServers)
        {
            if (running >= s.MaxChildren)
                return ReachedMaxChildren(FpmLogFact.MaxChildrenReached(s.Name, s.MaxChildren));

            PolicyLog? busy = IdleSpawnRate >= 8
                ? new PolicyLog(FpmLogLevel.Warning, FpmLogFact.SeemsBusy(s.Name, IdleSpawnRate, idle, running))
                : null;
            int toFork = Math.Min(IdleSpawnRate, s.MinSpareServers - idle);
            toFork = Math.Min(toFork, s.MaxChildren - running);
            if (toFork <= 0)
                return ReachedMaxChildren(FpmLogFact.MaxChildrenReached(s.Name, s.MaxChildren));
            _warnMaxChildren = false;
            if (IdleSpawnRate < s.MaxSpawnRate) IdleSpawnRate *= 2; // php-src doubles while below the cap (so it may pass it once)
            return new Maintenance(0, toFork, busy, false);
        }
        IdleSpawnRate = 1;
        return Maintenance.None;
    }

    /// <summary>fpm_pctl_kill_idle_child: SIGQUIT the first time, SIGKILL when it already had one.</summary>
    private static Maintenance KillIdle(ChildView c) => new(c.Pid, 0, null, false, c.IdleKill ? 9 : 3);

    private Maintenance ReachedMaxChildren(FpmLogFact message)
    {
        IdleSpawnRate = 1;
        if (_warnMaxChildren) return Maintenance.None;
        _warnMaxChildren = true;
        MaxChildrenReached++;
        return new Maintenance(0, 0, new PolicyLog(FpmLogLevel.Warning, message), true);
    }

    /// <summary>
    /// ondemand: the listening socket became readable (fpm_pctl_on_socket_accept, an
    /// edge-triggered event: connections arriving together make ONE event, and connections left
    /// waiting get no second look — php bug #69724). Returns the number of children to fork (0 or
    /// 1) and maybe a warning.
    /// </summary>
    public Maintenance OnAccept(IReadOnlyList<ChildView> children, int running)
    {
        var s = Settings;
        if (s.Pm != ProcessManagerStyle.Ondemand) return Maintenance.None;
        if (running >= s.MaxChildren)
        {
            if (_warnMaxChildren) return Maintenance.None;
            _warnMaxChildren = true;
            MaxChildrenReached++;
            return new Maintenance(0, 0, new PolicyLog(FpmLogLevel.Warning, FpmLogFact.MaxChildrenReachedOndemand(s.Name, s.MaxChildren)), true);
        }
        foreach (var c in children)
            if (c.Idle) return Maintenance.None;
        _warnMaxChildren = false;
        return new Maintenance(0, 1, null, false);
    }

}
