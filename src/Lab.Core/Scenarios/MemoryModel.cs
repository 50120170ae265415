namespace Lab.Core.Scenarios;

/// <summary>
/// The simulator's memory and timing model of a php-fpm process (fitted to real runs by
/// `./run.sh calibrate`). A child's RSS = baseline + shared + kept leak + allocator retention
/// (+ the transient memory of the request in flight); its USS leaves the shared part out, its PSS
/// adds its share of it (shared / (live children + shared_others)).
/// </summary>
public sealed record MemoryModel
{
    /// <summary>RSS of a fresh child before its first request (KiB).</summary>
    public long ChildBaselineKb { get; init; } = 7_148;
    /// <summary>
    /// Memory every child touches and all of them share (code, opcache's shared memory), in KiB:
    /// in each child's RSS (on top of the baseline), out of its USS, and divided among the children
    /// in PSS, so the pool pays it once.
    /// </summary>
    public long SharedKb { get; init; }
    /// <summary>
    /// Shared memory a child touches from its first request on (the code every request runs, in
    /// opcache or the dotnet master's mapping), in KiB: shared like <see cref="SharedKb"/>, among
    /// the children that ran a request.
    /// </summary>
    public long SharedCodeKb { get; init; }
    /// <summary>
    /// Other processes that map the shared pages too (the master, other pools, every process
    /// using the same libraries): a child's PSS holds shared / (live children + this).
    /// </summary>
    public double SharedOthers { get; init; }
    /// <summary>PSS (and USS) of the master in KiB; null: its RSS (nothing of it shared).</summary>
    public long? MasterPssKb { get; init; }
    /// <summary>VSZ of a fresh child (KiB).</summary>
    public long ChildVszKb { get; init; } = 60_604;
    /// <summary>RSS and VSZ of the master (KiB).</summary>
    public long MasterRssKb { get; init; } = 16_008;
    public long MasterVszKb { get; init; } = 60_284;
    /// <summary>RSS growth per KiB leaked (1.0 = every leaked page is touched).</summary>
    public double LeakScale { get; init; } = 1.0;
    /// <summary>RSS growth per request on top of the leak (KiB), e.g. caches filling.</summary>
    public double PerRequestKb { get; init; }
    /// <summary>Share of a request's transient memory the allocator keeps after the request.</summary>
    public double RetainFraction { get; init; } = 0.5;
    /// <summary>Most memory the allocator keeps (KiB); retention never exceeds it.</summary>
    public long RetainMaxKb { get; init; } = 4_096;
    /// <summary>After each request, the allocator gives back a random share in [0, RetainShrink] of what it kept.</summary>
    public double RetainShrink { get; init; } = 0.6;
    /// <summary>Time from fork to a child ready to accept.</summary>
    public TimeSpan SpawnTime { get; init; } = TimeSpan.FromMilliseconds(5);
    /// <summary>
    /// The cost of a new child: extra time its first request takes (a fresh process's caches, the
    /// script compiled or fetched from opcache, connections opened). 0 unless set or fitted by
    /// `./run.sh calibrate` (on php-fpm 8.2 with the lab's leak.php it measured 0.35 ms: a
    /// respawned child's first request 1.36 ms, a warm child's 1.01 ms, medians of 61 and 234).
    /// </summary>
    public TimeSpan ColdStart { get; init; }
    /// <summary>
    /// The kernel's accept() wake-up: how long a child woken for a new connection takes to run. A
    /// child that finishes its request meanwhile, or a new child calling accept() for the first
    /// time, finds the connection waiting and takes it; the woken one finds nothing and waits again
    /// at the end of the queue (Linux re-queues an exclusive waiter at the tail). Each such steal
    /// moves one child a turn: under an even load it is what slowly spreads children that would
    /// recycle in lockstep. 0: the queue is served exactly first-in-first-out (the default;
    /// calibrate fits it: AcceptWakeupFit).
    /// </summary>
    public TimeSpan AcceptWakeup { get; init; }
    /// <summary>
    /// A recycled child's way out, in ms, drawn per exit: from its last answer to the master
    /// forking its replacement (PHP's shutdown and the child's heap freed, exit(), the master's
    /// SIGCHLD, fork). Meanwhile the child holds its memory and takes no connection. 0 (the
    /// default): at once. calibrate fits it (ExitTimeFit; on php-fpm 8.2 with 50 MiB leaked it
    /// measured about 12 ms ± 3).
    /// </summary>
    public Distribution ExitTimeMs { get; init; } = Distribution.Const(0);
    /// <summary>
    /// When the master starts, from the run's start: a real stack takes this long to start
    /// php-fpm (calibrate sets the real run's, so the sim's pool is as fresh as the real one when
    /// the load begins). 0 (the default): at once.
    /// </summary>
    public TimeSpan MasterStart { get; init; }
    /// <summary>
    /// The spread of the initial children's start-up: each child the master forks at its start
    /// reaches accept() <see cref="SpawnTime"/> plus a uniform draw in [0, this] after its fork
    /// (eight children forked at once on two cores: the first requests meet only those ready, and
    /// some children serve twice before others serve once, which sets the shape of every later
    /// recycle storm). 0 (the default): all at spawn_time. calibrate fits it (StartSpreadFit).
    /// </summary>
    public TimeSpan StartSpread { get; init; }
    /// <summary>Host memory used for ps's %MEM column in the simulator (KiB).</summary>
    public long HostMemKb { get; init; } = 16L * 1024 * 1024;
}

/// <summary>
/// The memory guard of real engines: past MaxRss (the run's total RSS) or when the host's
/// MemAvailable falls under MinAvailable, the run is stopped and marked incomplete.
/// </summary>
public sealed record GuardSettings
{
    /// <summary>Null: half of MemAvailable at the start of the run.</summary>
    public long? MaxRssBytes { get; init; }
    /// <summary>Null: the smaller of 1 GiB and 10% of MemTotal.</summary>
    public long? MinAvailableBytes { get; init; }
}
