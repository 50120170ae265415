using Lab.Core.Scenarios;
using Lab.Engines.Real;
using Lab.Load;
using Lab.Nginx;
using Lab.Linux.Processes;

namespace Lab.Engines.Nginx;

/// <summary>
/// front = "nginx": a real nginx in front of the pool (php-fpm or the lab's dotnet master), as
/// the article ran it. Started after the pool: a Unix socket in a folder of the run only the
/// lab may enter (no other local user can drive the pool through it), FastCGI to the pool's socket, the pool's status page at /status, its temp paths and pid in the run's private
/// folder. The load goes to it over HTTP/1.1 with keep-alive (<see cref="HttpTransport"/>), with
/// enough connections for the scenario. Stopped before the pool; nothing of it outlives the run.
/// </summary>
public sealed class NginxFront : IFront
{
    private readonly PrivateTemp _temp;
    private readonly IPoolHost _pool;
    private readonly NginxInstall _nginx;
    private readonly int _connections;
    private NginxServer? _server;

    public NginxFront(PrivateTemp temp, IPoolHost pool, NginxInstall nginx, Scenario scenario)
    {
        _temp = temp;
        _pool = pool;
        _nginx = nginx;
        _connections = Connections(scenario.Load);
        Versions = new Dictionary<string, string> { ["nginx"] = nginx.Version };
    }

    public IReadOnlyDictionary<string, string> Versions { get; }
    /// <summary>The running nginx (null before StartAsync).</summary>
    public NginxServer? Server => _server;

    /// <summary>
    /// Keep-alive connections for a load plan: as many as its closed-model users at most, and for
    /// open-model phases up to load.max_in_flight, bounded at 256 (each is opened only when needed).
    /// </summary>
    public static int Connections(LoadPlan load)
    {
        int closed = load.Phases.Where(p => p.IsClosed).Select(p => p.Copies).DefaultIfEmpty(0).Max();
        int open = load.Phases.Any(p => p.IsOpen) ? Math.Min(load.MaxInFlight, 256) : 0;
        return Math.Clamp(Math.Max(closed, open), 1, 0xFFFF);
    }

    public Task StartAsync(CancellationToken cancel) => Task.Run(() =>
    {
        // the front's socket, in a folder only the lab's user (root, or the lab's own) may enter:
        // other local users cannot reach the pool through nginx
        string front = Directory.CreateDirectory(_temp.PathOf("front")).FullName;
        File.SetUnixFileMode(front, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var settings = new NginxSettings(_temp.PathOf("nginx"), Port: 0, _pool.FastCgiPass, _pool.DocumentRoot,
            WorkerUser.For(_pool.FastCgiPass, UnprivilegedUser.ForThisLab()),
            WorkerConnections: NginxSettings.ConnectionsFor(_connections), UnixSocket: Path.Combine(front, "http.sock"));
        _server = NginxServer.Start(_nginx, settings, File.ReadAllText(NginxConfig.TemplatePath));
    }, cancel);

    public IRequestTransport CreateTransport(Scenario scenario)
    {
        var server = _server ?? throw new InvalidOperationException("nginx is not started");
        return new HttpTransport(server.EndPoint, _connections);
    }

    public ValueTask DisposeAsync()
    {
        if (_server is { } s)
        {
            s.Stop();
            s.Dispose();
        }
        return ValueTask.CompletedTask;
    }
}
