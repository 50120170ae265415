using Lab.Core.Scenarios;

namespace Lab.Scenarios;

/// <summary>How a setting's value is written in a scenario file (and parsed from an override).</summary>
public enum SettingType
{
    /// <summary>A string.</summary>
    Text,
    /// <summary>A TOML integer.</summary>
    Integer,
    /// <summary>A TOML integer or float.</summary>
    Number,
    /// <summary>One of <see cref="SettingKey.Choices"/> (a string).</summary>
    Choice,
    /// <summary>A size with a unit: "4M", "512K", "100B" (KiB/MiB/GiB also accepted).</summary>
    Size,
    /// <summary>A duration with a unit: "250ms", "30s", "1m30s".</summary>
    Duration,
    /// <summary>A duration, or 0 meaning off.</summary>
    Timeout,
    /// <summary>php's memory_limit: bytes, K/M/G suffix, or -1 for unlimited.</summary>
    MemoryLimit,
    /// <summary>A size, or a distribution of sizes: { dist = "uniform", min, max } | normal | exponential.</summary>
    SizeDistribution,
    /// <summary>A duration, or a distribution of durations.</summary>
    DurationDistribution,
    /// <summary>A signal name ("KILL", "TERM", "SEGV") or number.</summary>
    Signal,
    /// <summary>An inline table of [pool] keys (a reload's new settings).</summary>
    PoolTable,
    /// <summary>A path to a file or folder (a string); relative to the scenario file's folder, or to the current folder on the command line.</summary>
    Path,
    /// <summary>A share of all requests: a percentage ("1%", "0.5%").</summary>
    Share,
    /// <summary>An inline table of php.ini directives ({ "opcache.enable" = 1 }).</summary>
    IniTable,
    /// <summary>A list of strings (["php8.2-redis", "apcu"]; on the command line also a,b).</summary>
    TextList,
    /// <summary>true or false.</summary>
    Bool,
}

/// <summary>
/// One setting of a scenario file. Path is dotted; the N of "load.phases.N.rate" and
/// "actions.N.at" is the 1-based position of the phase or action.
/// </summary>
/// <param name="Default">The default as a user would write it, or what happens when the key is left out.</param>
public sealed record SettingKey(string Path, SettingType Type, string Default, string Help)
{
    /// <summary>The allowed values of a <see cref="SettingType.Choice"/>.</summary>
    public IReadOnlyList<string> Choices { get; init; } = [];

    /// <summary>Phase or action keys: the kinds (phase = / action = values) that use this key; empty: every kind.</summary>
    public IReadOnlyList<string> Kinds { get; init; } = [];

    /// <summary>Phase or action keys: the kinds for which this key must be given.</summary>
    public IReadOnlyList<string> RequiredFor { get; init; } = [];

    /// <summary>The last segment of the path ("max_requests").</summary>
    public string Leaf => Path[(Path.LastIndexOf('.') + 1)..];

    /// <summary>The table holding the key: "" (top level), "pool", "load.phases.N", "actions.N", ...</summary>
    public string Table => Path.LastIndexOf('.') is int i and >= 0 ? Path[..i] : "";

    public bool AppliesTo(string kind) => Kinds.Count == 0 || Kinds.Contains(kind);
}

/// <summary>
/// Every key a scenario file may hold: the single source of truth for the loader's
/// unknown-key checks, the override resolver (max_requests=5 → pool.max_requests) and the
/// documentation (scenarios/README.md). Defaults shown are those of Lab.Core's records.
/// </summary>
public static class ScenarioSchema
{
    public const string Phases = "load.phases.N";
    public const string Actions = "actions.N";
    public const string Kinds = "request.kinds.N";

    public static readonly IReadOnlyList<string> Engines = ["sim", "dotnet", "php-fpm"];
    public static readonly IReadOnlyList<string> Fronts = ["fastcgi", "nginx"];
    public static readonly IReadOnlyList<string> LogLevels = ["notice", "debug", "warning", "error", "alert"];
    public static readonly IReadOnlyList<string> RecordsModes = ["all", "summary"];
    public static readonly IReadOnlyList<string> PmStyles = ["static", "dynamic", "ondemand"];
    public static readonly IReadOnlyList<string> ArrivalProcesses = ["even", "poisson"];
    public static readonly IReadOnlyList<string> PhaseKinds = ["inject", "ramping-inject", "inject-random", "keep-constant", "ramping-constant", "pause"];
    public static readonly IReadOnlyList<string> ActionKinds = ["restart", "reload", "kill-child", "stop"];
    /// <summary>The signals a stop action may send the master: php-fpm's graceful stop, or terminate.</summary>
    public static readonly IReadOnlyList<string> StopSignals = ["QUIT", "TERM", "INT"];
    public static readonly IReadOnlyList<string> ChildTargets = ["oldest", "newest", "busy", "idle", "largest"];
    public static readonly IReadOnlyList<string> DistributionKinds = ["uniform", "normal", "exponential", "lognormal", "choice"];

