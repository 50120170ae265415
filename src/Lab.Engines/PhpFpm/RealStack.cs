using Lab.Core.Scenarios;
using Lab.Engines.Nginx;
using Lab.Engines.Real;
using Lab.Nginx;
using Lab.PhpFpm;
using Lab.Linux.Processes;
using Lab.Linux.Packages;

namespace Lab.Engines.PhpFpm;

/// <summary>
/// The real stack a scenario needs (php-fpm for engine php-fpm, nginx for front nginx), found on
/// this machine — or installed with apt-get when missing and the lab runs as root on
/// Debian/Ubuntu, with a progress line. When it cannot be had, an
/// <see cref="EngineUnavailableException"/> carries the exact command to run (exit code 2).
/// </summary>
/// <param name="Extensions">The [php] extensions' ini files (engine php-fpm), installed when missing.</param>
public sealed record RealStack(PhpFpmInstall? PhpFpm, NginxInstall? Nginx)
{
    public IReadOnlyList<PhpExtensionIni> Extensions { get; init; } = [];

    public static RealStack For(Scenario scenario, Action<string> progress, PackageSetup? setup = null)
    {
        bool phpFpm = scenario.Engine == EngineKind.PhpFpm;
        var stack = Ensure(phpFpm, scenario.Front == FrontKind.Nginx, progress, setup);
        // php.opcache (on by default) loads opcache as the distribution ships it (php8.2-opcache)
        var names = scenario.Php.Opcache && !scenario.Php.Extensions.Contains("opcache")
            ? [.. scenario.Php.Extensions, "opcache"] : scenario.Php.Extensions;
        if (!phpFpm || names.Count == 0) return stack;
        var (modules, problem) = PhpExtensions.Resolve(names, stack.PhpFpm!.Version, progress, setup);
        if (problem is not null) throw new EngineUnavailableException(problem);
        return stack with { Extensions = modules };
    }

    public static RealStack Ensure(bool phpFpm, bool nginx, Action<string> progress, PackageSetup? setup = null)
    {
        if (!phpFpm && !nginx) return new RealStack(null, null);
        if (Tools.Missing() is { } tools) throw new EngineUnavailableException(tools);
        var needs = new List<PackageNeed>();
        if (phpFpm) needs.Add(PhpFpmInstall.Need);
        if (nginx) needs.Add(NginxInstall.Need);
        if ((setup ?? PackageSetup.ForThisMachine()).Ensure(needs, progress) is { } message)
            throw new EngineUnavailableException(message);

        PhpFpmInstall? fpm = null;
        if (phpFpm)
        {
            fpm = PhpFpmInstall.Probe(PhpFpmInstall.Locate()!);
            if (fpm.Unusable() is { } why) throw new EngineUnavailableException(why);
            if (!Directory.Exists(PhpFpmPoolHost.ScriptsSource))
                throw new EngineUnavailableException($"the lab's PHP scripts are missing: {PhpFpmPoolHost.ScriptsSource} (lab/php/ of the repository)");
        }
        NginxInstall? ng = null;
        if (nginx)
        {
            ng = NginxInstall.Probe(NginxInstall.Locate()!);
            if (!File.Exists(NginxConfig.TemplatePath))
                throw new EngineUnavailableException($"nginx's configuration template is missing: {NginxConfig.TemplatePath}");
        }
        return new RealStack(fpm, ng);
    }

    /// <summary>The front factory RealEngine takes (null for front = fastcgi).</summary>
    public Func<PrivateTemp, IPoolHost, IFront>? FrontFactory(Scenario scenario) =>
        Nginx is { } n ? (temp, host) => new NginxFront(temp, host, n, scenario) : null;
}
