using Lab.Core.Engines;
using Lab.Core.Scenarios;
using Lab.Results;

namespace Lab.Analysis;

/// <summary>How a run the analysis asked for ended, and its summary (null when none was written).</summary>
public sealed record RunResult(RunStatus Status, string? Reason, Summary? Summary);

/// <summary>
/// Runs a scenario into a results folder (dir) and says how it ended. The analysis (sweep cells,
/// advise's verification, the lessons) does not run engines itself: the CLI passes one that
/// goes through its RunPipeline (any engine) and writes the run's report; a test may pass one
/// that runs the simulator.
/// </summary>
public delegate Task<RunResult> ScenarioRunner(Scenario scenario, string dir, CancellationToken cancel);
