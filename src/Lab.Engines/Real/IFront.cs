using Lab.Core.Scenarios;
using Lab.Load;

namespace Lab.Engines.Real;

/// <summary>A server in front of the pool (nginx): started after the pool, stopped before it.</summary>
public interface IFront : IAsyncDisposable
{
    IReadOnlyDictionary<string, string> Versions { get; }
    Task StartAsync(CancellationToken cancel);
    /// <summary>The transport the load driver uses to reach the pool through this front.</summary>
    IRequestTransport CreateTransport(Scenario scenario);
}
