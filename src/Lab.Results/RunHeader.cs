using Lab.Core.Records;
using Lab.Core.Scenarios;

namespace Lab.Results;

/// <summary>
/// What the results writer needs to know of a run before it starts.
/// </summary>
/// <param name="Name">The scenario's name (summary.json's "scenario").</param>
/// <param name="Engine">sim | dotnet | php-fpm.</param>
/// <param name="EpochUtc">The wall-clock time t = 0 maps to (fixed for the simulator).</param>
/// <param name="HostMemKb">Total memory of the host, real or simulated: %MEM in ps.log.</param>
/// <param name="LogLevel">php-fpm's log_level: fpm.log keeps Log lines at this level and above.</param>
/// <param name="RunLengthS">The planned length of the run (null: unknown): a run ended well before it by load.iterations says so.</param>
/// <param name="FlushEveryTick">
/// Real engines flush every file at each EndTick (a killed run still leaves a readable folder);
/// the sim buffers (fast) and flushes at the end.
/// </param>
/// <param name="Compress">requests.csv, samples.csv and ps.log are written gzipped (.gz): a large run.</param>
/// <param name="SummaryRecords">records = "summary": per-second and per-PID aggregates instead of requests.csv.</param>
/// <param name="Iterations">load.iterations, the cap on requests (null: none).</param>
/// <param name="LeakUnit">What the requests column counts: "request", or "observation" (an imported ps log: ps blocks a PID was seen in).</param>
public sealed record RunHeader(string Name, string Engine, ulong Seed, DateTime EpochUtc, long HostMemKb,
    FpmLogLevel LogLevel, double? RunLengthS, bool FlushEveryTick, bool Compress = false, bool SummaryRecords = false,
    long? Iterations = null, string LeakUnit = RunHeader.PerRequest)
{
    public const string PerRequest = "request";
    public const string PerObservation = "observation";

    /// <summary>The header of a run of a scenario.</summary>
    public static RunHeader For(Scenario s, string engineName, DateTime epochUtc, long hostMemKb, bool flushEveryTick) =>
        new(s.Name, engineName, s.Seed, epochUtc, hostMemKb, s.LogLevel, s.RunLength.TotalSeconds, flushEveryTick, Iterations: s.Load.Iterations);
}
