using System.Diagnostics;

namespace Lab.Linux.Packages;

/// <summary>How a short command ended: its exit code and what it printed.</summary>
public sealed record CommandResult(int ExitCode, string Stdout, string Stderr)
{
    public bool Ok => ExitCode == 0;
    /// <summary>The last lines of stderr (else stdout), for a message.</summary>
    public string Tail(int lines = 6)
    {
        string text = Stderr.Trim().Length > 0 ? Stderr : Stdout;
        var all = text.Trim().Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }
}

/// <summary>Runs a command to its end (version probes, apt-get). A seam, so the set-up logic is testable.</summary>
public interface ICommandRunner
{
    CommandResult Run(string program, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? timeout = null);
}

/// <summary>Runs commands for real (no shell; stdin closed; output captured).</summary>
public sealed class SystemCommandRunner : ICommandRunner
{
    public static readonly SystemCommandRunner Instance = new();

    public CommandResult Run(string program, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        if (environment is not null)
            foreach (var (k, v) in environment)
            {
                if (v is null) psi.Environment.Remove(k);
                else psi.Environment[k] = v;
            }
        Process p;
        try { p = Process.Start(psi) ?? throw new InvalidOperationException(program); }
        catch (System.ComponentModel.Win32Exception e) { return new CommandResult(127, "", $"{program}: {e.Message}"); }
        using (p)
        {
            p.StandardInput.Close();
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(timeout ?? TimeSpan.FromSeconds(30)))
            {
                try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                p.WaitForExit();
                return new CommandResult(124, stdout.Result, stderr.Result + $"\n{program}: timed out");
            }
            p.WaitForExit();
            return new CommandResult(p.ExitCode, stdout.Result, stderr.Result);
        }
    }
}
