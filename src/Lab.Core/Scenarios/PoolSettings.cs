namespace Lab.Core.Scenarios;

/// <summary>php-fpm's pm directive.</summary>
public enum ProcessManagerStyle { Static, Dynamic, Ondemand }

/// <summary>
/// A pool's directives, in php-fpm's words and with php-fpm's defaults
/// (php-src sapi/fpm/fpm/fpm_conf.c). Sizes in bytes, times as TimeSpan.
/// </summary>
public sealed record PoolSettings
{
    public string Name { get; init; } = "www";
    public ProcessManagerStyle Pm { get; init; } = ProcessManagerStyle.Dynamic;
    public int MaxChildren { get; init; } = 5;
    /// <summary>pm.start_servers; null = php-fpm's default min_spare + (max_spare - min_spare) / 2.</summary>
    public int? StartServersSetting { get; init; }
    public int MinSpareServers { get; init; } = 1;
    public int MaxSpareServers { get; init; } = 3;
    public int MaxSpawnRate { get; init; } = 32;
    public TimeSpan ProcessIdleTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>pm.max_requests: requests a child serves before it exits; 0 = unlimited.</summary>
    public int MaxRequests { get; init; }
    /// <summary>request_terminate_timeout; zero = off.</summary>
    public TimeSpan RequestTerminateTimeout { get; init; } = TimeSpan.Zero;
    /// <summary>request_slowlog_timeout; zero = off. Counted as "slow requests" in the status.</summary>
    public TimeSpan RequestSlowlogTimeout { get; init; } = TimeSpan.Zero;
    /// <summary>listen.backlog; -1 (php-fpm 8.2's default on Linux) = the kernel's somaxconn (see Sockets.ListenBacklog).</summary>
    public int ListenBacklog { get; init; } = Sockets.ListenBacklog.Default;
    /// <summary>
    /// process_control_timeout (php-fpm's [global] directive; a [pool] key in the lab, which runs
    /// one pool): how long children get after the master's SIGQUIT (reload, graceful stop) or
    /// SIGTERM (terminate) before the next signal. php-fpm's default 0: the next signal goes out
    /// on the master's next loop pass, so a reload cuts busy requests.
    /// </summary>
    public TimeSpan ProcessControlTimeout { get; init; } = TimeSpan.Zero;
    /// <summary>emergency_restart_threshold ([global]): children dying on SIGSEGV/SIGBUS within the interval that make the master reload; 0 = off.</summary>
    public int EmergencyRestartThreshold { get; init; }
    /// <summary>emergency_restart_interval ([global]); zero = off.</summary>
    public TimeSpan EmergencyRestartInterval { get; init; } = TimeSpan.Zero;
    /// <summary>memory_limit in bytes (php.ini); -1 = unlimited. Per request, never per process.</summary>
    public long MemoryLimitBytes { get; init; } = 128L * 1024 * 1024;

    /// <summary>
    /// The lab's, not a php-fpm directive: this many pools behind one nginx upstream (round-robin,
    /// one request to each in turn), each its own php-fpm with max_children / pools of the
    /// children (static) and pm.max_requests = max_requests + (i − 1) × <see cref="PoolsStep"/> for
    /// pool i — how an operator staggers recycling with php-fpm alone. The simulator only; 1 = one pool.
    /// </summary>
    public int Pools { get; init; } = 1;
    /// <summary>How much pool i's pm.max_requests grows over pool i − 1's (with <see cref="Pools"/> &gt; 1).</summary>
    public int PoolsStep { get; init; }

    /// <summary>Pool <paramref name="i"/> (from 0) of <see cref="Pools"/>: named name1, name2, ..., its share of max_children, its pm.max_requests.</summary>
    public PoolSettings PoolOf(int i) => Pools <= 1 ? this : OnePool() with
    {
        Name = Name + (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
        MaxChildren = MaxChildren / Pools + (i < MaxChildren % Pools ? 1 : 0),
        MaxRequests = MaxRequests == 0 ? 0 : MaxRequests + i * PoolsStep,
    };

    /// <summary>These settings as one pool (pools = 1): what advise sizes and checks.</summary>
    public PoolSettings OnePool() => this with { Pools = 1, PoolsStep = 0 };

    /// <summary>"pools 2 (max_children 32, 32; max_requests 400, 600)" with several pools; "" with one.</summary>
    public string PoolsText => Pools <= 1 ? "" : string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"pools {Pools} (max_children {string.Join(", ", Enumerable.Range(0, Pools).Select(i => PoolOf(i).MaxChildren))}; max_requests {string.Join(", ", Enumerable.Range(0, Pools).Select(i => PoolOf(i).MaxRequests))})");

    /// <summary>
    /// "pm static, max_children 1, max_requests 5" (with several pools: "pm static, pools 2 (...)"):
    /// the key settings every title and the terminal show. A setting <paramref name="known"/>
    /// denies ("pool.max_requests": an imported log does not know it) reads "max_requests unknown".
    /// </summary>
    public string KeyText(Func<string, bool>? known = null)
    {
        string Or(string key, string value) => known is null || known("pool." + key) ? $"{key} {value}" : $"{key} unknown";
        string pm = Or("pm", Pm.ToString().ToLowerInvariant());
        return Pools > 1
            ? $"{pm}, {PoolsText}"
            : string.Join(", ", pm, Or("max_children", MaxChildren.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                Or("max_requests", MaxRequests.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>pm.start_servers as php-fpm resolves it.</summary>
    public int StartServers => StartServersSetting ?? MinSpareServers + (MaxSpareServers - MinSpareServers) / 2;

    /// <summary>How many children the master forks at start-up (php-fpm's fpm_children_make, not in the event loop).</summary>
    public int InitialChildren => Pm switch
    {
        ProcessManagerStyle.Static => MaxChildren,
        ProcessManagerStyle.Dynamic => StartServers,
        _ => 0,
    };
}
