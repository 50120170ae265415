using System.Runtime.ExceptionServices;
using Lab.Core.Time;

namespace Lab.Probe;

/// <summary>
/// The fixed-rate sampler. Tick k happens at run time k × interval (k = 0, 1, 2, ...), each
/// tick's time computed from k and the clock, never by adding up sleeps, so there is no drift.
/// A tick whose whole interval passed before it could start (the machine stalled, or onTick
/// took longer than an interval) is skipped and counted in <see cref="TicksMissed"/>: ticks are
/// never bunched to catch up. Each tick reads the roots and all their descendants (found anew
/// every tick through the process tree, so respawned children and children of children are never
/// missed) and hands them to onTick, on the sampler's own thread, one tick at a time.
/// </summary>
public sealed class Sampler : IDisposable
{
    private readonly RunClock _clock;
    private readonly double _interval;
    private readonly Func<IReadOnlyList<int>> _roots;
    private readonly Action<double, IReadOnlyList<ProcSample>> _onTick;
    private readonly Action<double>? _beforeTick;
    private readonly ManualResetEventSlim _wake = new(false);
    private readonly TreeSampler _tree = new();
    private Thread? _thread;
    private volatile bool _stopping;
    private long _taken, _missed;
    private int _lastCount;
    private ExceptionDispatchInfo? _fault;

    /// <param name="roots">The master pid(s), asked at every tick (0..n; pids ≤ 0 are ignored).</param>
    /// <param name="onTick">Called with the tick's run time and its samples (a fresh list per tick: roots first, then descendants breadth-first).</param>
    /// <param name="beforeTick">Called on the sampler's thread with the tick's run time just before /proc is read (e.g. to read a status page at the same moment).</param>
    public Sampler(RunClock clock, TimeSpan interval, Func<IReadOnlyList<int>> roots,
        Action<double, IReadOnlyList<ProcSample>> onTick, Action<double>? beforeTick = null)
    {
        _beforeTick = beforeTick;
        if (interval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(interval), "the sample interval must be positive");
        _clock = clock;
        _interval = interval.TotalSeconds;
        _roots = roots;
        _onTick = onTick;
    }

    /// <summary>Ticks taken, the final one included.</summary>
    public long TicksTaken => Interlocked.Read(ref _taken);

    /// <summary>Ticks skipped because their whole interval passed before they could start.</summary>
    public long TicksMissed => Interlocked.Read(ref _missed);

    public void Start()
    {
        if (_thread is not null) throw new InvalidOperationException("the sampler was already started");
        _thread = new Thread(Loop) { IsBackground = true, Name = "lab-sampler" };
        _thread.Start();
    }

    /// <summary>
    /// Waits for the current tick to finish, then takes one final tick at the current run time
    /// (so the last sample shows the state at the end). Rethrows an exception onTick threw.
    /// </summary>
    public void Stop()
    {
        if (_thread is null) return;
        _stopping = true;
        _wake.Set();
        _thread.Join();
        _fault?.Throw();
    }

    public void Dispose()
    {
        if (_thread is { IsAlive: true })
        {
            _stopping = true;
            _wake.Set();
            _thread.Join();
        }
        _tree.Dispose(); // the descriptors kept open on the tree's /proc files
        _wake.Dispose();
    }

    private void Loop()
    {
        try
        {
            // The first tick is the one whose interval holds the start; earlier ones are not "missed".
            long k = (long)Math.Floor(_clock.Now / _interval);
            while (!_stopping)
            {
                double due = k * _interval;
                if (!WaitUntil(due)) break;
                long current = (long)Math.Floor(_clock.Now / _interval);
                if (current > k)
                {
                    // tick k's interval is over: skip k .. current-1, take tick `current` (still in its interval)
                    Interlocked.Add(ref _missed, current - k);
                    k = current;
                }
                TakeTick(k * _interval);
                k++;
            }
            TakeTick(_clock.Now);
        }
        catch (Exception e)
        {
            _fault = ExceptionDispatchInfo.Capture(e);
        }
        finally
        {
            _tree.Dispose(); // the descriptors kept open on the tree's /proc files
        }
    }

    /// <summary>Sleeps until run time t; false if Stop was called meanwhile.</summary>
    private bool WaitUntil(double t)
    {
        while (true)
        {
            if (_stopping) return false;
            double remaining = t - _clock.Now;
            if (remaining <= 0) return true;
            // A sampler needs no sub-millisecond precision (the tick's time is k × interval
            // whatever the wake-up jitter), so it never spins: round the sleep up.
            _wake.Wait(TimeSpan.FromMilliseconds(Math.Ceiling(remaining * 1000)));
        }
    }

    private void TakeTick(double t)
    {
        _beforeTick?.Invoke(t);
        var samples = SampleOnce();
        Interlocked.Increment(ref _taken);
        _onTick(t, samples);
    }

    /// <summary>One tick's work without the schedule: the tree, stat and statm of each process (also the benchmark's unit).</summary>
    internal List<ProcSample> SampleOnce()
    {
        var samples = new List<ProcSample>(_lastCount + 8);
        _tree.Sample(_roots(), Proc.BootOffset(_clock), samples);
        _lastCount = samples.Count;
        return samples;
    }
}
