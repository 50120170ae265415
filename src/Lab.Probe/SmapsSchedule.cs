namespace Lab.Probe;

/// <summary>
/// When the sampler's ticks also read smaps_rollup (PSS, USS, swap): every pss_interval, never
/// more often than the sampler ticks (a tick is due once pss_interval has passed since the last
/// one that read them). One place for the runs (RealEngine) and the recordings (Recorder).
/// Reading another user's smaps_rollup needs root: the first denial ends the reading for good
/// (the run is RSS only) and is told once through onDenied. Not thread-safe: the sampler's thread.
/// <para>
/// Its cost is held to <see cref="MaxCoreShare"/> of one core: the kernel walks every page table of
/// every process it reads (measured here: ~50 µs for a `sleep`, ~540 µs for a PHP interpreter with
/// its extensions), so 100 php-fpm children read every second would cost ~5 % of a core. When a
/// pass took d seconds, the next is due no sooner than d / MaxCoreShare after it: pss_interval
/// stretches, and <see cref="LongestIntervalS"/> says how far (the run's notes tell the user).
/// </para>
/// </summary>
public sealed class SmapsSchedule
{
    /// <summary>The share of one core the reading may take: 2 %.</summary>
    public const double MaxCoreShare = 0.02;

    private readonly double _every;
    private readonly Action? _onDenied;
    private readonly Func<double> _seconds;
    private double _next = double.NegativeInfinity;

    /// <param name="pssInterval">How often smaps_rollup is read.</param>
    /// <param name="sampleInterval">The sampler's period: pss_interval is never shorter.</param>
    /// <param name="cpuSeconds">The clock a pass's cost is measured on (default: this thread's CPU time, kernel time included); tests give their own.</param>
    public SmapsSchedule(TimeSpan pssInterval, TimeSpan sampleInterval, Action? onDenied = null, Func<double>? cpuSeconds = null)
    {
        _every = Math.Max(pssInterval.TotalSeconds, sampleInterval.TotalSeconds);
        _onDenied = onDenied;
        _seconds = cpuSeconds ?? Lab.Linux.Proc.Native.ThreadCpuSeconds;
    }

    /// <summary>The period in force (seconds): max(pss_interval, sample_interval).</summary>
    public double EverySeconds => _every;

    /// <summary>Whether smaps_rollup was refused (another user's process, without root).</summary>
    public bool Denied { get; private set; }

    /// <summary>The longest interval the cost budget imposed after a pass (seconds); 0 while it never exceeded <see cref="EverySeconds"/>.</summary>
    public double LongestIntervalS { get; private set; }

    /// <summary>How many processes the costliest pass read, and what it cost (seconds of CPU).</summary>
    public (int Processes, double Seconds) CostliestPass { get; private set; }

    /// <summary>A sentence for the run's notes when the budget stretched pss_interval; null otherwise.</summary>
    public string? StretchNote => LongestIntervalS > _every + 1e-9
        ? $"smaps_rollup was read every {LongestIntervalS:0.##} s at times, not every {_every:0.###} s (pss_interval): a pass over " +
          $"{CostliestPass.Processes} processes cost {CostliestPass.Seconds * 1000:0.#} ms of CPU, and the reading is held to " +
          $"{MaxCoreShare:0%} of a core"
        : null;

    /// <summary>The run's notes on this reading (RunOutcome.Notes): the stretch, if any; null otherwise.</summary>
    public IReadOnlyList<string>? Notes => StretchNote is { } stretched ? [stretched] : null;

    /// <summary>
    /// At a tick of run time t: the figures of every process of the tick that could be read, when
    /// this tick is due (a process gone meanwhile is left out); null when it is not due (or denied).
    /// </summary>
    /// <param name="force">Read whether due or not (the run's final tick: its last sample has them).</param>
    public Dictionary<int, SmapsFigures>? ReadIfDue(double t, IReadOnlyList<ProcSample> procs, bool force = false)
    {
        if (Denied || (!force && t < _next - 1e-9)) return null;
        double began = _seconds();
        var figures = ReadAll(procs);
        double cost = Math.Max(0, _seconds() - began);
        double every = Math.Max(_every, cost / MaxCoreShare);
        _next = t + every;
        if (every > _every + 1e-9 && every > LongestIntervalS) { LongestIntervalS = every; CostliestPass = (procs.Count, cost); }
        return figures;
    }

    private Dictionary<int, SmapsFigures>? ReadAll(IReadOnlyList<ProcSample> procs)
    {
        var figures = new Dictionary<int, SmapsFigures>(procs.Count);
        foreach (var p in procs)
        {
            if (p.State == 'Z') continue;
            switch (SmapsRollup.TryRead(p.Pid, out var f))
            {
                case SmapsRead.Ok: figures[p.Pid] = f; break;
                case SmapsRead.Denied:
                    Denied = true;
                    _onDenied?.Invoke();
                    return null;
            }
        }
        return figures;
    }
}
