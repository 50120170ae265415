using Lab.Core.Engines;
using Lab.Core.Scenarios;
using Lab.Engines.Dotnet;
using Lab.Engines.Real;
using Lab.Sim;

namespace Lab.Engines;

/// <summary>An engine cannot run here (missing binary, missing package): the message says what to do. Exit code 2.</summary>
public sealed class EngineUnavailableException(string message) : Exception(message);

/// <summary>Chooses the engine a scenario names, after checking it can run here.</summary>
public static class EngineFactory
{
    public static string Name(EngineKind kind) => kind switch
    {
        EngineKind.Sim => "sim",
        EngineKind.Dotnet => "dotnet",
        _ => "php-fpm",
    };

    /// <param name="progress">Set-up progress lines (e.g. installing php-fpm).</param>
    public static IEngine Create(Scenario scenario, Action<string> progress)
    {
        switch (scenario.Engine)
        {
            case EngineKind.Sim:
                return new SimEngine();
            case EngineKind.Dotnet:
                if (DotnetPoolHost.Unavailable() is { } why) throw new EngineUnavailableException(why);
                if (scenario.Front == FrontKind.Nginx)
                    throw new EngineUnavailableException("front = \"nginx\" is not available in this build yet; use front=fastcgi.");
                return new RealEngine(temp => new DotnetPoolHost(temp), null);
            default:
                throw new EngineUnavailableException($"engine {Name(scenario.Engine)} is not available in this build yet; use engine=sim or engine=dotnet.");
        }
    }
}
