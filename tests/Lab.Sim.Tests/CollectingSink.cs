using System.Globalization;
using System.Text;
using Lab.Core.Records;

namespace Lab.Sim.Tests;

/// <summary>One call the engine made to its sink, in order.</summary>
public abstract record SinkCall;
public sealed record ProcessCall(ProcessInfo Info) : SinkCall;
public sealed record SampleCall(Sample Sample) : SinkCall;
public sealed record EndTickCall(double T) : SinkCall;
public sealed record EventCall(PoolEvent Event) : SinkCall;
public sealed record RequestCall(RequestRecord Request) : SinkCall;
public sealed record LogCall(double T, FpmLogLevel Level, string Message) : SinkCall;

/// <summary>A sink that keeps every call, for tests to read the model's output without files.</summary>
public sealed class CollectingSink : IRunSink, ISimObserver
{
    public List<SinkCall> Calls { get; } = new();
    public List<ProcessInfo> Processes { get; } = new();
    public List<Sample> Samples { get; } = new();
    public List<double> Ticks { get; } = new();
    public List<PoolEvent> Events { get; } = new();
    public List<RequestRecord> Requests { get; } = new();
    public List<LogCall> Logs { get; } = new();
    /// <summary>requestId → (intended, accepted, pid), from the ISimObserver hook.</summary>
    public Dictionary<long, (double Intended, double Accepted, int Pid)> Accepts { get; } = new();

    public void Process(ProcessInfo process) { Processes.Add(process); Calls.Add(new ProcessCall(process)); }
    public void Sample(in Sample sample) { Samples.Add(sample); Calls.Add(new SampleCall(sample)); }
    public void EndTick(double t) { Ticks.Add(t); Calls.Add(new EndTickCall(t)); }
    public void Event(in PoolEvent e) { Events.Add(e); Calls.Add(new EventCall(e)); }
    public void Request(in RequestRecord r) { Requests.Add(r); Calls.Add(new RequestCall(r)); }
    public void Log(double t, FpmLogLevel level, string message) { var l = new LogCall(t, level, message); Logs.Add(l); Calls.Add(l); }
    public void RawLog(string line) => throw new InvalidOperationException("the simulator never writes raw log lines");

    public void Accepted(long requestId, double tIntended, double tAccepted, int pid) => Accepts[requestId] = (tIntended, tAccepted, pid);

    public IEnumerable<PoolEvent> EventsNamed(string name) => Events.Where(e => e.Event == name);

    /// <summary>Every call as text (round-trip doubles), one per line: what the results files are made of.</summary>
    public string Transcript()
    {
        var sb = new StringBuilder();
        foreach (var call in Calls)
        {
            sb.Append(call switch
            {
                ProcessCall p => FormattableString.Invariant($"P {p.Info.Pid} {p.Info.Role} {p.Info.User} {p.Info.Command} {p.Info.StartT:R} {p.Info.ParentPid}"),
                SampleCall s => FormattableString.Invariant($"S {s.Sample.T:R} {s.Sample.Pid} {s.Sample.Role} {s.Sample.RssKb} {s.Sample.VszKb} {s.Sample.CpuS:R} {s.Sample.State} {s.Sample.Requests}"),
                EndTickCall t => FormattableString.Invariant($"T {t.T:R}"),
                EventCall e => FormattableString.Invariant($"E {e.Event.T:R} {e.Event.Event} {e.Event.Pid} {e.Event.Detail}"),
                RequestCall r => FormattableString.Invariant($"R {r.Request.Id} {r.Request.TIntended:R} {r.Request.TStart:R} {r.Request.TEnd:R} {r.Request.Pid} {r.Request.Status} {r.Request.LatencyMs:R} {r.Request.LeakKb} {r.Request.TransientKb}"),
                LogCall l => FormattableString.Invariant($"L {l.T:R} {l.Level} {l.Message}"),
                _ => throw new InvalidOperationException(),
            }).Append('\n');
        }
        return sb.ToString();
    }
}

/// <summary>Runs a scenario through the simulator into a collecting sink.</summary>
public static class Sim
{
    public static CollectingSink Run(Lab.Core.Scenarios.Scenario scenario) => RunWithOutcome(scenario).Sink;

    public static (CollectingSink Sink, Lab.Core.Engines.RunOutcome Outcome) RunWithOutcome(Lab.Core.Scenarios.Scenario scenario)
    {
        var sink = new CollectingSink();
        var outcome = SimEngine.Run(scenario, sink, CancellationToken.None, sink);
        Assert.Equal(Lab.Core.Engines.RunStatus.Complete, outcome.Status);
        return (sink, outcome);
    }
}
