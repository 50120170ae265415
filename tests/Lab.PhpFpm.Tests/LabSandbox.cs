using Lab.Core.Paths;
using Lab.Nginx;
using Lab.PhpFpm;

namespace Lab.PhpFpm.Tests;

/// <summary>
/// The php-fpm tests' sandbox: Lab.Testing's (the lab's command line as a real process, in a
/// sandbox root holding the scenarios and lab/php, lab/nginx), every command with --plain.
/// </summary>
public sealed class LabSandbox() : Lab.Testing.LabSandbox("leaklab-phpfpm-test-", plain: true);

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
