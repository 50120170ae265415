using Lab.Core.Scenarios;
using Lab.Results;

namespace Lab.Analysis.Calibration;

/// <summary>memory.accept_wakeup fitted to a real run.</summary>
/// <param name="Real">The real run's requests out of turn (AcceptOrder).</param>
/// <param name="Sim">The calibrated sim's at the fitted value (null: no sim was run).</param>
public sealed record AcceptWakeupFitResult(TimeSpan Value, Estimate Ms, AcceptTurns Real, AcceptTurns? Sim, IReadOnlyList<string> Notes);

/// <summary>
/// Fits the simulator's memory.accept_wakeup (how long a child woken in accept() takes to run,
/// during which a child finishing its request takes the connection instead) so the calibrated sim
/// serves as many requests out of first-in-first-out turn as the real run did (AcceptOrder, read
/// the same way from both runs' requests.csv). What breaks a recycle storm's lockstep on a real
/// pool is these steals: with exact first-in-first-out the sim's children recycle in a tighter
/// wave than the real ones. The sim is run (in memory: nothing is written) on the calibrated scenario at 0, then at doubling
/// values from 50 µs until it serves at least as many out of turn as the real run, then bisected
/// (geometrically) three times between the last two; the smallest value at which the sim is at
/// least as far out of turn as the real run is kept (one steal moves several requests out of turn,
/// so the count moves in steps). Uncertainty: half the last bracket.
/// </summary>
public static class AcceptWakeupFit
{
    private const double StartMs = 0.05, MaxMs = 25.6;

    public static AcceptWakeupFitResult Fit(RunFolder real, Scenario calibrated, IProgress<string>? progress = null, CancellationToken cancel = default)
    {
        var notes = new List<string>();
        var realTurns = AcceptOrder.Count(real);
        var keep = calibrated.Memory.AcceptWakeup;
        if (real.Requests.Count == 0 || realTurns.Compared == 0)
        {
            notes.Add(real.Requests.Count == 0
                ? "the run kept no requests.csv (records = \"summary\"): memory.accept_wakeup is kept from the scenario"
                : "no request met more than one idle child: the order of accept() cannot be read; memory.accept_wakeup is kept from the scenario");
            return new AcceptWakeupFitResult(keep, new Estimate(keep.TotalMilliseconds, double.NaN, "kept: nothing to compare"), realTurns, null, notes);
        }

        int run = 0;
        AcceptTurns SimAt(double ms)
        {
            run++;
            progress?.Report($"fitting memory.accept_wakeup: the sim at {ms:0.###} ms (run {run})");
            var s = calibrated with { Memory = calibrated.Memory with { AcceptWakeup = TimeSpan.FromMilliseconds(ms) } };
            // only what AcceptOrder reads, kept in memory: nothing is written
            var sim = SimRecords.Run(s, "memory.accept_wakeup", cancel);
            return AcceptOrder.Count(sim.Table(), AcceptOrder.SpawnTimes(sim.Events));
        }

        var turns = new Dictionary<double, AcceptTurns>();
        var found = SimSearch.Smallest(ms => (turns[ms] = SimAt(ms)).OutOfTurn, realTurns.OutOfTurn, StartMs, MaxMs);
        if (found.Capped)
            notes.Add($"even at {MaxMs:0.#} ms the sim served fewer requests out of turn than the real run: memory.accept_wakeup stops there");
        var sim = turns[found.Ms];
        string how = $"the sim serves as many requests out of first-in-first-out turn as the real run: real {realTurns.OutOfTurn} of {realTurns.Compared}, " +
                     $"sim {sim.OutOfTurn} of {sim.Compared} ({found.Tried} sim runs)";
        return new AcceptWakeupFitResult(TimeSpan.FromMilliseconds(found.Ms), new Estimate(found.Ms, found.Uncertainty, how), realTurns, sim, notes);
    }
}
