namespace Lab.Core.Scenarios;

/// <summary>Which engine runs a scenario (DESIGN.md, "Engines").</summary>
public enum EngineKind { Sim, Dotnet, PhpFpm }

/// <summary>An engine's name as scenario files, results folders and the terminal write it.</summary>
public static class EngineNames
{
    public static string Of(EngineKind kind) => kind switch
    {
        EngineKind.Sim => "sim",
        EngineKind.Dotnet => "dotnet",
        _ => "php-fpm",
    };
}

/// <summary>
/// What a run keeps of its requests: every request (requests.csv), or per-second and per-PID
/// aggregates only (requests-by-second.csv, requests-by-pid.csv), for runs too big to keep each.
/// </summary>
public enum RecordsMode { All, Summary }

/// <summary>What the load is sent to: the pool's FastCGI socket, or a real nginx in front.</summary>
public enum FrontKind { FastCgi, Nginx }

/// <summary>
/// A resolved scenario: every default applied, every override applied, validated.
/// Built by Lab.Scenarios from a TOML script; the core never parses strings.
/// </summary>
public sealed record Scenario
{
    /// <summary>Short name (file name without .toml), used in the results folder name.</summary>
    public required string Name { get; init; }
    public required string Title { get; init; }
    public string Description { get; init; } = "";
    public EngineKind Engine { get; init; } = EngineKind.Dotnet;
    public FrontKind Front { get; init; } = FrontKind.FastCgi;
    /// <summary>Seed of every random draw of the run (request stream, arrivals, the sim's wobble).</summary>
    public ulong Seed { get; init; } = 1;
    /// <summary>Length of the run. Null: the sum of the load phases.</summary>
    public TimeSpan? Duration { get; init; }
    /// <summary>Period of the fixed-rate sampler (samples.csv, ps.log).</summary>
    public TimeSpan SampleInterval { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>How often the sampler also reads /proc/PID/smaps_rollup (PSS, USS, swap); never more often than SampleInterval.</summary>
    public TimeSpan PssInterval { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>php-fpm's log_level for fpm.log: notice (php-fpm's default) or debug.</summary>
    public Records.FpmLogLevel LogLevel { get; init; } = Records.FpmLogLevel.Notice;
    public required PoolSettings Pool { get; init; }
    public required RequestProfile Request { get; init; }
    public required LoadPlan Load { get; init; }
    public IReadOnlyList<ScenarioAction> Actions { get; init; } = [];
    /// <summary>[php]: the php-fpm engine's docroot, php.ini directives and extensions.</summary>
    public PhpSettings Php { get; init; } = new();
    public MemoryModel Memory { get; init; } = new();
    /// <summary>[recycle]: recycling rules php-fpm does not have (sim and dotnet engines only).</summary>
    public RecycleSettings Recycle { get; init; } = new();
    public GuardSettings Guard { get; init; } = new();
    /// <summary>What the run keeps of its requests; null when the scenario does not say (every request, but a sweep may choose aggregates for large cells).</summary>
    public RecordsMode? RequestRecords { get; init; }

    /// <summary>The run's length: Duration if set, else the load plan's own length.</summary>
    public TimeSpan RunLength => Duration ?? Load.TotalDuration;

    /// <summary>
    /// Whether requests carry the lab's parameters (leak_kb, transient_kb, work_ms, ...): always
    /// but for the php-fpm engine running the user's own docroot (php.root), whose scripts do
    /// what they do.
    /// </summary>
    public bool SendsLabParameters => Engine != EngineKind.PhpFpm || Php.Root is null;
}

