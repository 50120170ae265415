namespace Lab.Results;

/// <summary>A results folder or one of its files cannot be read: which file, which line (1-based) when there is one, and why.</summary>
public sealed class ResultsFormatException : Exception
{
    public string File { get; }
    public int? Line { get; }
    /// <summary>The message without the file:line prefix.</summary>
    public string Problem { get; }

    public ResultsFormatException(string file, int? line, string problem, Exception? inner = null)
        : base(line is { } l ? $"{file}:{l}: {problem}" : $"{file}: {problem}", inner)
    {
        File = file;
        Line = line;
        Problem = problem;
    }
}
