using System.Text.RegularExpressions;
using Lab.Linux.Processes;
using Lab.Linux.Packages;

namespace Lab.Nginx;

/// <summary>The distribution's nginx, as found on this machine.</summary>
/// <param name="Version">nginx's version ("1.22.1").</param>
/// <param name="HasScgi">Built with the scgi module (it then wants an scgi_temp_path)?</param>
/// <param name="HasUwsgi">Built with the uwsgi module (it then wants a uwsgi_temp_path)?</param>
public sealed partial record NginxInstall(string Binary, string Version, bool HasScgi, bool HasUwsgi)
{
    /// <summary>Debian's smallest nginx; the distribution's nginx package is the fallback.</summary>
    public const string DebianPackage = "nginx-light";

    /// <summary>The set-up need of front nginx.</summary>
    public static PackageNeed Need => new("nginx", "front nginx", [DebianPackage, "nginx"], Locate,
        "for nginx on PATH and in /usr/sbin; $LAB_NGINX overrides");

    /// <summary>$LAB_NGINX, else nginx on PATH or in the sbin folders; null if none.</summary>
    public static string? Locate()
    {
        if (Environment.GetEnvironmentVariable("LAB_NGINX") is { Length: > 0 } over) return File.Exists(over) ? over : null;
        return Tools.Locate("nginx");
    }

    /// <summary>Asks the binary for its version and build options (nginx -V prints both on stderr).</summary>
    public static NginxInstall Probe(string binary, ICommandRunner? runner = null)
    {
        var r = (runner ?? SystemCommandRunner.Instance).Run(binary, ["-V"]);
        string text = r.Stderr + r.Stdout;
        string version = VersionRx().Match(text) is { Success: true } m ? m.Groups["v"].Value : "unknown";
        return new NginxInstall(binary, version,
            HasScgi: !text.Contains("--without-http_scgi_module", StringComparison.Ordinal),
            HasUwsgi: !text.Contains("--without-http_uwsgi_module", StringComparison.Ordinal));
    }

    [GeneratedRegex(@"nginx version: nginx/(?<v>[\w.\-]+)")]
    private static partial Regex VersionRx();
}
