using Lab.Core.Records;

namespace Lab.Results;

/// <summary>
/// What the results writer needs to know of a run before it starts.
/// </summary>
/// <param name="Name">The scenario's name (summary.json's "scenario").</param>
/// <param name="Engine">sim | dotnet | php-fpm.</param>
/// <param name="EpochUtc">The wall-clock time t = 0 maps to (fixed for the simulator).</param>
/// <param name="HostMemKb">Total memory of the host, real or simulated: %MEM in ps.log.</param>
/// <param name="LogLevel">php-fpm's log_level: fpm.log keeps Log lines at this level and above.</param>
/// <param name="RunLengthS">The planned length of the load (null: unknown); throughput's denominator for a complete run.</param>
/// <param name="FlushEveryTick">
/// Real engines flush every file at each EndTick (a killed run still leaves a readable folder);
/// the sim buffers (fast) and flushes at the end.
/// </param>
/// <param name="Compress">requests.csv, samples.csv and ps.log are written gzipped (.gz): a large run.</param>
/// <param name="SummaryRecords">records = "summary": per-second and per-PID aggregates instead of requests.csv.</param>
public sealed record RunHeader(string Name, string Engine, ulong Seed, DateTime EpochUtc, long HostMemKb,
    FpmLogLevel LogLevel, double? RunLengthS, bool FlushEveryTick, bool Compress = false, bool SummaryRecords = false);
