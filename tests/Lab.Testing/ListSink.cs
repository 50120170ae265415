using Lab.Core.Records;

namespace Lab.Testing;

/// <summary>
/// A run sink that keeps the samples, events and raw log lines it is given, for tests that read
/// what one component (RunState, a recording's RecordState) wrote, without a results folder.
/// </summary>
public sealed class ListSink : IRunSink
{
    public readonly List<Sample> Samples = new();
    public readonly List<PoolEvent> Events = new();
    /// <summary>The raw log lines (fpm.log), as written.</summary>
    public readonly List<string> Lines = new();

    public void Process(ProcessInfo process) { }
    public void Sample(in Sample sample) => Samples.Add(sample);
    public void EndTick(double t) { }
    public void Event(in PoolEvent e) => Events.Add(e);
    public void Request(in RequestRecord r) { }
    public void Log(double t, FpmLogLevel level, string message) { }
    public void RawLog(string line) => Lines.Add(line);
}
