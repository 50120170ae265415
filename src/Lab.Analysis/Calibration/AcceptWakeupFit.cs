using Lab.Core.Engines;
using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.Results;
using Lab.Results.Reading;
using Lab.Sim;

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
            var sink = new SimRecords();
            var outcome = SimEngine.Run(s, sink, cancel);
            cancel.ThrowIfCancellationRequested();
            if (outcome.Status == RunStatus.Failed)
                throw new CalibrationException($"the sim failed while fitting memory.accept_wakeup: {outcome.Reason}");
            return AcceptOrder.Count(sink.Table(), sink.Spawned);
        }

        var tried = new List<(double Ms, AcceptTurns Turns)> { (0, SimAt(0)) };
        double lo = 0, hi = double.NaN;
        if (tried[0].Turns.OutOfTurn < realTurns.OutOfTurn)
        {
            for (double ms = StartMs; ms <= MaxMs; ms *= 2)
            {
                var t = SimAt(ms);
                tried.Add((ms, t));
                if (t.OutOfTurn >= realTurns.OutOfTurn) { hi = ms; break; }
                lo = ms;
            }
            if (double.IsNaN(hi))
                notes.Add($"even at {MaxMs:0.#} ms the sim served fewer requests out of turn than the real run: memory.accept_wakeup stops there");
            else
                for (int k = 0; k < 3 && lo > 0; k++)
                {
                    double mid = Math.Round(Math.Sqrt(lo * hi), 3);
                    var t = SimAt(mid);
                    tried.Add((mid, t));
                    if (t.OutOfTurn >= realTurns.OutOfTurn) hi = mid; else lo = mid;
                }
        }
        // the smallest value at which the sim is at least as far out of turn as the real run: one steal
        // moves several requests out of turn, so the counts move in steps and "nearest" would often keep 0
        var best = tried.Where(x => x.Turns.OutOfTurn >= realTurns.OutOfTurn).OrderBy(x => x.Ms).FirstOrDefault();
        if (best == default) best = tried.OrderBy(x => Math.Abs(x.Turns.OutOfTurn - realTurns.OutOfTurn)).ThenBy(x => x.Ms).First();
        double err = double.IsNaN(hi) ? double.NaN : (hi - lo) / 2;
        string how = $"the sim serves as many requests out of first-in-first-out turn as the real run: real {realTurns.OutOfTurn} of {realTurns.Compared}, " +
                     $"sim {best.Turns.OutOfTurn} of {best.Turns.Compared} ({tried.Count} sim runs)";
        return new AcceptWakeupFitResult(TimeSpan.FromMilliseconds(best.Ms), new Estimate(best.Ms, best.Ms == 0 ? 0 : err, how), realTurns, best.Turns, notes);
    }
}
