using Lab.Linux.Proc;
using Lab.Core.Engines;
using Lab.Core.Events;
using Lab.Core.Load;
using Lab.Core.Php;
using Lab.Core.Records;
using Lab.Core.Requests;
using Lab.Core.Scenarios;
using Lab.Core.Time;
using Lab.Load;
using Lab.Probe;

namespace Lab.Engines.Real;

/// <summary>
/// A run on real processes (engine dotnet or php-fpm): starts the pool host (and nginx when
/// front = nginx), samples the master and all its descendants from /proc on a fixed-rate
/// schedule, drives the scenario's load in wall-clock time, carries out its timed actions,
/// watches the memory guard, and always ends every process it started.
/// t = 0 is the master's launch; the load starts when the pool accepts connections.
/// </summary>
public sealed class RealEngine : IEngine
{
    private readonly Func<PrivateTemp, IPoolHost> _hostFactory;
    private readonly Func<PrivateTemp, IPoolHost, IFront>? _frontFactory;
    private readonly RunClock _clock = new();

    public RealEngine(Func<PrivateTemp, IPoolHost> hostFactory, Func<PrivateTemp, IPoolHost, IFront>? frontFactory)
    {
        _hostFactory = hostFactory;
        _frontFactory = frontFactory;
    }

    public DateTime EpochUtc => _clock.EpochUtc;

    public async Task<RunOutcome> RunAsync(Scenario scenario, IRunSink sink, CancellationToken cancel)
    {
        using var temp = new PrivateTemp();
        var state = new RunState(sink, _clock, scenario);
        await using var host = _hostFactory(temp);
        state.MapPid = host.MapPid;
        host.LogLine += state.OnLogLine;
        IFront? front = null;
        Sampler? sampler = null;
        GuardSampler? guardSampler = null;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        string? guardReason = null;
        var versions = new Dictionary<string, string>(host.Versions);
        var smaps = new SmapsSchedule(scenario.PssInterval, scenario.SampleInterval);
        try
        {
            IReadOnlyList<int> Roots() => host.MasterPid is var m and > 0 ? [m] : [];
            sampler = new Sampler(_clock, scenario.SampleInterval, Roots,
                (t, procs) => state.OnTick(t, procs, host.MasterPid, smaps.ReadIfDue(t, procs, force: _finalTick)));
            // The guard watches at its own 10 Hz, whatever sample_interval: no leak outruns it between two samples.
            var guard = new MemoryGuard(MemoryGuard.Resolve(scenario.Guard, Proc.ReadMemInfo()));
            guardSampler = new GuardSampler(_clock, Roots, guard, (t, totalKb, why) =>
            {
                if (Interlocked.CompareExchange(ref guardReason, why, null) is not null) return;
                state.Event(PoolEventKind.Guard, 0, why);
                stop.Cancel();
            });

            await host.StartAsync(scenario.Pool, stop.Token);
            sampler.Start();
            guardSampler.Start();
            if (_frontFactory is not null)
            {
                front = _frontFactory(temp, host);
                await front.StartAsync(stop.Token);
                foreach (var kv in front.Versions) versions[kv.Key] = kv.Value;
            }

            double loadStart = _clock.Now;
            var schedule = new LoadSchedule(scenario.Load, scenario.Seed, scenario.Duration?.TotalSeconds);
            var stream = new RequestStream(scenario.Request, scenario.Seed, scenario.SendsLabParameters);
            await using var transport = front is not null
                ? front.CreateTransport(scenario)
                : new FastCgiTransport(host.Listen, host.DocumentRoot);
            var driver = new LoadDriver(scenario.Load, schedule, stream, _clock, transport, state, loadStart);
            var actions = Task.WhenAll(scenario.Actions.Select(a => RunAction(a, host, state, loadStart, stop.Token)));
            var driving = driver.RunAsync(stop.Token);
            await Task.WhenAny(driving, Task.Delay(Timeout.Infinite, stop.Token));
            if (stop.IsCancellationRequested)
            {
                // Ctrl-C or the guard: end the pool now, so requests in flight end (502) instead of
                // running to their client timeout; then the driver finishes at once.
                await Shutdown(host, front, sampler, state);
                await driving.ContinueWith(_ => { });
                stop.Token.ThrowIfCancellationRequested();
            }
            await driving;
            // Hold the pool until the run's length has passed (idle children being killed is part of
            // the story) — unless the load ended on its iterations cap, which ends the run (as in the sim).
            bool capped = scenario.Load.Iterations is { } cap && driver.Stats.Sent + driver.Stats.Dropped >= cap;
            double end = loadStart + scenario.RunLength.TotalSeconds;
            double left = end - _clock.Now;
            if (!capped && left > 0) await Task.Delay(TimeSpan.FromSeconds(left), stop.Token).ContinueWith(_ => { });
            // let the last exits and respawns reach the log and one more sample tick
            await Task.Delay(TimeSpan.FromSeconds(Math.Max(0.3, 2 * scenario.SampleInterval.TotalSeconds)), stop.Token).ContinueWith(_ => { });
            await actions.ContinueWith(_ => { });
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            guardSampler?.Dispose();
            await Shutdown(host, front, sampler, state);
            return new RunOutcome(RunStatus.Failed, $"{e.GetType().Name}: {e.Message}", versions);
        }
        guardSampler?.Dispose();

        IReadOnlyDictionary<string, long>? status = null;
        if (!stop.IsCancellationRequested)
        {
            try { status = await StatusScrape.FetchAsync(host.Listen, FpmConfig.StatusPath, CancellationToken.None); } catch (Exception) { status = null; }
        }
        await Shutdown(host, front, sampler, state);

        var notes = smaps.Notes;
        if (guardReason is not null)
            return new RunOutcome(RunStatus.Incomplete, $"stopped by the memory guard: {guardReason}", versions, status, notes);
        if (cancel.IsCancellationRequested)
            return new RunOutcome(RunStatus.Incomplete, "interrupted", versions, status, notes);
        return new RunOutcome(RunStatus.Complete, null, versions, status, notes);
    }

