using System.Runtime.InteropServices;

namespace Lab.Load;

/// <summary>
/// epoll and eventfd, for the HTTP transport's event loop (one thread, every connection, as wrk
/// does): Linux only, like the rest of the lab's real engines.
/// </summary>
internal static unsafe partial class Epoll
{
    public const uint In = 0x001, Out = 0x004, Err = 0x008, Hup = 0x010, RdHup = 0x2000;
    private const int CtlAdd = 1, CtlDel = 2, CtlMod = 3;
    private const int CloExec = 0x80000, NonBlock = 0x800;

    // struct epoll_event is packed on x86 (12 bytes: events, then data at offset 4) and naturally
    // aligned elsewhere (16 bytes: data at offset 8).
    private static readonly bool Packed = RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.X86;
    public static readonly int EventSize = Packed ? 12 : 16;
    private static readonly int DataOffset = Packed ? 4 : 8;

    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    private static partial int EpollCreate1(int flags);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    private static partial int EpollCtl(int epfd, int op, int fd, byte* ev);

    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    private static partial int EpollWait(int epfd, byte* events, int maxEvents, int timeoutMs);

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    private static partial int EventFd(uint initial, int flags);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "close")]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "connect", SetLastError = true)]
    private static partial int Connect(int fd, byte* address, int length);

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    private static partial nint Send(int fd, byte* buffer, nint count, int flags);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    private static partial nint Recv(int fd, byte* buffer, nint count, int flags);

    [LibraryImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    private static partial int GetSockOpt(int fd, int level, int name, int* value, int* length);

    public const int EAGAIN = 11, EINPROGRESS = 115, EINTR = 4;
    private const int MsgNoSignal = 0x4000;

    /// <summary>Non-blocking connect: 0 when connected, EINPROGRESS while pending, else the errno.</summary>
    public static int ConnectTo(int fd, ReadOnlySpan<byte> sockaddr)
    {
        fixed (byte* a = sockaddr)
            return Connect(fd, a, sockaddr.Length) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>The pending error of a socket (SO_ERROR): 0 once a non-blocking connect succeeded.</summary>
    public static int PendingError(int fd)
    {
        int value = 0, length = sizeof(int);
        return GetSockOpt(fd, 1 /* SOL_SOCKET */, 4 /* SO_ERROR */, &value, &length) == 0 ? value : Marshal.GetLastPInvokeError();
    }

    /// <summary>Bytes sent, or −errno (−EAGAIN when the socket buffer is full). Never raises SIGPIPE.</summary>
    public static int SendSome(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* b = data)
        {
            nint n = Send(fd, b, data.Length, MsgNoSignal);
            return n >= 0 ? (int)n : -Marshal.GetLastPInvokeError();
        }
    }

    /// <summary>Bytes received (0 at the peer's end of stream), or −errno (−EAGAIN when nothing is there).</summary>
    public static int ReceiveSome(int fd, Span<byte> buffer)
    {
        fixed (byte* b = buffer)
        {
            nint n = Recv(fd, b, buffer.Length, 0);
            return n >= 0 ? (int)n : -Marshal.GetLastPInvokeError();
        }
    }

    public static int Create()
    {
        int fd = EpollCreate1(CloExec);
        if (fd < 0) throw new IOException($"epoll_create1 failed (errno {Marshal.GetLastPInvokeError()})");
        return fd;
    }

    public static int CreateEventFd()
    {
        int fd = EventFd(0, CloExec | NonBlock);
        if (fd < 0) throw new IOException($"eventfd failed (errno {Marshal.GetLastPInvokeError()})");
        return fd;
    }

    public static void Add(int epfd, int fd, uint events, ulong data) => Control(epfd, CtlAdd, fd, events, data);
    public static void Modify(int epfd, int fd, uint events, ulong data) => Control(epfd, CtlMod, fd, events, data);
    public static void Remove(int epfd, int fd) => Control(epfd, CtlDel, fd, 0, 0, throwOnError: false);

    private static void Control(int epfd, int op, int fd, uint events, ulong data, bool throwOnError = true)
    {
        byte* ev = stackalloc byte[16];
        *(uint*)ev = events;
        *(ulong*)(ev + DataOffset) = data;
        if (EpollCtl(epfd, op, fd, ev) < 0 && throwOnError)
            throw new IOException($"epoll_ctl({op}) failed (errno {Marshal.GetLastPInvokeError()})");
    }

    /// <summary>Waits for events into buffer (EventSize bytes each); the count, 0 on EINTR.</summary>
    public static int Wait(int epfd, byte[] buffer, int timeoutMs)
    {
        fixed (byte* b = buffer)
        {
            int n = EpollWait(epfd, b, buffer.Length / EventSize, timeoutMs);
            return n < 0 ? 0 : n;
        }
    }

    public static (uint Events, ulong Data) EventAt(byte[] buffer, int index)
    {
        fixed (byte* b = buffer)
        {
            byte* e = b + index * EventSize;
            return (*(uint*)e, *(ulong*)(e + DataOffset));
        }
    }

    public static void Signal(int eventFd)
    {
        ulong one = 1;
        Write(eventFd, (byte*)&one, 8);
    }

    public static void Drain(int eventFd)
    {
        ulong value;
        Read(eventFd, (byte*)&value, 8);
    }
}