    /// <summary>The sub-keys of a distribution table, by its dist.</summary>
    public static IReadOnlyList<string> DistributionKeys(string dist) => dist switch
    {
        "uniform" => ["dist", "min", "max"],
        "normal" or "lognormal" => ["dist", "mean", "stddev"],
        "exponential" => ["dist", "mean"],
        "choice" => ["dist", "values", "weights"],
        _ => ["dist", "min", "max", "mean", "stddev", "values", "weights"],
    };

    /// <summary>The tables of a scenario file, as dotted paths ("" is the top level).</summary>
    public static readonly IReadOnlyList<string> Tables = ["", "pool", "request", Kinds, "load", Phases, Actions, "recycle", "php", "memory", "guard"];

    public static IReadOnlyList<SettingKey> Keys { get; } = BuildKeys();

    /// <summary>The keys of one table ("pool", "load.phases.N", ...), in file order.</summary>
    public static IEnumerable<SettingKey> KeysOf(string table) => Keys.Where(k => k.Table == table);

    /// <summary>The names a table may hold: its keys and its sub-tables.</summary>
    internal static IReadOnlyList<string> NamesIn(string table)
    {
        var names = KeysOf(table).Select(k => k.Leaf).ToList();
        if (table == "") names.AddRange(["pool", "request", "load", "actions", "recycle", "php", "memory", "guard"]);
        if (table == "load") names.Add("phases");
        if (table == "request") names.Add("kinds");
        return names;
    }

    public static SettingKey? Find(string path) => Keys.FirstOrDefault(k => k.Path == path);

