using System.Diagnostics.CodeAnalysis;

namespace Lab.Cli.Commands;

/// <summary>The --out DIR (or --out=DIR) option every command that writes a folder takes.</summary>
internal static class OutOption
{
    /// <summary>
    /// Is args[i] --out? Then dir is the folder and i is moved past it. A missing or empty folder
    /// (--out at the end, --out followed by another option, --out=) is a LabUsageException,
    /// ending with "Usage: <paramref name="usage"/>" when one is given.
    /// </summary>
    public static bool Match(string[] args, ref int i, string? usage, [NotNullWhen(true)] out string? dir)
    {
        string a = args[i];
        if (a == "--out") dir = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : null;
        else if (a.StartsWith("--out=", StringComparison.Ordinal)) dir = a["--out=".Length..];
        else
        {
            dir = null;
            return false;
        }
        if (string.IsNullOrEmpty(dir))
            throw new LabUsageException("--out needs a folder: --out DIR." + (usage is null ? "" : $" Usage: {usage}"));
        return true;
    }
}
