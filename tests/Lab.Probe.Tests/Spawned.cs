using System.Diagnostics;

namespace Lab.Probe.Tests;

/// <summary>A child process for a test; killed with its whole tree on Dispose.</summary>
internal sealed class Spawned : IDisposable
{
    public Process Process { get; }
    public int Pid => Process.Id;

    private Spawned(Process p) => Process = p;

    public static Spawned Start(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        return new Spawned(Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}"));
    }

    /// <summary>Waits for the child to print a line (e.g. "ready" after touching its memory).</summary>
    public string? ReadLine() => Process.StandardOutput.ReadLine();

    public void WriteLine(string line)
    {
        Process.StandardInput.WriteLine(line);
        Process.StandardInput.Flush();
    }

    public void Dispose()
    {
        try { if (!Process.HasExited) Process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        Process.WaitForExit(5000);
        Process.Dispose();
    }

    /// <summary>Runs a command to its end and returns its standard output.</summary>
    public static string Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return output;
    }

    /// <summary>Polls until the condition holds (a wait for a child to get somewhere, not a time limit on the code).</summary>
    public static bool WaitFor(Func<bool> condition, int attempts = 200, int sleepMs = 25)
    {
        for (int i = 0; i < attempts; i++)
        {
            if (condition()) return true;
            Thread.Sleep(sleepMs);
        }
        return condition();
    }
}
