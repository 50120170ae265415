using Lab.Core.Records;
using Lab.Sim.Engine;

namespace Lab.Sim.Pool;

/// <summary>
/// The fixed-rate sampler: at t = k × interval (k = 0, 1, ...) one sample per live process,
/// then EndTick. A stream outside the heap; at one instant it runs after everything else, so a
/// tick sees the state once that instant's events are done. <see cref="Final"/> adds the tick at
/// the end of the run when the end is not on the grid.
/// </summary>
internal sealed class Sampler : EventStream
{
    private readonly IReadOnlyList<Fpm> _fpms;
    private readonly IRunSink _sink;
    private readonly long _interval;
    private readonly long _pssEvery;
    private long _nextPss;
    private long _k;
    private long _lastTick = -1;

    /// <param name="pssIntervalUs">How often a tick also gives PSS, USS and swap (as a real run reads smaps_rollup): never more often than the ticks.</param>
    public Sampler(IReadOnlyList<Fpm> fpms, IRunSink sink, long intervalUs, long pssIntervalUs)
    {
        _fpms = fpms;
        _sink = sink;
        _interval = Math.Max(1, intervalUs);
        _pssEvery = Math.Max(_interval, pssIntervalUs);
        NextTime = 0;
    }

    public override void Fire(Simulation sim)
    {
        Tick(sim.Now);
        _k++;
        NextTime = _k > (Simulation.Never - 1) / _interval ? Simulation.Never : _k * _interval;
    }

    public void Final(long now)
    {
        if (_lastTick != now) Tick(now);
        NextTime = Simulation.Never;
    }

    private void Tick(long now)
    {
        bool pss = now >= _nextPss;
        if (pss) _nextPss = now + _pssEvery;
        foreach (var fpm in _fpms) fpm.Sample(now, pss);
        _sink.EndTick(Simulation.ToSeconds(now));
        _lastTick = now;
    }
}
