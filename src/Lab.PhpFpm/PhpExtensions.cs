using System.Globalization;
using System.Text.RegularExpressions;

using Lab.Linux.Packages;

namespace Lab.PhpFpm;

/// <summary>One PHP module's ini file as its Debian package ships it, and the lines to load it.</summary>
/// <param name="Name">The module ("opcache", "redis").</param>
/// <param name="IniFile">Where the package ships it (/usr/share/php8.2-opcache/opcache/opcache.ini).</param>
/// <param name="Priority">Debian's load order ("; priority=10"); lower loads first.</param>
/// <param name="Lines">Its directives, comments left out (zend_extension=opcache.so, opcache.jit=off).</param>
public sealed record PhpExtensionIni(string Name, string IniFile, int Priority, IReadOnlyList<string> Lines);

/// <summary>
/// The [php] extensions of a scenario, by the distribution's names: a package ("php8.2-redis",
/// every module it ships) or a module ("redis", "ctype": the package that ships its ini). The
/// run's php.ini is isolated from the system's conf.d, so each module's ini lines, as the
/// package ships them under /usr/share/php8.2-*/, go into it, in Debian's priority order.
/// A missing one is installed with apt-get when the lab runs as root (<see cref="PackageSetup"/>),
/// else the message says which package to install.
/// </summary>
public static partial class PhpExtensions
{
    /// <summary>Where Debian's PHP packages ship their modules' ini files (e.g. /usr/share/php8.2-opcache/opcache/opcache.ini).</summary>
    public const string ShareDir = "/usr/share";

    /// <summary>Modules the lab's php.ini already loads.</summary>
    private static readonly HashSet<string> AlreadyLoaded = new(StringComparer.Ordinal) { "ffi" };

    /// <param name="phpVersion">PHP's version ("8.2.29"): its major.minor names the packages.</param>
    /// <returns>The modules' ini files in load order; or, when one cannot be had, the message (Problem).</returns>
    public static (IReadOnlyList<PhpExtensionIni> Modules, string? Problem) Resolve(IReadOnlyList<string> names, string phpVersion,
        Action<string> progress, PackageSetup? setup = null, string shareDir = ShareDir)
    {
        if (names.Count == 0) return ([], null);
        string series = Series(phpVersion);
        var needs = names.Select(n => new PackageNeed($"the PHP extension {n}", "php.extensions", [PackageOf(n, series)],
            () => IniFiles(n, series, shareDir).FirstOrDefault(), $"for {Pattern(n, series, shareDir)}")).ToList();
        if ((setup ?? PackageSetup.ForThisMachine()).Ensure(needs, progress) is { } problem) return ([], problem);

        var modules = new Dictionary<string, PhpExtensionIni>(StringComparer.Ordinal);
        foreach (var n in names)
            foreach (var file in IniFiles(n, series, shareDir))
            {
                var ini = Read(file);
                if (!AlreadyLoaded.Contains(ini.Name)) modules.TryAdd(ini.Name, ini);
            }
        return (modules.Values.OrderBy(m => m.Priority).ThenBy(m => m.Name, StringComparer.Ordinal).ToList(), null);
    }

    /// <summary>"8.2.29" → "8.2".</summary>
    public static string Series(string phpVersion)
    {
        var m = SeriesRx().Match(phpVersion);
        return m.Success ? m.Value : phpVersion;
    }

    /// <summary>Is the name a package ("php8.2-redis", "php-redis") rather than a module ("redis")?</summary>
    public static bool IsPackage(string name) => name.StartsWith("php", StringComparison.Ordinal) && name.Contains('-');

    /// <summary>The package that provides a name: itself when it is one, else php&lt;series&gt;-&lt;module&gt;.</summary>
    public static string PackageOf(string name, string series) => IsPackage(name) ? name : $"php{series}-{name}";

    private static string Pattern(string name, string series, string shareDir) =>
        IsPackage(name) ? Path.Combine(shareDir, name, "*", "*.ini") : Path.Combine(shareDir, $"php{series}-*", "*", name + ".ini");

    /// <summary>The ini files a name stands for, sorted by path (none when not installed).</summary>
    public static IReadOnlyList<string> IniFiles(string name, string series, string shareDir = ShareDir)
    {
        if (!Directory.Exists(shareDir)) return [];
        IEnumerable<string> packages = IsPackage(name)
            ? Directory.Exists(Path.Combine(shareDir, name)) ? [Path.Combine(shareDir, name)] : []
            : Directory.EnumerateDirectories(shareDir, $"php{series}-*");
        var files = new List<string>();
        foreach (var package in packages)
            foreach (var sub in Directory.EnumerateDirectories(package))
                foreach (var file in Directory.EnumerateFiles(sub, "*.ini"))
                    if (IsPackage(name) || Path.GetFileNameWithoutExtension(file) == name) files.Add(file);
        files.Sort(StringComparer.Ordinal);
        return files;
    }

    /// <summary>A module's ini file: its priority comment and its directives.</summary>
    public static PhpExtensionIni Read(string file)
    {
        int priority = 20;
        var lines = new List<string>();
        foreach (var raw in File.ReadLines(file))
        {
            string line = raw.Trim();
            if (PriorityRx().Match(line) is { Success: true } p) priority = int.Parse(p.Groups[1].Value, CultureInfo.InvariantCulture);
            if (line.Length == 0 || line[0] is ';' or '#') continue;
            lines.Add(line);
        }
        return new PhpExtensionIni(Path.GetFileNameWithoutExtension(file), file, priority, lines);
    }

    [GeneratedRegex(@"^\d+\.\d+")]
    private static partial Regex SeriesRx();

    [GeneratedRegex(@"^;\s*priority\s*=\s*(\d+)")]
    private static partial Regex PriorityRx();
}
