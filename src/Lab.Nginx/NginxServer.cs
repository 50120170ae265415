using System.Net;
using System.Net.Sockets;
using Lab.Linux.Processes;

namespace Lab.Nginx;

/// <summary>
/// A running nginx for one run: `nginx -p PREFIX -c PREFIX/nginx.conf -e stderr -g 'daemon
/// off;'` in the foreground, in a PID namespace of its own (see <see cref="IsolatedProcess"/>):
/// when the lab ends, however it ends, nginx's master and workers end too.
/// </summary>
public sealed class NginxServer : IDisposable
{
    private readonly IsolatedProcess _process;

    private NginxServer(IsolatedProcess process, NginxSettings settings)
    {
        _process = process;
        Settings = settings;
    }

    public NginxSettings Settings { get; }
    /// <summary>Where nginx listens: its Unix socket, or 127.0.0.1:port.</summary>
    public EndPoint EndPoint => Settings.UnixSocket is { } path ? new UnixDomainSocketEndPoint(path) : new IPEndPoint(IPAddress.Loopback, Settings.Port);

    /// <summary>
    /// Writes the configuration from the template (default: lab/nginx/nginx.conf.template) and
    /// starts nginx; returns once it accepts connections. Port 0 picks a free port (and another
    /// one if that was taken meanwhile). Throws with nginx's own last lines if it exits first.
    /// </summary>
    public static NginxServer Start(NginxInstall nginx, NginxSettings settings, string? template = null, Action<string>? onLine = null,
        TimeSpan? readyTimeout = null, Isolation? isolation = null)
    {
        template ??= File.ReadAllText(NginxConfig.TemplatePath);
        Directory.CreateDirectory(settings.Prefix);
        for (int attempt = 1; ; attempt++)
        {
            var s = settings.Port == 0 && settings.UnixSocket is null ? settings with { Port = FreePort() } : settings;
            PrivateFiles.Write(s.ConfigPath, NginxConfig.Render(template, s, nginx)); // the run's own: 0600 (nginx's master reads it as root)
            var start = new IsolatedStart(nginx.Binary, ["-p", s.Prefix, "-c", s.ConfigPath, "-e", "stderr", "-g", "daemon off;"], "nginx")
            {
                WorkingDirectory = s.Prefix,
            };
            var process = IsolatedProcess.Start(start, onLine ?? (_ => { }), isolation);
            var server = new NginxServer(process, s);
            try
            {
                server.WaitReady(readyTimeout ?? TimeSpan.FromSeconds(20));
                return server;
            }
            catch (InvalidOperationException) when (settings.Port == 0 && attempt < 3
                && process.LastLines.Any(l => l.Contains("Address already in use", StringComparison.Ordinal)))
            {
                server.Dispose(); // the free port was taken between our probe and nginx's bind: another one
            }
            catch
            {
                server.Dispose();
                throw;
            }
        }
    }

    private void WaitReady(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                _process.DrainOutput();
                throw new InvalidOperationException($"nginx exited before it was ready:{_process.Tail()}");
            }
            if (Accepts()) return;
            Thread.Sleep(10);
        }
        throw new InvalidOperationException($"nginx did not accept connections on {EndPoint} within {timeout.TotalSeconds:0} s:{_process.Tail()}");
    }

    private bool Accepts()
    {
        // the namespace's master must be ours: another process might already listen on the port
        if (_process.ServerPid == 0) return false;
        try
        {
            var ep = EndPoint;
            using var s = new Socket(ep.AddressFamily, SocketType.Stream, ep is UnixDomainSocketEndPoint ? ProtocolType.Unspecified : ProtocolType.Tcp);
            s.Connect(ep);
            return true;
        }
        catch (SocketException) { return false; }
    }

    /// <summary>A free TCP port on 127.0.0.1 (the kernel's choice).</summary>
    public static int FreePort()
    {
        using var l = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        l.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)l.LocalEndPoint!).Port;
    }

    /// <summary>SIGTERM (nginx's fast shutdown: workers end at once), then SIGKILL past the grace period.</summary>
    public bool Stop(TimeSpan? grace = null) => _process.Stop(15, grace ?? TimeSpan.FromSeconds(10));

    public void Dispose() => _process.Dispose();
}
