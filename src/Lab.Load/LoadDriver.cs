using HdrHistogram;
using Lab.Core.Load;
using Lab.Core.Records;
using Lab.Core.Requests;
using Lab.Core.Scenarios;
using Lab.Core.Time;

namespace Lab.Load;

/// <summary>Receives every request's record as it ends or is dropped, from any thread.</summary>
public interface ILoadObserver
{
    void OnRequest(in RequestRecord record);
}

/// <summary>
/// Plays a scenario's load in wall-clock time against a transport.
/// <para>Open model (inject, ramping-inject, inject-random): a scheduler thread waits for each
/// intended send time of the schedule (sleep, then a short spin for the last millisecond) and
/// starts the request without awaiting it; if plan.MaxInFlight requests are already in flight
/// (or the scheduler is a whole client timeout late, so the request could only time out) it is
/// recorded as dropped (status 0) instead. Latency is measured from the intended time
/// (coordinated-omission corrected) and from the actual send.</para>
/// <para>Closed model (keep-constant, ramping-constant): users per LoadSchedule.UserChanges();
/// each loops send → await → think. A user's intended time is its previous request's end plus
/// its think time. A user whose index is at or above the wanted count stops after its current
/// request.</para>
/// <para>Request ids are 1, 2, ... in send order (a dropped request takes its id too), so
/// request i is RequestStream.For(i) on every engine; plan.Iterations caps sent + dropped.
/// Memory is bounded whatever the overload: records stream to the observer and nothing is kept
/// per request; in-flight requests are capped.</para>
/// </summary>
public sealed class LoadDriver
{
    /// <summary>Latencies are recorded in µs up to an hour (larger values are clamped).</summary>
    public const long HighestTrackableMicros = 3_600_000_000L;

    private readonly LoadPlan _plan;
    private readonly LoadSchedule _schedule;
    private readonly RequestStream _stream;
    private readonly RunClock _clock;
    private readonly IRequestTransport _transport;
    private readonly ILoadObserver _observer;
    private readonly double _startAt;
    private readonly long _cap;
    private readonly TimeSpan _timeout;
    private readonly object _histogramLock = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly int[] _userRunning;

    private CancellationTokenSource? _halt;
    private long _lastId;
    private int _active;
    private int _wantedUsers;
    private int _started;

    public LoadDriver(LoadPlan plan, LoadSchedule schedule, RequestStream stream, RunClock clock,
        IRequestTransport transport, ILoadObserver observer, double startAt = 0)
    {
        _plan = plan;
        _schedule = schedule;
        _stream = stream;
        _clock = clock;
        _transport = transport;
        _observer = observer;
        _startAt = startAt;
        _cap = plan.Iterations ?? long.MaxValue;
        _timeout = plan.Timeout > TimeSpan.Zero ? plan.Timeout : Timeout.InfiniteTimeSpan;
        int maxUsers = 0;
        foreach (var s in schedule.Closed) maxUsers = Math.Max(maxUsers, Math.Max(s.UsersStart, s.UsersEnd));
        _userRunning = new int[maxUsers];
    }

    public LoadStats Stats { get; } = new();

    /// <summary>Corrected latency in µs: end − intended send time. Read it after RunAsync ended, or use <see cref="Snapshot"/>.</summary>
    public LongHistogram Corrected { get; } = new(HighestTrackableMicros, 3);

    /// <summary>Uncorrected latency in µs: end − actual send time.</summary>
    public LongHistogram Uncorrected { get; } = new(HighestTrackableMicros, 3);

    /// <summary>Copies of both histograms, consistent with each other, safe while the run goes on.</summary>
    public (LongHistogram Corrected, LongHistogram Uncorrected) Snapshot()
    {
        lock (_histogramLock) return ((LongHistogram)Corrected.Copy(), (LongHistogram)Uncorrected.Copy());
    }

