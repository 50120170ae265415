using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Lab.Load.Tests;

/// <summary>
/// A real nginx on 127.0.0.1, started from a config written in a temp folder, with `return`
/// locations, killed on Dispose. No nginx is a failure, never a skip.
/// </summary>
public sealed class NginxFixture : IDisposable
{
    public const string InstallHint = "install nginx (apt-get install -y nginx-light)";

    private readonly Process _nginx;
    private readonly string _dir;

    /// <summary>The main server: "/" answers 200 with X-Lab-Pid: 4242; "/close" answers without keep-alive; "/unavailable" answers 503.</summary>
    public IPEndPoint Server { get; }
    /// <summary>A server that closes idle keep-alive connections after 200 ms.</summary>
    public IPEndPoint ShortKeepAlive { get; }

    public NginxFixture()
    {
        string nginx = FindNginx() ?? throw new InvalidOperationException(InstallHint);
        _dir = Directory.CreateTempSubdirectory("lab-nginx-").FullName;
        Server = new IPEndPoint(IPAddress.Loopback, FreePort());
        ShortKeepAlive = new IPEndPoint(IPAddress.Loopback, FreePort());
        string conf = Path.Combine(_dir, "nginx.conf");
        File.WriteAllText(conf, string.Create(CultureInfo.InvariantCulture, $$"""
            worker_processes 1;
            error_log {{_dir}}/error.log;
            pid {{_dir}}/nginx.pid;
            events { worker_connections 1024; }
            http {
                access_log off;
                client_body_temp_path {{_dir}}/client_body;
                proxy_temp_path {{_dir}}/proxy;
                fastcgi_temp_path {{_dir}}/fastcgi;
                uwsgi_temp_path {{_dir}}/uwsgi;
                scgi_temp_path {{_dir}}/scgi;
                server {
                    listen {{Server}};
                    location / { add_header X-Lab-Pid 4242 always; return 200; }
                    location /close { keepalive_timeout 0; return 200; }
                    location /unavailable { return 503; }
                }
                server {
                    listen {{ShortKeepAlive}};
                    keepalive_timeout 200ms;
                    location / { return 200 "ok\n"; }
                }
            }
            """));
        var psi = new ProcessStartInfo(nginx) { UseShellExecute = false, RedirectStandardError = true };
        foreach (var a in new[] { "-p", _dir, "-e", Path.Combine(_dir, "error.log"), "-c", conf, "-g", "daemon off;" })
            psi.ArgumentList.Add(a);
        _nginx = Process.Start(psi) ?? throw new InvalidOperationException("cannot start nginx");
        if (!WaitListening(Server) || !WaitListening(ShortKeepAlive))
        {
            string err = _nginx.HasExited ? _nginx.StandardError.ReadToEnd() : "";
            Dispose();
            throw new InvalidOperationException($"nginx did not start listening: {err}");
        }
    }

    public static string? FindNginx()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Append("/usr/sbin"))
        {
            if (dir.Length == 0) continue;
            string candidate = Path.Combine(dir, "nginx");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>A free TCP port on 127.0.0.1 (the kernel's choice).</summary>
    internal static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private bool WaitListening(IPEndPoint ep)
    {
        for (int i = 0; i < 200 && !_nginx.HasExited; i++)
        {
            try
            {
                using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                s.Connect(ep);
                return true;
            }
            catch (SocketException) { Thread.Sleep(25); }
        }
        return false;
    }

    public void Dispose()
    {
        try { if (!_nginx.HasExited) _nginx.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        _nginx.WaitForExit(5000);
        _nginx.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
