namespace Lab.Cli;

/// <summary>Bad command-line input: printed as one paragraph, exit code 2, nothing written.</summary>
public sealed class LabUsageException(string message) : Exception(message);
