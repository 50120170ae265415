using System.Diagnostics;
using Lab.Core.Paths;

namespace Lab.Cli.Tests;

/// <summary>Runs the lab's command line as a user does (a real process), in a sandbox root.</summary>
public sealed class LabSandbox : IDisposable
{
    public string Root { get; }
    public string Results => Path.Combine(Root, "results");
    public string Scenarios => Path.Combine(Root, "scenarios");

    public LabSandbox()
    {
        Root = Directory.CreateTempSubdirectory("leaklab-cli-test-").FullName;
        File.WriteAllText(Path.Combine(Root, "Lab.sln"), "");
        Directory.CreateDirectory(Results);
        Directory.CreateDirectory(Scenarios);
        foreach (var f in Directory.GetFiles(LabPaths.Scenarios, "*.toml"))
            File.Copy(f, Path.Combine(Scenarios, Path.GetFileName(f)));
    }

    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string LastLine => Stdout.TrimEnd('\n').Split('\n')[^1];
    }

    public Result Run(params string[] args)
    {
        using var p = Start(args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("the lab did not finish within 5 minutes: " + string.Join(' ', args));
        }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Starts the lab (output redirected, no stdin) and returns the running process.</summary>
    public Process Start(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = Root,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Lab.Cli.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["LAB_ROOT"] = Root;
        psi.Environment["LAB_WORKER"] = LabPaths.Worker;
        psi.Environment["LAB_POOL"] = LabPaths.PoolMaster;
        var p = Process.Start(psi)!;
        p.StandardInput.Close();
        return p;
    }

    public bool ResultsEmpty => !Directory.EnumerateFileSystemEntries(Results).Any();

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