    private bool _shutDown;
    /// <summary>Set before the sampler's final tick: that tick reads smaps_rollup whether due or not.</summary>
    private volatile bool _finalTick;

    private async Task Shutdown(IPoolHost host, IFront? front, Sampler? sampler, RunState state)
    {
        if (_shutDown) return;
        _shutDown = true;
        _finalTick = true;
        sampler?.Stop();   // takes the final tick while the pool still runs
        if (front is not null) await front.DisposeAsync();
        state.MasterStopping(ExitCause.Shutdown);
        await host.StopAsync();
        sampler?.Dispose();
    }

    private async Task RunAction(ScenarioAction action, IPoolHost host, RunState state, double loadStart, CancellationToken cancel)
    {
        double wait = loadStart + action.At.TotalSeconds - _clock.Now;
        if (wait > 0) await Task.Delay(TimeSpan.FromSeconds(wait), cancel);
        state.Event(PoolEventKind.Action, host.MasterPid, action.KindName);
        switch (action.Kind)
        {
            case ActionKind.Restart:
                state.MasterStopping(ExitCause.Restart);
                state.Event(PoolEventKind.Restart, host.MasterPid, $"master {host.MasterPid}");
                await host.RestartAsync(state.Pool, cancel);
                break;
            case ActionKind.Reload:
                // the follower notes the reload when the master says "Reloading in progress ..."
                state.Pool = action.NewPool ?? state.Pool;
                await host.ReloadAsync(state.Pool, cancel);
                break;
            case ActionKind.Stop:
                await host.StopMasterAsync(action.Signal);
                break;
            case ActionKind.KillChild:
                int pid = ChildSelection.Pick(action.Target, state.LastTick, host.MasterPid);
                // a busy (or idle) child may be between two requests for a moment: look again for up to 2 s
                for (int i = 0; pid == 0 && i < 200 && action.Target is ChildSelector.Busy or ChildSelector.Idle; i++)
                {
                    await Task.Delay(10, cancel);
                    pid = ChildSelection.Pick(action.Target, state.LastTick, host.MasterPid);
                }
                if (pid == 0)
                {
                    state.Event(PoolEventKind.Kill, 0, $"no {action.Target.ToString().ToLowerInvariant()} child to kill");
                    break;
                }
                if (FpmLogFollower.EndsProcess(action.Signal)) state.ExpectExit(pid, ExitCause.KillChild);
                state.Event(PoolEvent.Kill(_clock.Now, pid, action.Signal, ExitCause.KillChild));
                ChildSelection.Signal(pid, action.Signal);
                break;
        }
    }
}
