namespace Lab.Results;

/// <summary>
/// What went wrong with a file or folder, in a few words for a one-line error: "no space left on
/// device", "read-only file system", "permission denied", "a folder on the way does not exist".
/// </summary>
public static class IoProblem
{
    public static string Cause(Exception e)
    {
        string m = e.Message;
        if (e is UnauthorizedAccessException) return m.Contains("Read-only", StringComparison.OrdinalIgnoreCase) ? "read-only file system" : "permission denied";
        if (e is DirectoryNotFoundException) return "a folder on the way does not exist";
        if (e is FileNotFoundException) return "no such file or directory";
        if (e is PathTooLongException) return "the path is too long";
        // .NET's Unix IO errors read "<strerror> : '<path>'"
        int cut = m.IndexOf(" : '", StringComparison.Ordinal);
        string cause = (cut > 0 ? m[..cut] : m).Trim().TrimEnd('.');
        return cause.Length == 0 ? e.GetType().Name : char.ToLowerInvariant(cause[0]) + cause[1..];
    }

    /// <summary>"cannot write PATH: CAUSE".</summary>
    public static string CannotWrite(string path, Exception e) => $"cannot write {path}: {Cause(e)}";

    /// <summary>Whether the exception is a file-system problem (not a bug).</summary>
    public static bool IsIo(Exception e) => e is IOException or UnauthorizedAccessException;
}

/// <summary>A results folder or file that cannot be written; its message is one line: "cannot write PATH: CAUSE".</summary>
public sealed class ResultsWriteException(string message, Exception? inner = null) : IOException(message, inner);
