using System.Diagnostics;
using System.Globalization;
using Lab.Core.Paths;
using Lab.Nginx;
using Lab.PhpFpm;

namespace Lab.PhpFpm.Tests;

/// <summary>
/// Runs the lab's command line as a user does (a real process), in a sandbox root holding a
/// copy of the scenarios and of the real stack's assets (lab/php, lab/nginx).
/// (After tests/Lab.Cli.Tests/LabProcess.cs.)
/// </summary>
public sealed class LabSandbox : IDisposable
{
    public string Root { get; }
    public string Scenarios => Path.Combine(Root, "scenarios");

    public LabSandbox()
    {
        Root = Directory.CreateTempSubdirectory("leaklab-phpfpm-test-").FullName;
        File.WriteAllText(Path.Combine(Root, "Lab.sln"), "");
        Directory.CreateDirectory(Path.Combine(Root, "results"));
        Directory.CreateDirectory(Scenarios);
        foreach (var f in Directory.GetFiles(LabPaths.Scenarios, "*.toml"))
            File.Copy(f, Path.Combine(Scenarios, Path.GetFileName(f)));
        foreach (var sub in new[] { "php", "nginx" })
        {
            string to = Path.Combine(Root, "lab", sub);
            Directory.CreateDirectory(to);
            foreach (var f in Directory.GetFiles(Path.Combine(LabPaths.LabDir, sub)))
                File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        }
    }

    /// <summary>Writes scenarios/NAME.toml with a title, seed 3, the sample interval and the body.</summary>
    public string Scenario(string name, string body, string sampleInterval = "25ms")
    {
        File.WriteAllText(Path.Combine(Scenarios, name + ".toml"), $"title = \"{name}\"\nseed = 3\nsample_interval = \"{sampleInterval}\"\n" + body);
        return name;
    }

    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string LastLine => Stdout.TrimEnd('\n').Split('\n')[^1];
        public override string ToString() => $"exit {ExitCode}\n{Stderr}\n{Stdout}";
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
        psi.ArgumentList.Add("--plain"); // progress as plain lines
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
    }

    public static List<string[]> Csv(string dir, string file) =>
        File.ReadLines(Path.Combine(dir, file)).Skip(1).Select(l => l.Split(',')).ToList();

    public static int Int(string s) => int.Parse(s, CultureInfo.InvariantCulture);
    public static double Num(string s) => double.Parse(s, CultureInfo.InvariantCulture);
}

/// <summary>
/// The real stack the tests need. Missing, the tests FAIL (never skip) with the command that
/// installs it; `./run.sh test` and .ci/run install it.
/// </summary>
public static class RealStack
{
    public const string InstallCommand = "sudo apt-get install -y php8.2-fpm nginx-light";

    public static PhpFpmInstall PhpFpm()
    {
        string? bin = PhpFpmInstall.Locate();
        Assert.True(bin is not null, $"php-fpm is not installed; the php-fpm tests need it: {InstallCommand}");
        var fpm = PhpFpmInstall.Probe(bin!);
        Assert.True(fpm.HasFfi, fpm.Unusable());
        return fpm;
    }

    public static NginxInstall Nginx()
    {
        string? bin = NginxInstall.Locate();
        Assert.True(bin is not null, $"nginx is not installed; the front = nginx tests need it: {InstallCommand}");
        return NginxInstall.Probe(bin!);
    }

    public static void DotnetEngine()
    {
        Assert.True(File.Exists(LabPaths.Worker) && File.Exists(LabPaths.PoolMaster),
            $"the dotnet engine's processes are not published ({LabPaths.Worker}); ./run.sh builds them");
    }
}
