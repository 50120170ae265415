using Lab.Core.Engines;
using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.Sim.Engine;
using Lab.Sim.Load;
using Lab.Sim.Pool;

namespace Lab.Sim;

/// <summary>
/// engine = "sim": the php-fpm master, its children, the listen queue and the load as a
/// discrete-event model in virtual time. Deterministic: the same scenario (seed included) gives
/// the same sequence of sink calls, so byte-identical results. PIDs are synthetic: the first
/// master is 1000 and every new process takes the next number.
/// <para>
/// How a run goes: the master starts at t = 0; the load plays until the run's length
/// (Scenario.RunLength) or until `iterations` requests were sent; requests still in flight then
/// are drained (answered, or given 504 at the client time-out); a last sample tick is taken at
/// that moment, the status counters are read, and the master is stopped (SIGTERM: "Terminating
/// ...", "exiting, bye-bye!"). Of `front` the sim takes only what a client sees of a refused
/// connection (nginx: 502, the FastCGI client: 503); it ignores the memory guard (nothing real is
/// allocated).
/// </para>
/// </summary>
public sealed class SimEngine(ISimObserver? observer = null) : IEngine
{
    /// <summary>The simulator's t = 0, fixed so its output is reproducible.</summary>
    public static readonly DateTime Epoch = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    public const string Version = "1";

    public DateTime EpochUtc => Epoch;

    public Task<RunOutcome> RunAsync(Scenario scenario, IRunSink sink, CancellationToken cancel) =>
        Task.FromResult(Run(scenario, sink, cancel, observer));

    /// <summary>Runs a scenario to its end (synchronously) and returns how it ended.</summary>
    public static RunOutcome Run(Scenario scenario, IRunSink sink, CancellationToken cancel) => Run(scenario, sink, cancel, null);

    /// <inheritdoc cref="Run(Scenario, IRunSink, CancellationToken)"/>
    public static RunOutcome Run(Scenario scenario, IRunSink sink, CancellationToken cancel, ISimObserver? observer)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(sink);
        var versions = new Dictionary<string, string> { ["sim"] = Version };

        var sim = new Simulation();
        // one php-fpm, or several pools behind one round-robin upstream (pool.pools), each its own php-fpm
        var fpms = Enumerable.Range(0, Math.Max(1, scenario.Pool.Pools)).Select(i => new Fpm(sim, scenario, sink, Epoch, observer, i)).ToArray();
        var load = new LoadDriver(sim, scenario, fpms, sink, observer);
        foreach (var fpm in fpms) fpm.Load = load;
        var interval = scenario.SampleInterval > TimeSpan.Zero ? scenario.SampleInterval : TimeSpan.FromSeconds(1);
        var sampler = new Sampler(fpms, sink, Simulation.FromTimeSpan(interval), Simulation.FromTimeSpan(scenario.PssInterval));
        // at one instant: heap events, then time-outs, then the sample tick, then arrivals — so a
        // tick that falls on an arrival sees the pool as ps would just before it (as on real
        // engines, whose sampler and load are never in lockstep), not mid-request
        sim.AddStream(load.Timeouts);
        sim.AddStream(sampler);
        sim.AddStream(load.Arrivals);

        if (cancel.IsCancellationRequested) return Incomplete(fpms, versions);
        foreach (var fpm in fpms) fpm.Start();
        load.Start();

        long runLength = Simulation.FromTimeSpan(scenario.RunLength);
        if (!sim.Run(runLength, cancel)) return Incomplete(fpms, versions);
        if (!sim.Stopped && load.InFlight > 0)
        {
            // drain: the load is over; wait for the answers (bounded by the client time-out)
            load.StopWhenIdle();
            if (!sim.Stopped && !sim.Run(Simulation.Never, cancel)) return Incomplete(fpms, versions);
        }

        sampler.Final(sim.Now);
        var status = Status(fpms);
        foreach (var fpm in fpms) fpm.Terminate();
        return new RunOutcome(RunStatus.Complete, null, versions, status);
    }

    /// <summary>The status page's counters; none with several pools (each has its own page: no one page holds the host).</summary>
    private static Dictionary<string, long>? Status(Fpm[] fpms) => fpms.Length == 1 ? fpms[0].Status() : null;

    private static RunOutcome Incomplete(Fpm[] fpms, Dictionary<string, string> versions) =>
        new(RunStatus.Incomplete, "cancelled", versions, Status(fpms));
}
