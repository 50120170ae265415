using Lab.Core.Time;

namespace Lab.Probe;

/// <summary>
/// The memory guard's own sampler, so that no leak can outrun it: at a fixed 10 Hz, whatever
/// the run's sample_interval, it reads the RSS of the run's whole process tree (statm only: the
/// cheapest file, a pread on a descriptor kept open per process) and the host's MemAvailable,
/// and hands them to the <see cref="MemoryGuard"/>. The first time the guard answers, the run is
/// told (onTrip, on this sampler's thread) and the sampler stops: the overshoot is bounded by
/// what the pool can grow in one interval (100 ms) and the time to end it.
/// </summary>
public sealed class GuardSampler : IDisposable
{
    /// <summary>The guard's cadence: 10 Hz.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    private readonly RunClock _clock;
    private readonly Func<IReadOnlyList<int>> _roots;
    private readonly MemoryGuard _guard;
    private readonly Action<double, long, string> _onTrip;
    private readonly TreeSampler _tree = new(rssOnly: true);
    private readonly ManualResetEventSlim _wake = new(false);
    private readonly List<ProcSample> _buffer = new(64);
    private Thread? _thread;
    private volatile bool _stopping;
    private long _checks, _peakKb;

    /// <param name="roots">The master pid(s), asked at every check.</param>
    /// <param name="onTrip">Run time, the run's total RSS (KiB) and the guard's reason, once.</param>
    public GuardSampler(RunClock clock, Func<IReadOnlyList<int>> roots, MemoryGuard guard, Action<double, long, string> onTrip)
    {
        _clock = clock;
        _roots = roots;
        _guard = guard;
        _onTrip = onTrip;
    }

    /// <summary>Checks made so far.</summary>
    public long Checks => Interlocked.Read(ref _checks);

    /// <summary>The largest total RSS of the run's processes it saw (KiB).</summary>
    public long PeakKb => Interlocked.Read(ref _peakKb);

    public void Start()
    {
        if (_thread is not null) throw new InvalidOperationException("the guard sampler was already started");
        _thread = new Thread(Loop) { IsBackground = true, Name = "lab-guard" };
        _thread.Start();
    }

    private void Loop()
    {
        try
        {
            double interval = Interval.TotalSeconds;
            long k = (long)Math.Ceiling(_clock.Now / interval);
            while (!_stopping)
            {
                // fixed rate, no drift; a check whose time passed is not made twice
                double due = k * interval;
                while (!_stopping && _clock.Now < due) _wake.Wait(TimeSpan.FromMilliseconds(Math.Max(1, Math.Ceiling((due - _clock.Now) * 1000))));
                if (_stopping) break;
                k = Math.Max(k + 1, (long)Math.Floor(_clock.Now / interval) + 1);
                if (Check()) break;
            }
        }
        finally
        {
            _tree.Dispose();
        }
    }

    /// <summary>One check: true when the guard tripped.</summary>
    internal bool Check()
    {
        _buffer.Clear();
        _tree.Sample(_roots(), 0, _buffer);
        long total = MemoryGuard.TotalRssKb(_buffer);
        Interlocked.Increment(ref _checks);
        if (total > Interlocked.Read(ref _peakKb)) Interlocked.Exchange(ref _peakKb, total);
        if (_guard.Check(total, Proc.ReadMemInfo()) is not { } why) return false;
        _onTrip(_clock.Now, total, why);
        return true;
    }

    public void Stop()
    {
        _stopping = true;
        _wake.Set();
        if (_thread is { IsAlive: true } && _thread != Thread.CurrentThread) _thread.Join();
    }

    public void Dispose()
    {
        Stop();
        _wake.Dispose();
    }
}
