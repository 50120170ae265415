using System.Diagnostics;
using System.Globalization;
using Lab.Core.Paths;

namespace Lab.Testing;

/// <summary>
/// Runs the lab's command line as a user does — a real process, `dotnet Lab.Cli.dll` from the
/// test project's output folder — in a sandbox root of its own: a temporary folder holding the
/// Lab.sln marker, an empty results/, a copy of the scenarios and of the real stack's assets
/// (lab/php, lab/nginx). LAB_ROOT points there, so nothing a test runs writes into the checkout.
/// Deleted on Dispose.
/// </summary>
public class LabSandbox : IDisposable
{
    /// <summary>How long one command may take before it is killed and the test fails.</summary>
    public static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(5);

    /// <param name="prefix">The temporary folder's name starts with it (which tests left a folder behind).</param>
    /// <param name="plain">Every command gets --plain (progress as plain lines, no live view).</param>
    public LabSandbox(string prefix = "leaklab-test-", bool plain = false)
    {
        Plain = plain;
        Root = Directory.CreateTempSubdirectory(prefix).FullName;
        File.WriteAllText(Path.Combine(Root, "Lab.sln"), "");
        Directory.CreateDirectory(Results);
        Directory.CreateDirectory(Scenarios);
        foreach (var f in Directory.GetFiles(LabPaths.Scenarios, "*.toml"))
            File.Copy(f, Path.Combine(Scenarios, Path.GetFileName(f)));
        // what engine = "php-fpm" and front = "nginx" serve and read, and the conformance suite's scenarios
        foreach (var sub in new[] { "php", "nginx", "conformance" })
        {
            string to = Path.Combine(Root, "lab", sub);
            Directory.CreateDirectory(to);
            foreach (var f in Directory.GetFiles(Path.Combine(LabPaths.LabDir, sub)))
                File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        }
    }

    public string Root { get; }
    public string Results => Path.Combine(Root, "results");
    public string Scenarios => Path.Combine(Root, "scenarios");
    public bool Plain { get; }

    /// <summary>Nothing was written under results/ (what bad input must leave).</summary>
    public bool ResultsEmpty => !Directory.EnumerateFileSystemEntries(Results).Any();

    /// <summary>Writes scenarios/NAME.toml with a title, seed 3, the sample interval and the body; returns NAME.</summary>
    public string Scenario(string name, string body, string sampleInterval = "25ms")
    {
        File.WriteAllText(Path.Combine(Scenarios, name + ".toml"), $"title = \"{name}\"\nseed = 3\nsample_interval = \"{sampleInterval}\"\n" + body);
        return name;
    }

    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        /// <summary>The last line printed (a run prints its report's path last).</summary>
        public string LastLine => Stdout.TrimEnd('\n').Split('\n')[^1];
        public override string ToString() => $"exit {ExitCode}\n{Stderr}\n{Stdout}";
    }

    /// <summary>Runs the lab to its end (killed, and a TimeoutException, after <see cref="RunTimeout"/>).</summary>
    public Result Run(params string[] args) => RunUnder([], RunTimeout, args);

    /// <summary>Runs the lab to its end, killed (and a TimeoutException) after <paramref name="timeout"/>: a command known to take long (conform).</summary>
    public Result RunFor(TimeSpan timeout, params string[] args) => RunUnder([], timeout, args);

    /// <summary>
    /// Runs the lab started by a launcher: the launcher's words, then `dotnet Lab.Cli.dll ARGS`
    /// (e.g. unshare and a shell that mounts a small file system first).
    /// </summary>
    public Result RunUnder(IReadOnlyList<string> launcher, params string[] args) => RunUnder(launcher, RunTimeout, args);

    private Result RunUnder(IReadOnlyList<string> launcher, TimeSpan timeout, string[] args)
    {
        using var p = Start(launcher, args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"the lab did not finish within {timeout.TotalMinutes:0} minutes: " + string.Join(' ', args));
        }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Starts the lab (output redirected, no stdin) and returns the running process.</summary>
    public Process Start(params string[] args) => Start([], args);

    /// <summary>Starts the lab under a launcher (see <see cref="RunUnder"/>).</summary>
    public Process Start(IReadOnlyList<string> launcher, params string[] args)
    {
        var psi = new ProcessStartInfo(launcher.Count > 0 ? launcher[0] : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = Root,
        };
        foreach (var w in launcher.Skip(1)) psi.ArgumentList.Add(w);
        if (launcher.Count > 0) psi.ArgumentList.Add("dotnet");
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Lab.Cli.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (Plain) psi.ArgumentList.Add("--plain");
        psi.Environment["LAB_ROOT"] = Root;
        psi.Environment["LAB_WORKER"] = LabPaths.Worker;
        psi.Environment["LAB_POOL"] = LabPaths.PoolMaster;
        var p = Process.Start(psi)!;
        p.StandardInput.Close();
        return p;
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        GC.SuppressFinalize(this);
    }

    /// <summary>The rows of a results CSV (header skipped), split on commas.</summary>
    public static List<string[]> Csv(string dir, string file) =>
        File.ReadLines(Path.Combine(dir, file)).Skip(1).Select(l => l.Split(',')).ToList();

    public static int Int(string s) => int.Parse(s, CultureInfo.InvariantCulture);
    public static double Num(string s) => double.Parse(s, CultureInfo.InvariantCulture);
}
