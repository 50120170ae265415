using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Lab.Core.Paths;
using Lab.Linux.Processes;

namespace Lab.Nginx;

/// <summary>What a run's nginx is configured with.</summary>
/// <param name="Prefix">nginx's prefix (-p): the run's private folder for nginx (pid, temp paths, config).</param>
/// <param name="Port">The port on 127.0.0.1.</param>
/// <param name="FastCgiPass">Where PHP requests go, as fastcgi_pass wants it ("unix:/path/to/php-fpm.sock").</param>
/// <param name="DocumentRoot">The root whose scripts the pool runs (SCRIPT_FILENAME = root + URI path).</param>
/// <param name="User">The workers' user when the lab runs as root (null: nginx runs as the lab's user).</param>
/// <param name="WorkerConnections">worker_connections: at least twice the client connections (each request also opens one to the pool).</param>
/// <param name="UnixSocket">Listen on this Unix socket instead of 127.0.0.1:Port (a run's front: in a folder only the lab can enter, so no other local user drives the pool).</param>
public sealed record NginxSettings(string Prefix, int Port, string FastCgiPass, string DocumentRoot, UnprivilegedUser? User,
    int WorkerConnections = 1024, string? UnixSocket = null)
{
    public string ConfigPath => Path.Combine(Prefix, "nginx.conf");

    /// <summary>nginx's listen directive's address.</summary>
    public string Listen => UnixSocket is not null ? "unix:" + UnixSocket : "127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>worker_connections for a number of client connections: room for them and their upstream connections.</summary>
    public static int ConnectionsFor(int clientConnections) => Math.Max(1024, 2 * clientConnections + 64);

    /// <summary>
    /// nginx in front of a pool, as a run has it: a free port, workers running as a user who can
    /// open the pool's socket (<see cref="WorkerUser"/>), room for the client connections.
    /// </summary>
    public static NginxSettings InFrontOf(string prefix, string fastCgiPass, string documentRoot, int clientConnections) =>
        new(prefix, Port: 0, fastCgiPass, documentRoot, WorkerUser.For(fastCgiPass, UnprivilegedUser.ForThisLab()),
            ConnectionsFor(clientConnections));
}

/// <summary>
/// Renders lab/nginx/nginx.conf.template for a run: every {{name}} is replaced; a placeholder
/// left unknown is an error (a template and the lab out of step).
/// </summary>
public static partial class NginxConfig
{
    /// <summary>The template in the repository (lab/nginx/nginx.conf.template).</summary>
    public static string TemplatePath => Path.Combine(LabPaths.LabDir, "nginx", "nginx.conf.template");

    public static string Render(string template, NginxSettings s, NginxInstall nginx)
    {
        var temp = new StringBuilder();
        foreach (var (directive, dir) in TempPaths(nginx))
            temp.Append("    ").Append(directive).Append(' ').Append(Path.Combine(s.Prefix, dir)).Append(";\n");
        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["prefix"] = s.Prefix,
            ["user"] = s.User is { } u ? $"user {u.User} {u.Group};" : "# (no user directive: nginx runs as the lab's user)",
            ["worker_connections"] = s.WorkerConnections.ToString(CultureInfo.InvariantCulture),
            ["rlimit_nofile"] = (2 * s.WorkerConnections + 64).ToString(CultureInfo.InvariantCulture),
            ["temp_paths"] = temp.ToString().TrimEnd('\n'),
            ["listen"] = s.Listen,
            ["document_root"] = s.DocumentRoot,
            ["fastcgi_pass"] = s.FastCgiPass,
        };
        return PlaceholderRx().Replace(template, m => values.TryGetValue(m.Groups[1].Value, out var v) ? v
            : throw new InvalidOperationException($"{TemplatePath}: unknown placeholder {m.Value} (known: {string.Join(", ", values.Keys)})"));
    }

    /// <summary>The temp paths nginx creates at start-up, all inside the prefix (the built-in ones are under /var/lib/nginx).</summary>
    private static IEnumerable<(string Directive, string Dir)> TempPaths(NginxInstall nginx)
    {
        yield return ("client_body_temp_path", "client_body_temp");
        yield return ("proxy_temp_path", "proxy_temp");
        yield return ("fastcgi_temp_path", "fastcgi_temp");
        if (nginx.HasUwsgi) yield return ("uwsgi_temp_path", "uwsgi_temp");
        if (nginx.HasScgi) yield return ("scgi_temp_path", "scgi_temp");
    }

    [GeneratedRegex(@"\{\{(\w+)\}\}")]
    private static partial Regex PlaceholderRx();
}