    private static IReadOnlyList<SettingKey> BuildKeys()
    {
        var pool = new PoolSettings();
        var request = new RequestProfile();
        var load = new LoadPlan();
        var memory = new MemoryModel();
        var recycle = new RecycleSettings();
        var scenarioDefaults = new Scenario { Name = "", Title = "", Pool = pool, Request = request, Load = load };
        string[] open = ["inject", "ramping-inject"];
        string[] closed = ["keep-constant", "ramping-constant"];

        static string Dist(Distribution d, bool size) => d.Kind == DistributionKind.Constant
            ? size ? ScenarioUnits.FormatSizeKb(d.A) : ScenarioUnits.FormatDurationMs(d.A)
            : d.Kind.ToString().ToLowerInvariant();

        return
        [
            new("title", SettingType.Text, "the scenario's name", "One line: what the scenario is (shown by `list` and in reports)."),
            new("description", SettingType.Text, "\"\"", "A few sentences shown in reports: what the scenario shows."),
            new("engine", SettingType.Choice, "dotnet", "What runs the pool: the simulator, the lab's own C# pool, or the real php-fpm.") { Choices = Engines },
            new("front", SettingType.Choice, "fastcgi", "Load straight to the pool's FastCGI socket, or through a real nginx over HTTP.") { Choices = Fronts },
            new("seed", SettingType.Integer, scenarioDefaults.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture), "Seed of every random draw: request sizes and work, Poisson arrivals, the simulator's wobble."),
            new("duration", SettingType.Duration, "the sum of the load phases", "Length of the run (a run may go on idle after the load, or cut it short)."),
            new("sample_interval", SettingType.Duration, ScenarioUnits.FormatDuration(scenarioDefaults.SampleInterval), "Period of the sampler (samples.csv, ps.log)."),
            new("pss_interval", SettingType.Duration, ScenarioUnits.FormatDuration(scenarioDefaults.PssInterval), "How often the sampler also reads /proc/PID/smaps_rollup: samples.csv's pss_kb, uss_kb, swap_kb (empty on other ticks); never more often than sample_interval."),
            new("log_level", SettingType.Choice, "notice", "php-fpm's log_level for fpm.log.") { Choices = LogLevels },
            new("records", SettingType.Choice, "all", "What the run keeps of its requests: every request (requests.csv), or per-second and per-PID aggregates (requests-by-second.csv, requests-by-pid.csv) for runs too big to keep each. A sweep uses summary for cells that would write more than 256 MB, unless records is set.") { Choices = RecordsModes },

            new("pool.name", SettingType.Text, pool.Name, "The pool's name ([www] in php-fpm's config; shown in log lines and ps)."),
            new("pool.pm", SettingType.Choice, "dynamic", "pm: how the process manager sizes the pool.") { Choices = PmStyles },
            new("pool.max_children", SettingType.Integer, I(pool.MaxChildren), "pm.max_children: most children at once (static: always this many)."),
            new("pool.start_servers", SettingType.Integer, "min_spare_servers + (max_spare_servers - min_spare_servers) / 2", "pm.start_servers: children forked at start (dynamic)."),
            new("pool.min_spare_servers", SettingType.Integer, I(pool.MinSpareServers), "pm.min_spare_servers: fewest idle children (dynamic)."),
            new("pool.max_spare_servers", SettingType.Integer, I(pool.MaxSpareServers), "pm.max_spare_servers: most idle children (dynamic)."),
            new("pool.max_spawn_rate", SettingType.Integer, I(pool.MaxSpawnRate), "pm.max_spawn_rate: most children forked in one second (dynamic)."),
            new("pool.process_idle_timeout", SettingType.Duration, ScenarioUnits.FormatDuration(pool.ProcessIdleTimeout), "pm.process_idle_timeout: an idle child is killed after this long (ondemand)."),
            new("pool.max_requests", SettingType.Integer, I(pool.MaxRequests), "pm.max_requests: requests a child serves before it exits and is respawned; 0 = unlimited."),
            new("pool.request_terminate_timeout", SettingType.Timeout, "0", "request_terminate_timeout: a request running longer gets its child killed; 0 = off."),
            new("pool.request_slowlog_timeout", SettingType.Timeout, "0", "request_slowlog_timeout: a request running longer counts as slow; 0 = off."),
            new("pool.listen_backlog", SettingType.Integer, I(pool.ListenBacklog), "listen.backlog (also spelled so): -1 = the kernel's somaxconn (php-fpm 8.2's default); a Unix socket then holds backlog + 1 waiting connections and refuses the next at once."),
            new("pool.process_control_timeout", SettingType.Timeout, "0", "process_control_timeout ([global] in php-fpm): how long children get after the master's SIGQUIT (reload, graceful stop) before SIGTERM, then SIGKILL a second later; 0 = the master's next loop pass, so a reload cuts busy requests."),
            new("pool.emergency_restart_threshold", SettingType.Integer, "0", "emergency_restart_threshold ([global] in php-fpm): this many children dying on SIGSEGV or SIGBUS within emergency_restart_interval make the master reload; 0 = off."),
            new("pool.emergency_restart_interval", SettingType.Timeout, "0", "emergency_restart_interval ([global] in php-fpm): the window of emergency_restart_threshold; 0 = off."),
            new("pool.memory_limit", SettingType.MemoryLimit, ScenarioUnits.FormatMemoryLimit(pool.MemoryLimitBytes), "php's memory_limit: bounds one request's PHP allocations, never the process; -1 = unlimited."),
            new("pool.pools", SettingType.Integer, "1", "Not a php-fpm directive (simulator only): this many pools behind one nginx upstream, which sends each request to the next pool in turn; each is a php-fpm of its own with max_children / pools children (pm = static) and named name1, name2, ...: how an operator staggers recycling with php-fpm alone."),
            new("pool.pools_step", SettingType.Integer, "0", "With pools > 1: pool i's pm.max_requests is max_requests + (i − 1) × pools_step (e.g. max_requests = 400, pools = 2, pools_step = 200: 400 and 600)."),
            new("pool.from", SettingType.Path, "no file", "A php-fpm pool file (www.conf, or a php-fpm.conf and its includes): each directive the lab knows becomes its [pool] key; keys set in the scenario or on the command line win."),

            new("request.script", SettingType.Text, request.Script, "The script requested (SCRIPT_NAME, the status page's request URI)."),
            new("request.query", SettingType.Text, "\"\"", "The request's own query string (without '?'); the lab's scripts also get its leak_kb, transient_kb, work_ms, wait_ms."),
            new("request.leak", SettingType.SizeDistribution, Dist(request.LeakKb, true), "Memory each request leaks for good (a C-level leak, not counted by memory_limit)."),
            new("request.transient", SettingType.SizeDistribution, Dist(request.TransientKb, true), "Memory each request allocates as PHP values and frees at its end (counted by memory_limit)."),
            new("request.work", SettingType.DurationDistribution, Dist(request.WorkMs, false), "CPU time each request burns."),
            new("request.code", SettingType.Size, ScenarioUnits.FormatSizeKb(request.CodeKb), "Application code each request loads, shared by the children (0: none): php-fpm runs that much generated PHP classes through opcache; the dotnet engine's master creates a shared mapping of that size that each worker touches on its requests."),
            new("request.wait", SettingType.DurationDistribution, Dist(request.WaitMs, false), "Time each request sleeps: busy child, no CPU (like a database call)."),

            new($"{Kinds}.name", SettingType.Text, "(required)", "The kind's name in requests.csv and the reports (letters, digits, '_', '-', '.')."),
            new($"{Kinds}.weight", SettingType.Number, "1", "Relative weight among the kinds without a share."),
            new($"{Kinds}.share", SettingType.Share, "none (weight 1)", "A fixed share of all requests, e.g. \"1%\"; the kinds with weights split the rest."),
            new($"{Kinds}.script", SettingType.Text, "request.script", "The script this kind requests."),
            new($"{Kinds}.query", SettingType.Text, "request.query", "This kind's own query string."),
            new($"{Kinds}.leak", SettingType.SizeDistribution, "request.leak", "Memory this kind leaks per request."),
            new($"{Kinds}.transient", SettingType.SizeDistribution, "request.transient", "Transient memory of this kind."),
            new($"{Kinds}.work", SettingType.DurationDistribution, "request.work", "CPU time of this kind."),
            new($"{Kinds}.wait", SettingType.DurationDistribution, "request.wait", "Wait of this kind."),

            new("load.arrivals", SettingType.Choice, "even", "Open model: requests evenly spaced (wrk2, k6) or a Poisson process.") { Choices = ArrivalProcesses },
            new("load.iterations", SettingType.Integer, "no cap", "Stop after this many requests."),
            new("load.max_in_flight", SettingType.Integer, I(load.MaxInFlight), "Open model: most requests in flight; a request finding this many is counted as dropped."),
            new("load.timeout", SettingType.Duration, ScenarioUnits.FormatDuration(load.Timeout), "Client timeout of one request (status 504)."),

            new($"{Phases}.phase", SettingType.Choice, "(required)", "The phase's kind (NBomber's vocabulary).") { Choices = PhaseKinds, RequiredFor = PhaseKinds },
            new($"{Phases}.during", SettingType.Duration, "(required)", "Length of the phase.") { RequiredFor = PhaseKinds },
            new($"{Phases}.rate", SettingType.Number, "(required)", "Requests per second (fractional allowed); ramping-inject goes linearly from the previous phase's rate to this.") { Kinds = open, RequiredFor = open },
            new($"{Phases}.min_rate", SettingType.Number, "(required)", "inject-random: lowest rate (req/s).") { Kinds = ["inject-random"], RequiredFor = ["inject-random"] },
            new($"{Phases}.max_rate", SettingType.Number, "(required)", "inject-random: highest rate (req/s).") { Kinds = ["inject-random"], RequiredFor = ["inject-random"] },
            new($"{Phases}.interval", SettingType.Duration, ScenarioUnits.FormatDuration(new LoadPhase { Kind = LoadPhaseKind.InjectRandom, During = TimeSpan.Zero }.RandomInterval), "inject-random: a new rate is drawn this often.") { Kinds = ["inject-random"] },
            new($"{Phases}.copies", SettingType.Integer, "(required)", "Closed model: users looping request after request; ramping-constant goes linearly from the previous phase's count to this.") { Kinds = closed, RequiredFor = closed },
            new($"{Phases}.think", SettingType.Duration, "0s", "Closed model: pause of a user between its requests.") { Kinds = closed },

            new($"{Actions}.at", SettingType.Duration, "(required)", "When the action happens, from the start of the run.") { RequiredFor = ActionKinds },
            new($"{Actions}.action", SettingType.Choice, "(required)", "restart: kill the master and start a new one; reload: php-fpm's graceful reload (SIGUSR2); kill-child: signal one child; stop: stop the master (SIGQUIT, php-fpm's graceful stop; no new master follows).") { Choices = ActionKinds, RequiredFor = ActionKinds },
            new($"{Actions}.every", SettingType.Duration, "once", "restart, reload, kill-child: repeat the action every this long from at until the run ends (a cron job, e.g. a reload every 2 minutes).") { Kinds = ["restart", "reload", "kill-child"] },
            new($"{Actions}.set", SettingType.PoolTable, "no change", "reload: [pool] keys that change with the reload, e.g. { max_requests = 5 }.") { Kinds = ["reload"] },
            new($"{Actions}.target", SettingType.Choice, "oldest", "kill-child: which child.") { Choices = ChildTargets, Kinds = ["kill-child"] },
            new($"{Actions}.signal", SettingType.Signal, "KILL (kill-child), QUIT (stop)", "kill-child: the signal sent to the child (KILL, TERM, SEGV, STOP, ... or a number); stop: the signal sent to the master (QUIT, TERM or INT).") { Kinds = ["kill-child", "stop"] },

            new("recycle.jitter", SettingType.Integer, "0", "NOT php-fpm (gunicorn's max_requests_jitter): each child's request limit is max_requests + a random 0..jitter, drawn once per life from the seed."),
            new("recycle.delta", SettingType.Integer, "0", "NOT php-fpm (uWSGI's max-requests-delta): the child in scoreboard slot i (from 1) has the limit max_requests + (i - 1) x delta."),
            new("recycle.max_rss", SettingType.Size, "0 (off)", "NOT php-fpm (uWSGI's reload-on-rss; php-src #17661's proposed pm.max_memory): after each request the child reads its RSS and, at or past this, exits gracefully (the request completed)."),
            new("recycle.max_uss", SettingType.Size, "0 (off)", "NOT php-fpm (uWSGI's reload-on-uss): as max_rss, on the child's USS (private memory; on the simulator RSS less memory.shared)."),
            new("recycle.kill_rss", SettingType.Size, "0 (off)", "NOT php-fpm (uWSGI's evil-reload-on-rss): every check_interval the master SIGKILLs a child whose RSS is at or past this; its request in flight fails (502)."),
            new("recycle.pool_budget", SettingType.Size, "0 (off)", "NOT php-fpm (puma_worker_killer's ram): every check_interval, when the pool's total RSS (master + children) passes this, the master ends the largest child gracefully (SIGQUIT)."),
            new("recycle.check_interval", SettingType.Duration, ScenarioUnits.FormatDuration(recycle.CheckInterval), "NOT php-fpm: how often the master checks kill_rss and pool_budget (uWSGI's mem-collector-freq: 3s)."),
            new("recycle.min_lifetime", SettingType.Duration, "0s", "NOT php-fpm (uWSGI's min-worker-lifetime): a child younger than this is not recycled by max_requests, max_rss or max_uss."),

            new("php.root", SettingType.Path, "lab/php", "engine php-fpm: the document root of your own scripts, copied into the run's private folder (request.script is a path in it)."),
            new("php.ini", SettingType.IniTable, "{}", "engine php-fpm: php.ini directives, e.g. { \"opcache.enable\" = 1, \"opcache.memory_consumption\" = \"256M\" }."),
            new("php.opcache", SettingType.Bool, "true", "engine php-fpm: opcache on, as in production (opcache.enable = 1, opcache.validate_timestamps = 0, opcache.memory_consumption sized for request.code): its shared memory is counted in every child's RSS, once in PSS. false: opcache.enable = 0."),
            new("php.extensions", SettingType.TextList, "[]", "engine php-fpm: PHP extensions by the distribution's package or module name, e.g. [\"php8.2-redis\", \"opcache\"]; installed with apt-get when missing (as root)."),

            new("memory.child_baseline", SettingType.Size, ScenarioUnits.FormatSizeKb(memory.ChildBaselineKb), "Simulator: RSS of a fresh child."),
            new("memory.shared", SettingType.Size, ScenarioUnits.FormatSizeKb(memory.SharedKb), "Simulator: memory every child touches and all share (code, opcache): in each child's RSS, out of its USS, divided among the children in PSS (the pool pays it once)."),
            new("memory.shared_code", SettingType.Size, "0K", "Simulator: shared memory a child touches from its first request on (the code every request runs: opcache's, the dotnet master's mapping): in its RSS from then on, out of its USS, divided in PSS among the children that ran a request."),
            new("memory.shared_others", SettingType.Number, "0", "Simulator: other processes that map the shared pages too (the master, other pools, processes using the same libraries): a child's PSS holds shared / (children + this)."),
            new("memory.master_pss", SettingType.Size, "master_rss", "Simulator: PSS (and USS) of the master: its pages shared with the children or other processes count in part."),
            new("memory.child_vsz", SettingType.Size, ScenarioUnits.FormatSizeKb(memory.ChildVszKb), "Simulator: VSZ of a fresh child."),
            new("memory.master_rss", SettingType.Size, ScenarioUnits.FormatSizeKb(memory.MasterRssKb), "Simulator: RSS of the master."),
            new("memory.master_vsz", SettingType.Size, ScenarioUnits.FormatSizeKb(memory.MasterVszKb), "Simulator: VSZ of the master."),
            new("memory.leak_scale", SettingType.Number, ScenarioUnits.FormatNumber(memory.LeakScale), "Simulator: RSS growth per KiB leaked (1 = every leaked page is touched)."),
            new("memory.per_request", SettingType.Size, ScenarioUnits.FormatSizeKb(memory.PerRequestKb), "Simulator: RSS growth per request on top of the leak (caches filling)."),
            new("memory.retain_fraction", SettingType.Number, ScenarioUnits.FormatNumber(memory.RetainFraction), "Simulator: share (0..1) of a request's transient memory the allocator keeps after it."),
            new("memory.retain_max", SettingType.Size, ScenarioUnits.FormatSizeKb(memory.RetainMaxKb), "Simulator: most memory the allocator keeps."),
            new("memory.retain_shrink", SettingType.Number, ScenarioUnits.FormatNumber(memory.RetainShrink), "Simulator: after each request the allocator gives back a random share in [0, this] (0..1) of what it kept."),
            new("memory.cold_start", SettingType.Duration, ScenarioUnits.FormatDuration(memory.ColdStart), "Simulator: extra time a new child's first request takes (fitted by calibrate)."),
            new("memory.accept_wakeup", SettingType.Duration, ScenarioUnits.FormatDuration(memory.AcceptWakeup), "Simulator: how long a child woken in accept() takes to run; a child finishing its request, or a new child calling accept() for the first time, meanwhile takes the connection, the woken one waits again at the end of the queue (0: exact first-in-first-out); calibrate fits it."),
            new("memory.exit_time", SettingType.DurationDistribution, Dist(memory.ExitTimeMs, false), "Simulator: a recycled child's way out, drawn per exit (a constant or a distribution, as request.work): from its last answer to the master forking its replacement (PHP's shutdown, its heap freed, exit, SIGCHLD, fork); meanwhile it holds its memory and takes no connection. calibrate fits it."),
            new("memory.master_start", SettingType.Duration, ScenarioUnits.FormatDuration(memory.MasterStart), "Simulator: when the master starts, from the run's start (a real stack takes this long to start php-fpm; calibrate sets the real run's). Requests before it are refused."),
            new("memory.start_spread", SettingType.Duration, ScenarioUnits.FormatDuration(memory.StartSpread), "Simulator: the spread of the initial children's start-up: each reaches accept() spawn_time plus a uniform draw in [0, this] after its fork, so the first requests meet only those ready; calibrate fits it."),
            new("memory.spawn_time", SettingType.Duration, ScenarioUnits.FormatDuration(memory.SpawnTime), "Simulator: time from fork to a child ready to accept."),
            new("memory.host_mem", SettingType.Size, ScenarioUnits.FormatSizeKb(memory.HostMemKb), "Simulator: the host's memory, for ps's %MEM column."),

            new("guard.max_rss", SettingType.Size, "half of MemAvailable at the start", "Real engines: the run stops (incomplete) when the run's total RSS passes this."),
            new("guard.min_available", SettingType.Size, "the smaller of 1G and 10% of MemTotal", "Real engines: the run stops (incomplete) when the host's MemAvailable falls under this."),
        ];
    }

    private static string I(int v) => v.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
