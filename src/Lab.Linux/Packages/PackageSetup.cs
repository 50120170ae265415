namespace Lab.Linux.Packages;

/// <summary>
/// A program the lab needs from the distribution: how to find it, the Debian/Ubuntu packages
/// that provide it (the first apt knows is installed), and who needs it (for the messages).
/// </summary>
/// <param name="Program">What is missing, in words ("php-fpm").</param>
/// <param name="NeededBy">Who needs it ("engine php-fpm", "front nginx").</param>
/// <param name="Packages">Candidate packages, preferred first (php8.2-fpm, then the distribution's php-fpm).</param>
/// <param name="Locate">Finds the program (its path), or null when it is not installed.</param>
/// <param name="LookedIn">Where Locate looked, for the message.</param>
public sealed record PackageNeed(string Program, string NeededBy, IReadOnlyList<string> Packages, Func<string?> Locate, string LookedIn);

/// <summary>
/// Set-up of the real stack. When a needed program is missing and the lab runs as root on
/// Debian/Ubuntu (apt-get present), it installs the packages with apt-get (apt-get update first
/// when apt does not know them yet), telling what it does on one progress line. Otherwise it
/// returns a message with the exact command to run (the caller exits with code 2).
/// </summary>
public sealed class PackageSetup
{
    private readonly ICommandRunner _runner;
    private readonly bool _root;
    private readonly string? _aptGet;
    private readonly string? _aptCache;

    public PackageSetup(ICommandRunner runner, bool root, string? aptGet, string? aptCache)
    {
        _runner = runner;
        _root = root;
        _aptGet = aptGet;
        _aptCache = aptCache;
    }

    /// <summary>The set-up of this machine: the real commands, root or not, apt-get if present.</summary>
    public static PackageSetup ForThisMachine() => new(SystemCommandRunner.Instance, Processes.IsolatedProcess.IsRoot,
        Processes.Tools.Locate("apt-get"), Processes.Tools.Locate("apt-cache"));

    private static readonly Dictionary<string, string?> AptEnvironment = new()
    {
        ["DEBIAN_FRONTEND"] = "noninteractive",
        ["APT_LISTCHANGES_FRONTEND"] = "none",
    };

    /// <summary>
    /// Makes sure every need is met, installing what is missing when it can.
    /// Returns null when all is there, else the message to print (with the command to run by hand).
    /// </summary>
    public string? Ensure(IReadOnlyList<PackageNeed> needs, Action<string> progress)
    {
        var missing = needs.Where(n => n.Locate() is null).ToList();
        if (missing.Count == 0) return null;
        string byHand = "sudo apt-get install -y " + string.Join(' ', missing.Select(n => n.Packages[0]));
        string what = Describe(missing);
        if (!_root || _aptGet is null)
        {
            string why = _aptGet is null ? "apt-get is not available here" : "the lab does not run as root, so it cannot install it";
            return $"{what}; {why}. Install {(missing.Count == 1 ? "it" : "them")} and run again:\n  {byHand}";
        }

        // Which package of each need apt knows (after one apt-get update if it knows none of them).
        var chosen = ChoosePackages(missing);
        if (chosen.Any(c => c is null))
        {
            progress("updating apt's package lists (apt-get update) ...");
            var update = _runner.Run(_aptGet, ["update", "-q"], AptEnvironment, TimeSpan.FromMinutes(10));
            if (!update.Ok) return $"{what}; apt-get update failed (exit {update.ExitCode}):\n{update.Tail()}\nInstall by hand:\n  {byHand}";
            chosen = ChoosePackages(missing);
        }
        if (chosen.Any(c => c is null))
        {
            var unknown = missing.Where((_, i) => chosen[i] is null).Select(n => string.Join(" or ", n.Packages));
            return $"{what}; apt knows no package {string.Join(", ", unknown)} here. Install {(missing.Count == 1 ? "it" : "them")} and run again, e.g.:\n  {byHand}";
        }

        var packages = chosen.Select(c => c!).ToList();
        progress("installing " + string.Join(", ", missing.Select((n, i) => $"{packages[i]} (needed by {n.NeededBy})")) + " ...");
        var install = _runner.Run(_aptGet, ["install", "-y", "-q", .. packages], AptEnvironment, TimeSpan.FromMinutes(15));
        if (!install.Ok)
            return $"{what}; apt-get install -y {string.Join(' ', packages)} failed (exit {install.ExitCode}):\n{install.Tail()}\nInstall by hand:\n  {byHand}";
        var still = missing.Where(n => n.Locate() is null).ToList();
        if (still.Count > 0)
            return $"{Describe(still)} even after apt-get install -y {string.Join(' ', packages)}. Install by hand:\n  {byHand}";
        return null;
    }

    private List<string?> ChoosePackages(List<PackageNeed> missing) =>
        missing.Select(n => n.Packages.FirstOrDefault(Known)).ToList();

    /// <summary>Does apt know the package (apt-cache show succeeds)?</summary>
    private bool Known(string package) =>
        _aptCache is not null && _runner.Run(_aptCache, ["show", "--no-all-versions", package], AptEnvironment).Ok;

    private static string Describe(List<PackageNeed> missing) =>
        string.Join("; ", missing.Select(n => $"{n.NeededBy} needs {n.Program}, which is not installed (looked {n.LookedIn})"));
}
