using System.Globalization;
using System.Net;
using System.Text;
using Lab.Pool.Config;
using Lab.Pool.Interop;
using Lab.Scoreboard.Interop;

namespace Lab.Pool.Master;

/// <summary>
/// The pool's listening socket (fpm_sockets.c): a Unix socket (mode, owner, group) or TCP,
/// listen(backlog), created WITHOUT close-on-exec so that every child inherits it (as fd 3)
/// and blocks in accept() on it: the kernel's accept queue is the listen queue, and
/// listen.backlog means what it means in php-fpm. The master itself never accepts.
/// </summary>
public sealed unsafe class ListenSocket : IDisposable
{
    private ListenSocket(int fd, string address, bool unix)
    {
        Fd = fd;
        Address = address;
        IsUnix = unix;
    }

    public int Fd { get; }
    /// <summary>The listen value (path or addr:port).</summary>
    public string Address { get; }
    public bool IsUnix { get; }

    public static ListenSocket Open(FpmPoolConfig pool)
    {
        int backlog = pool.Settings.ListenBacklog;
        return pool.IsUnixSocket ? OpenUnix(pool, backlog) : OpenTcp(pool.Listen, backlog);
    }

    private static ListenSocket OpenUnix(FpmPoolConfig pool, int backlog)
    {
        string path = Path.GetFullPath(pool.Listen);
        var pathBytes = Encoding.UTF8.GetBytes(path);
        if (pathBytes.Length >= 108) throw new FpmConfigException($"[pool {pool.Settings.Name}] cannot bind to UNIX socket '{path}' as path is too long (found length: {pathBytes.Length}, maximal length: 107)");
        byte* addr = stackalloc byte[110];
        new Span<byte>(addr, 110).Clear();
        *(ushort*)addr = (ushort)Native.AF_UNIX;
        pathBytes.CopyTo(new Span<byte>(addr + 2, 108));
        int len = 2 + pathBytes.Length + 1;

        if (File.Exists(path) || Directory.Exists(path))
        {
            // php-fpm: is another instance listening there? (fpm_socket_unix_test_connect)
            int probe = Native.socket(Native.AF_UNIX, Native.SOCK_STREAM | Native.SOCK_CLOEXEC, 0);
            bool inUse = probe >= 0 && Native.connect(probe, addr, len) == 0;
            if (probe >= 0) Native.close(probe);
            if (inUse) throw new FpmConfigException($"Another FPM instance seems to already listen on {path}");
            Native.unlink(path);
        }
        string? dir = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);

        int fd = Native.socket(Native.AF_UNIX, Native.SOCK_STREAM, 0); // no SOCK_CLOEXEC: the children inherit it
        if (fd < 0) throw new IOException($"failed to create new listening socket: socket(): {Native.ErrorText(Native.Errno)}");
        if (Native.bind(fd, addr, len) != 0)
        {
            int e = Native.Errno;
            Native.close(fd);
            throw new FpmConfigException($"unable to bind listening socket for address '{path}': {Native.ErrorText(e)} ({e})");
        }
        Native.chmod(path, (uint)pool.ListenMode);
        if (Native.geteuid() == 0 && (pool.ListenOwner is not null || pool.ListenGroup is not null))
        {
            uint uid = uint.MaxValue, gid = uint.MaxValue;
            if (pool.ListenOwner is not null && Native.LookupUser(pool.ListenOwner) is { } u) uid = u.Uid;
            if (pool.ListenGroup is not null && Native.LookupGroup(pool.ListenGroup) is { } g) gid = g;
            Native.chown(path, uid, gid);
        }
        Listen(fd, backlog, path);
        return new ListenSocket(fd, path, unix: true);
    }

    private static ListenSocket OpenTcp(string listen, int backlog)
    {
        string host = "0.0.0.0", port = listen;
        int colon = listen.LastIndexOf(':');
        if (colon >= 0) { host = listen[..colon].Trim('[', ']'); port = listen[(colon + 1)..]; }
        if (host is "*" or "") host = "0.0.0.0";
        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int p) || p is < 1 or > 65535)
            throw new FpmConfigException($"invalid port value '{port}'");
        if (!IPAddress.TryParse(host, out var ip))
            ip = host == "localhost" ? IPAddress.Loopback : throw new FpmConfigException($"unable to resolve the address '{host}'");

        bool v6 = ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        int fd = Native.socket(v6 ? Native.AF_INET6 : Native.AF_INET, Native.SOCK_STREAM, 0);
        if (fd < 0) throw new IOException($"failed to create new listening socket: socket(): {Native.ErrorText(Native.Errno)}");
        int one = 1;
        Native.setsockopt(fd, Native.SOL_SOCKET, Native.SO_REUSEADDR, &one, sizeof(int));
        byte* addr = stackalloc byte[28];
        new Span<byte>(addr, 28).Clear();
        int len;
        if (v6)
        {
            *(ushort*)addr = (ushort)Native.AF_INET6;
            addr[2] = (byte)(p >> 8); addr[3] = (byte)p;
            ip.GetAddressBytes().CopyTo(new Span<byte>(addr + 8, 16));
            len = 28;
        }
        else
        {
            *(ushort*)addr = (ushort)Native.AF_INET;
            addr[2] = (byte)(p >> 8); addr[3] = (byte)p;
            ip.GetAddressBytes().CopyTo(new Span<byte>(addr + 4, 4));
            len = 16;
        }
        if (Native.bind(fd, addr, len) != 0)
        {
            int e = Native.Errno;
            Native.close(fd);
            throw new FpmConfigException($"unable to bind listening socket for address '{listen}': {Native.ErrorText(e)} ({e})");
        }
        Listen(fd, backlog, listen);
        return new ListenSocket(fd, listen, unix: false);
    }

    private static void Listen(int fd, int backlog, string address)
    {
        if (Native.listen(fd, backlog) != 0)
        {
            int e = Native.Errno;
            Native.close(fd);
            throw new IOException($"failed to listen to address '{address}': {Native.ErrorText(e)}");
        }
    }

    /// <summary>Connections waiting in the accept queue, and the queue's size.</summary>
    public (int Queued, int Size)? Queue() => ListenQueue.Read(Fd, IsUnix);

    /// <summary>Closes the socket; removeFile: unlink the Unix socket's path (on exit, not on reload).</summary>
    public void Close(bool removeFile)
    {
        Native.close(Fd);
        if (removeFile && IsUnix) Native.unlink(Address);
    }

    public void Dispose() => Close(removeFile: true);
}
