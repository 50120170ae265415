using Lab.Core.Engines;
using Lab.Core.Records;
using Lab.Core.Time;
using Lab.Engines.Real;
using Lab.Linux.Packages;
using Lab.Probe;
using Lab.Record.Source;
using Lab.Record.Status;

namespace Lab.Record.Recording;

/// <summary>How often a recording reads what.</summary>
/// <param name="Interval">The fixed-rate schedule of /proc (and of the status page).</param>
/// <param name="PssInterval">How often smaps_rollup is read (PSS, USS, swap): costly for the kernel.</param>
public sealed record RecordOptions(TimeSpan Duration, TimeSpan Interval, TimeSpan PssInterval);

/// <summary>What a recording saw, beyond the results folder: for the lines the command prints.</summary>
public sealed record RecordResult(RunOutcome Outcome, IReadOnlyList<int> ChildrenSeen, long Spawns, long Exits, long Recycles,
    long OwnStatusRequests, bool SmapsDenied, long StatusFailures);

/// <summary>
/// ./run.sh record: attaches to a running php-fpm pool and records it into a sink (the results
/// folder), starting nothing and changing nothing. On Lab.Probe's fixed-rate sampler, each tick
/// reads the status page (when the pool has one) and then the master and its descendants from
/// /proc, smaps_rollup every pss_interval; the error log, when it can be read, is followed from
/// its end. It ends when the duration has passed, on the token (Ctrl-C: still complete, what was
/// recorded is the recording), or when the master goes away (incomplete).
/// </summary>
public static class Recorder
{
    public static async Task<RecordResult> RunAsync(RecordedPool pool, RecordOptions options, IRunSink sink, RunClock clock,
        Action<string> note, CancellationToken cancel)
    {
        var status = pool.StatusPath is { } path && pool.StatusEndPoint is { } ep ? new StatusReader(ep, path) : null;
        var state = new RecordState(sink, pool.Master.Pid, pool.MaxRequests, pool.Scenario.LogLevel, status is not null);
        var smapsSchedule = new SmapsSchedule(options.PssInterval, options.Interval,
            () => note("reading another user's /proc/PID/smaps_rollup needs root: RSS only (no PSS, USS or swap) for this recording"));
        long statusFailures = 0;
        string? lastStatusProblem = null;
        var statusTimeout = TimeSpan.FromSeconds(Math.Clamp(options.Interval.TotalSeconds / 2, 0.2, 2));
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(cancel);

        using var sampler = new Sampler(clock, options.Interval, () => [pool.Master.Pid],
            (t, procs) =>
            {
                var smaps = smapsSchedule.ReadIfDue(t, procs);
                state.OnTick(t, procs, smaps);
                if (state.MasterGone) ended.Cancel();
            },
            beforeTick: _ =>
            {
                if (status is null) return;
                StatusSnapshot? snapshot = null;
                try
                {
                    snapshot = status.Read(statusTimeout);
                    if (snapshot is null) Problem($"{status.Path} did not answer 200 with php-fpm's JSON");
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    Problem($"{e.GetType().Name}: {e.Message}");
                }
                state.OnStatus(snapshot, snapshot is null ? 0 : status.ServedBy(snapshot));
            });

        void Problem(string what)
        {
            statusFailures++;
            if (what == lastStatusProblem) return; // said once, until it changes
            lastStatusProblem = what;
            note($"the status page {status!.Path} could not be read ({what}); the requests column keeps the last counts until it answers again");
        }

        LogTail? tail = pool.ErrorLog is { } log ? new LogTail(log, line => state.OnLogLine(clock.Now, line), fromEnd: true) : null;
        try
        {
            sampler.Start();
            try { await Task.Delay(options.Duration, ended.Token); }
            catch (OperationCanceledException) { }
            sampler.Stop(); // the final tick, now
        }
        finally
        {
            tail?.Dispose();
        }
        state.Finish();

        var versions = new Dictionary<string, string> { ["php-fpm"] = PhpFpmVersion(pool.Master.Pid) };
        var outcome = state.MasterGone
            ? new RunOutcome(RunStatus.Incomplete, $"the php-fpm master (PID {pool.Master.Pid}) went away during the recording", versions, state.LastCounters, smapsSchedule.Notes)
            : new RunOutcome(RunStatus.Complete, null, versions, state.LastCounters, smapsSchedule.Notes);
        return new RecordResult(outcome, state.ChildrenSeen, state.Spawns, state.Exits, state.Recycles, state.OwnStatusRequests, smapsSchedule.Denied, statusFailures);
    }

    /// <summary>The master's php-fpm version (its binary asked with -v: that starts no pool), or "unknown".</summary>
    private static string PhpFpmVersion(int masterPid)
    {
        try
        {
            var exe = new FileInfo($"/proc/{masterPid}/exe").LinkTarget;
            if (exe is null || !File.Exists(exe)) return "unknown";
            var r = SystemCommandRunner.Instance.Run(exe, ["-n", "-v"], new Dictionary<string, string?> { ["PHP_INI_SCAN_DIR"] = "" }, TimeSpan.FromSeconds(10));
            var first = r.Stdout.Split('\n')[0];
            return first.StartsWith("PHP ", StringComparison.Ordinal) ? first.Split(' ')[1] : "unknown";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return "unknown"; }
    }
}
