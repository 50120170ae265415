using Lab.Core.Engines;
using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.Results.Reading;
using Lab.Sim;

namespace Lab.Analysis.Calibration;

/// <summary>
/// What the fits that run the sim in memory read of its run (nothing is written): its requests
/// and its events, read by the same rules as a results folder's (AcceptOrder.SpawnTimes,
/// StartSpreadFit.Initial).
/// </summary>
internal sealed class SimRecords : IRunSink
{
    private readonly List<RequestRecord> _requests = new();

    public List<PoolEvent> Events { get; } = new();

    /// <summary>Runs the scenario on the sim into a new one; a failed run is a CalibrationException naming what was being fitted.</summary>
    public static SimRecords Run(Scenario scenario, string fitting, CancellationToken cancel)
    {
        var records = new SimRecords();
        var outcome = SimEngine.Run(scenario, records, cancel);
        cancel.ThrowIfCancellationRequested();
        if (outcome.Status == RunStatus.Failed)
            throw new CalibrationException($"the sim failed while fitting {fitting}: {outcome.Reason}");
        return records;
    }

    public void Process(ProcessInfo process) { }
    public void Sample(in Sample s) { }
    public void EndTick(double t) { }
    public void Event(in PoolEvent e) => Events.Add(e);
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
