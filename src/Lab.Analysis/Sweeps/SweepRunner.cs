using Lab.Core.Engines;
using Lab.Results;

namespace Lab.Analysis.Sweeps;

/// <summary>A cell after the sweep: its folder, how it ended (and why, when not complete), its summary.</summary>
public sealed record CellResult(SweepCell Cell, string Dir, RunStatus Status, string? Reason, Summary? Summary)
{
    /// <summary>A cell whose figures can be shown (complete, or incomplete with a summary).</summary>
    public bool HasFigures => Summary is not null && Status != RunStatus.Failed;
}

/// <summary>Where a sweep is: cells done of the total, and the cell that just started or finished.</summary>
public readonly record struct SweepProgress(int Done, int Total, SweepCell? Started, CellResult? Finished);

/// <summary>
/// Runs a sweep's cells, each into its own run folder inside the sweep's folder: up to
/// <c>jobs</c> at once on the simulator, one at a time when any cell runs on a real engine.
/// A cell that fails (its run fails, or the runner throws) is recorded with its reason and the
/// others go on; cells not started when the sweep is cancelled are recorded as incomplete.
/// </summary>
public static class SweepRunner
{
    public static async Task<IReadOnlyList<CellResult>> RunAsync(SweepPlan plan, string sweepDir, ScenarioRunner runner, int jobs,
        IProgress<SweepProgress>? progress, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(runner);
        int parallel = plan.AnyReal ? 1 : Math.Max(1, jobs);
        Directory.CreateDirectory(sweepDir);
        var results = new CellResult[plan.Cells.Count];
        int done = 0;
        var gate = new object();
        using var slots = new SemaphoreSlim(parallel, parallel);

        async Task RunCell(SweepCell cell)
        {
            string dir = Path.Combine(sweepDir, cell.Folder);
            try
            {
                await slots.WaitAsync(cancel);
            }
            catch (OperationCanceledException)
            {
                Finish(new CellResult(cell, dir, RunStatus.Incomplete, "not run: the sweep was interrupted", null));
                return;
            }
            if (cancel.IsCancellationRequested) // granted a slot as the sweep was being interrupted
            {
                slots.Release();
                Finish(new CellResult(cell, dir, RunStatus.Incomplete, "not run: the sweep was interrupted", null));
                return;
            }
            try
            {
                lock (gate) progress?.Report(new SweepProgress(done, results.Length, cell, null));
                CellResult r;
                try
                {
                    var run = await Task.Run(() => runner(cell.Scenario, dir, cancel), CancellationToken.None);
                    r = new CellResult(cell, dir, run.Status, run.Reason ?? (run.Summary is null && run.Status == RunStatus.Complete ? "no summary was written" : null), run.Summary);
                    if (run.Summary is null && run.Status == RunStatus.Complete) r = r with { Status = RunStatus.Failed };
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    r = new CellResult(cell, dir, RunStatus.Failed, $"{e.GetType().Name}: {e.Message}", null);
                }
                Finish(r);
            }
            finally
            {
                slots.Release();
            }
        }

        void Finish(CellResult r)
        {
            lock (gate)
            {
                results[r.Cell.Index] = r;
                done++;
                progress?.Report(new SweepProgress(done, results.Length, null, r));
            }
        }

        await Task.WhenAll(plan.Cells.Select(RunCell));
        return results;
    }
}