    /// <summary>
    /// Runs the load: ends when the schedule is done (or plan.Iterations reached) and every
    /// request in flight has ended. Cancelling stop sends no more requests; those in flight still
    /// end with their own status (ending the pool ends them sooner, as 502) or at the client
    /// timeout (504).
    /// </summary>
    public async Task RunAsync(CancellationToken stop)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0) throw new InvalidOperationException("a LoadDriver runs once");
        using var halt = CancellationTokenSource.CreateLinkedTokenSource(stop);
        _halt = halt;
        _active = 1; // RunAsync's own hold, released once the producers are done
        var producers = new List<Task>(2);
        if (_schedule.Open.Count > 0)
        {
            var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var thread = new Thread(() =>
            {
                try { OpenScheduler(halt.Token); open.SetResult(); }
                catch (Exception e) { open.SetException(e); }
            }) { IsBackground = true, Name = "lab-load-scheduler" };
            thread.Start();
            producers.Add(open.Task);
        }
        if (_schedule.Closed.Count > 0) producers.Add(Task.Run(() => ClosedControllerAsync(halt.Token)));
        try
        {
            await Task.WhenAll(producers).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _wantedUsers, 0);
            Release();
        }
        await _drained.Task.ConfigureAwait(false);
    }

    // ---- open model ----

    private void OpenScheduler(CancellationToken halt)
    {
        foreach (double t in _schedule.OpenArrivals())
        {
            double intended = _startAt + t;
            if (!WaitUntil(intended, halt)) return;
            long id = NextId();
            if (id < 0) return;
            var spec = _stream.For(id);
            double now = _clock.Now;
            bool hopeless = _timeout != Timeout.InfiniteTimeSpan && now - intended >= _timeout.TotalSeconds;
            if (Stats.InFlight >= _plan.MaxInFlight || hopeless)
            {
                RecordDropped(spec, intended, now);
                continue;
            }
            Interlocked.Increment(ref _active);
            _ = RunOpenRequestAsync(spec, intended);
        }
    }

    private async Task RunOpenRequestAsync(RequestSpec spec, double intended)
    {
        try
        {
            using var cts = new CancellationTokenSource();
            await ExecuteAsync(spec, intended, cts).ConfigureAwait(false);
        }
        finally { Release(); }
    }

    /// <summary>Sleeps until run time t, then spins (yielding) for the last millisecond; false if halted.</summary>
    private bool WaitUntil(double t, CancellationToken halt)
    {
        while (true)
        {
            if (halt.IsCancellationRequested) return false;
            double remaining = t - _clock.Now;
            if (remaining <= 0) return true;
            if (remaining > 0.002)
            {
                // Thread.Sleep and wait handles overshoot by up to ~1 ms: wake a millisecond early
                if (halt.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(Math.Floor((remaining - 0.001) * 1000)))) return false;
            }
            else Thread.Yield();
        }
    }

    // ---- closed model ----

    private async Task ClosedControllerAsync(CancellationToken halt)
    {
        foreach (var (t, users) in _schedule.UserChanges())
        {
            double at = _startAt + t;
            if (!await DelayUntilAsync(at, halt).ConfigureAwait(false)) return;
            Volatile.Write(ref _wantedUsers, users);
            for (int i = 0; i < users && i < _userRunning.Length; i++)
            {
                if (Interlocked.CompareExchange(ref _userRunning[i], 1, 0) != 0) continue; // still running
                Interlocked.Increment(ref _active);
                int index = i; // the lambda must not capture the loop variable
                _ = Task.Run(() => UserAsync(index, at, halt));
            }
        }
    }

    private async Task UserAsync(int index, double startIntended, CancellationToken halt)
    {
        var cts = new CancellationTokenSource();
        try
        {
            double intended = startIntended;
            while (true)
            {
                while (!halt.IsCancellationRequested && Wanted(index))
                {
                    long id = NextId();
                    if (id < 0) break;
                    if (!cts.TryReset()) { cts.Dispose(); cts = new CancellationTokenSource(); }
                    double end = await ExecuteAsync(_stream.For(id), intended, cts).ConfigureAwait(false);
                    double think = _schedule.ThinkAt(end - _startAt);
                    intended = end + think;
                    if (think > 0 && !await DelayUntilAsync(intended, halt).ConfigureAwait(false)) break;
                }
                // Leaving: but if the controller raised the count again meanwhile and found this
                // user still running, it did not start another one, so this user goes on.
                Volatile.Write(ref _userRunning[index], 0);
                if (halt.IsCancellationRequested || !Wanted(index)
                    || Interlocked.CompareExchange(ref _userRunning[index], 1, 0) != 0)
                    break;
                intended = _clock.Now;
            }
        }
        finally
        {
            cts.Dispose();
            Release();
        }
    }

    /// <summary>
    /// Whether user `index` (0-based) should send another request now: the schedule's user count
    /// decides by itself (a lagging controller never keeps surplus users going), and the
    /// controller's count must have reached it (a user is not started before its time).
    /// </summary>
    private bool Wanted(int index)
    {
        double t = _clock.Now - _startAt;
        return t < _schedule.End && index < _schedule.UsersAt(t) && index < Volatile.Read(ref _wantedUsers);
    }

    /// <summary>
    /// Waits until run time t; false if halted. The runtime's timers run on a coarse clock (they
    /// can fire a few ms early), so the wait is checked against the run clock and resumed.
    /// </summary>
    private async Task<bool> DelayUntilAsync(double t, CancellationToken halt)
    {
        while (true)
        {
            if (halt.IsCancellationRequested) return false;
            double remaining = t - _clock.Now;
            if (remaining <= 0) return true;
            try { await Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling(remaining * 1000)), halt).ConfigureAwait(false); }
            catch (OperationCanceledException) { return false; }
        }
    }

    // ---- one request ----

    /// <summary>
    /// Sends one request, waits for its end (or the client timeout), records it; returns its end
    /// time. The timeout rides on the runtime's timer queue, whose clock is coarse (a few ms).
    /// </summary>
    private async Task<double> ExecuteAsync(RequestSpec spec, double intended, CancellationTokenSource cts)
    {
        Stats.OnSent();
        double start = _clock.Now;
        TransportResult result;
        bool unexpected = false;
        cts.CancelAfter(_timeout);
        try
        {
            result = await _transport.SendAsync(spec, cts.Token).ConfigureAwait(false);
        }
        catch (Exception) when (cts.IsCancellationRequested)
        {
            // the client timeout fired: whatever the transport threw on the way out (a cancelled
            // receive, a socket disposed under it), the request timed out
            result = new TransportResult(RequestStatus.ClientTimeout, 0, $"no answer within the client timeout ({_timeout.TotalSeconds:0.###} s)");
        }
        catch (Exception e)
        {
            (int status, bool known) = TransportErrors.StatusOf(e);
            unexpected = !known;
            result = new TransportResult(status, 0, $"{e.GetType().Name}: {e.Message}");
        }
        double end = _clock.Now;
        Stats.OnEnded(result.Status, result.Error, unexpected);
        lock (_histogramLock)
        {
            Corrected.RecordValue(Micros(end - intended));
            Uncorrected.RecordValue(Micros(end - start));
        }
        _observer.OnRequest(new RequestRecord(spec.Id, intended, start, end, result.Pid, result.Status,
            (end - intended) * 1000.0, spec.LeakKb, spec.TransientKb, result.RssKb, Kind: spec.Kind));
        return end;
    }

    private void RecordDropped(RequestSpec spec, double intended, double now)
    {
        Stats.OnDropped();
        _observer.OnRequest(new RequestRecord(spec.Id, intended, now, now, 0, RequestStatus.Dropped,
            (now - intended) * 1000.0, spec.LeakKb, spec.TransientKb, Kind: spec.Kind));
    }

    private static long Micros(double seconds)
    {
        double us = Math.Round(seconds * 1e6);
        return us <= 0 ? 0 : us >= HighestTrackableMicros ? HighestTrackableMicros : (long)us;
    }

    /// <summary>The next request id, or -1 once plan.Iterations ids were handed out (then the load halts).</summary>
    private long NextId()
    {
        long id = Interlocked.Increment(ref _lastId);
        if (id <= _cap) return id;
        try { _halt?.Cancel(); } catch (ObjectDisposedException) { }
        return -1;
    }

    private void Release()
    {
        if (Interlocked.Decrement(ref _active) == 0) _drained.TrySetResult();
    }
}
