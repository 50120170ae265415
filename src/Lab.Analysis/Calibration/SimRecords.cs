using Lab.Core.Records;
using Lab.Results.Reading;

namespace Lab.Analysis.Calibration;

/// <summary>
/// What the fits that run the sim in memory read of its run (nothing is written): the requests,
/// each child's spawn time, and the children forked at the master's first start.
/// </summary>
internal sealed class SimRecords : IRunSink
{
    private readonly List<RequestRecord> _requests = new();
    private bool _renewed;

    /// <summary>pid → its spawn time (s).</summary>
    public Dictionary<int, double> Spawned { get; } = new();
    /// <summary>The children forked at the master's start, before any reload or restart.</summary>
    public HashSet<int> Initial { get; } = new();

    public void Process(ProcessInfo process) { }
    public void Sample(in Sample s) { }
    public void EndTick(double t) { }
    public void Event(in PoolEvent e)
    {
        if (e.Kind is PoolEventKind.Reload or PoolEventKind.Restart) _renewed = true;
        if (e.Kind != PoolEventKind.Spawn) return;
        Spawned.TryAdd(e.Pid, e.T);
        if (!_renewed && e.Spawned == SpawnCause.Initial) Initial.Add(e.Pid);
    }
    public void Request(in RequestRecord r) => _requests.Add(r);
    public void Log(double t, FpmLogLevel level, string message) { }
    public void RawLog(string line) { }

    /// <summary>The requests as a results folder's requests.csv would read.</summary>
    public RequestTable Table()
    {
        var r = _requests;
        return new RequestTable(r.Select(x => x.Id).ToArray(), r.Select(x => x.TIntended).ToArray(), r.Select(x => x.TStart).ToArray(),
            r.Select(x => x.TEnd).ToArray(), r.Select(x => x.Pid).ToArray(), r.Select(x => x.Status).ToArray(),
            r.Select(x => x.LatencyMs).ToArray(), r.Select(x => x.LeakKb).ToArray(), r.Select(x => x.TransientKb).ToArray());
    }
}
