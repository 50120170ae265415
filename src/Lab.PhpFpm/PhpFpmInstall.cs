using System.Text.RegularExpressions;
using Lab.Linux.Processes;
using Lab.Linux.Packages;

namespace Lab.PhpFpm;

/// <summary>The distribution's php-fpm, as found on this machine.</summary>
/// <param name="Binary">Full path (Debian: /usr/sbin/php-fpm8.2).</param>
/// <param name="Version">PHP's version ("8.2.29").</param>
/// <param name="HasFfi">Does it load the FFI extension (the lab's leak needs it)?</param>
public sealed partial record PhpFpmInstall(string Binary, string Version, bool HasFfi)
{
    /// <summary>The package to install (Debian bookworm's PHP); the distribution's php-fpm metapackage is the fallback.</summary>
    public const string DebianPackage = "php8.2-fpm";

    /// <summary>The set-up need of engine php-fpm.</summary>
    public static PackageNeed Need => new("php-fpm", "engine php-fpm", [DebianPackage, "php-fpm"], Locate,
        "for php-fpm* on PATH and in /usr/sbin; $LAB_PHP_FPM overrides");

    /// <summary>
    /// $LAB_PHP_FPM, else php-fpm* (php-fpm, php-fpm8.2, ...) on PATH or in the sbin folders, the
    /// highest version first. Null if none.
    /// </summary>
    public static string? Locate()
    {
        if (Environment.GetEnvironmentVariable("LAB_PHP_FPM") is { Length: > 0 } over) return File.Exists(over) ? over : null;
        var found = new List<(string Path, System.Version Version)>();
        foreach (var dir in Tools.SearchDirs())
        {
            if (!Directory.Exists(dir)) continue;
            foreach (var file in Directory.EnumerateFiles(dir, "php-fpm*"))
            {
                var m = NameRx().Match(Path.GetFileName(file));
                if (!m.Success || !Tools.IsExecutable(file)) continue;
                var v = m.Groups["v"].Success ? System.Version.Parse(m.Groups["v"].Value.Contains('.') ? m.Groups["v"].Value : m.Groups["v"].Value + ".0") : new System.Version(0, 0);
                found.Add((file, v));
            }
        }
        return found.OrderByDescending(f => f.Version).Select(f => f.Path).FirstOrDefault();
    }

    /// <summary>Asks the binary for its version and whether FFI loads.</summary>
    public static PhpFpmInstall Probe(string binary, ICommandRunner? runner = null)
    {
        runner ??= SystemCommandRunner.Instance;
        var isolated = new Dictionary<string, string?> { ["PHP_INI_SCAN_DIR"] = "" };
        var v = runner.Run(binary, ["-n", "-v"], isolated);
        string version = VersionRx().Match(v.Stdout) is { Success: true } m ? m.Groups["v"].Value : "unknown";
        var modules = runner.Run(binary, ["-n", "-d", "extension=ffi", "-m"], isolated);
        bool ffi = modules.Ok && modules.Stdout.Split('\n').Any(l => l.Trim() == "FFI");
        return new PhpFpmInstall(binary, version, ffi);
    }

    /// <summary>Null if this php-fpm can run the lab, else why not and what to do.</summary>
    public string? Unusable() => HasFfi ? null
        : $"{Binary} (PHP {Version}) cannot load the FFI extension, which the lab's leak (lab/php/leak.php) needs. " +
          "Install PHP's FFI extension (Debian: it is part of php8.2-common; elsewhere a php-ffi package).";

    [GeneratedRegex(@"^php-fpm(?<v>\d+(?:\.\d+)?)?$")]
    private static partial Regex NameRx();

    [GeneratedRegex(@"^PHP (?<v>\d+\.\d+\.\d+\S*)", RegexOptions.Multiline)]
    private static partial Regex VersionRx();
}
