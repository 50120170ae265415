namespace Lab.Scenarios;

/// <summary>
/// Bad input: a scenario file, an override or a scenario name the lab cannot use. The CLI
/// prints <see cref="Exception.Message"/> (one paragraph, located by file:line or
/// "command line") and exits with code 2 before anything is created.
/// </summary>
public sealed class ScenarioException : Exception
{
    public ScenarioException(string message, string? file = null, int? line = null) : base(message)
    {
        File = file;
        Line = line;
    }

    /// <summary>The scenario file the problem is in; null when it is on the command line.</summary>
    public string? File { get; }

    /// <summary>1-based line in <see cref="File"/>, when there is one.</summary>
    public int? Line { get; }
}
