namespace Lab.Sim.Engine;

/// <summary>Receives the events it scheduled (no closure per event: the handler is an object that already exists).</summary>
public interface ISimHandler
{
    void Handle(Simulation sim, in SimEvent e);
}

/// <summary>
/// One scheduled event: when, in which order among events of the same time (Seq, the
/// scheduling order), who handles it, and three integers the handler interprets (what kind
/// of event, on what, and a token to recognise a stale event after a cancellation).
/// </summary>
public readonly struct SimEvent(long time, long seq, ISimHandler handler, int kind, int target, int token)
{
    public readonly long Time = time;
    public readonly long Seq = seq;
    public readonly ISimHandler Handler = handler;
    public readonly int Kind = kind;
    public readonly int Target = target;
    public readonly int Token = token;
}

/// <summary>
/// A stream of events in time order kept outside the heap (the open-model arrivals, the
/// client time-outs, the sample ticks): the simulation merges its next time with the heap's
/// top, so the heap only holds in-flight work and timers. NextTime = <see cref="Simulation.Never"/>
/// when the stream is exhausted; Fire handles the event at NextTime and advances NextTime.
/// </summary>
public abstract class EventStream
{
    public long NextTime = Simulation.Never;
    public abstract void Fire(Simulation sim);
}

/// <summary>
/// A discrete-event simulation in virtual time (SimPy's Environment, reduced to what the pool
/// model needs). Time is an integer number of microseconds. Events run in (time, sequence)
/// order, so the same schedule always runs in the same order. At one instant, heap events run
/// first (in scheduling order), then the streams in the order they were added.
/// </summary>
public sealed class Simulation
{
    public const long Never = long.MaxValue;
    public const long TicksPerSecond = 1_000_000;

    private SimEvent[] _heap = new SimEvent[64];
    private int _count;
    private long _seq;
    private EventStream[] _streams = [];
    private bool _stopped;

    /// <summary>The virtual clock (µs).</summary>
    public long Now { get; private set; }

    /// <summary>Events and stream firings handled so far.</summary>
    public long Processed { get; private set; }

    /// <summary>Events waiting in the heap.</summary>
    public int Pending => _count;

    /// <summary>Did a handler call <see cref="Stop"/>?</summary>
    public bool Stopped => _stopped;

    public static long FromSeconds(double seconds) => (long)Math.Round(seconds * TicksPerSecond);
    public static long FromTimeSpan(TimeSpan t) => t.Ticks / (TimeSpan.TicksPerSecond / TicksPerSecond);
    public static double ToSeconds(long time) => time / (double)TicksPerSecond;

    public void AddStream(EventStream stream)
    {
        Array.Resize(ref _streams, _streams.Length + 1);
        _streams[^1] = stream;
    }

    /// <summary>Schedules an event <paramref name="delay"/> µs from now.</summary>
    public void Schedule(long delay, ISimHandler handler, int kind, int target = 0, int token = 0) =>
        ScheduleAt(Now + Math.Max(0, delay), handler, kind, target, token);

    /// <summary>Schedules an event at an absolute time (not before now).</summary>
    public void ScheduleAt(long time, ISimHandler handler, int kind, int target = 0, int token = 0)
    {
        if (time < Now) time = Now;
        if (_count == _heap.Length) Array.Resize(ref _heap, _count * 2);
        var e = new SimEvent(time, _seq++, handler, kind, target, token);
        // sift up
        int i = _count++;
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            if (!Before(in e, in _heap[parent])) break;
            _heap[i] = _heap[parent];
            i = parent;
        }
        _heap[i] = e;
    }

    /// <summary>Ends the current <see cref="Run"/> after the event being handled.</summary>
    public void Stop() => _stopped = true;

    /// <summary>
    /// Runs every event with time ≤ until (or until a handler calls Stop). Returns false if
    /// cancelled. When it ran to <paramref name="until"/> (finite), the clock is left there.
    /// </summary>
    public bool Run(long until, CancellationToken cancel = default)
    {
        _stopped = false;
        var streams = _streams;
        while (true)
        {
            long best = _count > 0 ? _heap[0].Time : Never;
            int source = -1;
            for (int i = 0; i < streams.Length; i++)
            {
                long t = streams[i].NextTime;
                if (t < best) { best = t; source = i; }
            }
            if (best == Never || best > until) break;

            Now = best;
            if (source < 0)
            {
                var e = Pop();
                e.Handler.Handle(this, in e);
            }
            else
            {
                streams[source].Fire(this);
            }

            if ((++Processed & 0xFFF) == 0 && cancel.IsCancellationRequested) return false;
            if (_stopped) return true;
        }
        if (until != Never && Now < until) Now = until;
        return !cancel.IsCancellationRequested;
    }

    private SimEvent Pop()
    {
        var top = _heap[0];
        int n = --_count;
        if (n > 0)
        {
            var last = _heap[n];
            int i = 0;
            while (true)
            {
                int child = 2 * i + 1;
                if (child >= n) break;
                if (child + 1 < n && Before(in _heap[child + 1], in _heap[child])) child++;
                if (!Before(in _heap[child], in last)) break;
                _heap[i] = _heap[child];
                i = child;
            }
            _heap[i] = last;
        }
        _heap[n] = default;
        return top;
    }

    private static bool Before(in SimEvent a, in SimEvent b) => a.Time < b.Time || (a.Time == b.Time && a.Seq < b.Seq);
}
