using Lab.Core.Scenarios;

namespace Lab.Analysis;

/// <summary>An engine's name as scenario files and results folders write it (Lab.Engines has the same, but the analysis does not depend on the real engines).</summary>
public static class EngineNames
{
    public static string Of(EngineKind kind) => kind switch
    {
        EngineKind.Sim => "sim",
        EngineKind.Dotnet => "dotnet",
        _ => "php-fpm",
    };
}
