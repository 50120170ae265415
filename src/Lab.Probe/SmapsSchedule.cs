namespace Lab.Probe;

/// <summary>
/// When the sampler's ticks also read smaps_rollup (PSS, USS, swap): every pss_interval, never
/// more often than the sampler ticks (a tick is due once pss_interval has passed since the last
/// one that read them). One place for the runs (RealEngine) and the recordings (Recorder).
/// Reading another user's smaps_rollup needs root: the first denial ends the reading for good
/// (the run is RSS only) and is told once through onDenied. Not thread-safe: the sampler's thread.
/// </summary>
public sealed class SmapsSchedule
{
    private readonly double _every;
    private readonly Action? _onDenied;
    private double _next = double.NegativeInfinity;

    /// <param name="pssInterval">How often smaps_rollup is read.</param>
    /// <param name="sampleInterval">The sampler's period: pss_interval is never shorter.</param>
    public SmapsSchedule(TimeSpan pssInterval, TimeSpan sampleInterval, Action? onDenied = null)
    {
        _every = Math.Max(pssInterval.TotalSeconds, sampleInterval.TotalSeconds);
        _onDenied = onDenied;
    }

    /// <summary>The period in force (seconds): max(pss_interval, sample_interval).</summary>
    public double EverySeconds => _every;

    /// <summary>Whether smaps_rollup was refused (another user's process, without root).</summary>
    public bool Denied { get; private set; }

    /// <summary>
    /// At a tick of run time t: the figures of every process of the tick that could be read, when
    /// this tick is due (a process gone meanwhile is left out); null when it is not due (or denied).
    /// </summary>
    /// <param name="force">Read whether due or not (the run's final tick: its last sample has them).</param>
    public Dictionary<int, SmapsFigures>? ReadIfDue(double t, IReadOnlyList<ProcSample> procs, bool force = false)
    {
        if (Denied || (!force && t < _next - 1e-9)) return null;
        _next = t + _every;
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
