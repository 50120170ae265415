using Lab.Core.ProcessManager;
using Lab.Core.Engines;
using Lab.Core.Scenarios;
using Lab.Engines.Dotnet;
using Lab.Engines.PhpFpm;
using Lab.Engines.Real;
using Lab.Sim;

namespace Lab.Engines;

/// <summary>An engine cannot run here (missing binary, missing package): the message says what to do. Exit code 2.</summary>
public sealed class EngineUnavailableException(string message) : Exception(message);

/// <summary>Chooses the engine a scenario names, after checking it can run here.</summary>
public static class EngineFactory
{
    /// <param name="progress">Set-up progress lines (e.g. installing php-fpm).</param>
    public static IEngine Create(Scenario scenario, Action<string> progress)
    {
        switch (scenario.Engine)
        {
            case EngineKind.Sim:
                return new SimEngine();
            case EngineKind.Dotnet:
                if (DotnetPoolHost.Unavailable() is { } why) throw new EngineUnavailableException(why);
                // front = nginx: a real nginx in front of the lab's pool (installed first if need be)
                return new RealEngine(temp => new DotnetPoolHost(temp, codeKb: scenario.Request.CodeKb) { Recycle = RecycleEnvironment.Format(scenario.Recycle, scenario.Seed) }, RealStack.For(scenario, progress).FrontFactory(scenario));
            default:
            {
                // engine = php-fpm: the distribution's php-fpm (and nginx for front = nginx), installed first if need be
                var stack = RealStack.For(scenario, progress);
                return new RealEngine(temp => new PhpFpmPoolHost(temp, stack.PhpFpm!, scenario.Php, stack.Extensions, codeKb: scenario.Request.CodeKb), stack.FrontFactory(scenario));
            }
        }
    }
}
