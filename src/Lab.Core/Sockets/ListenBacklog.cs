namespace Lab.Core.Sockets;

/// <summary>
/// The listening socket's queue as php-fpm 8.2 on Linux has it (php-src fpm_sockets.h:
/// FPM_BACKLOG_DEFAULT; fpm_sockets.c: fpm_socket_get_listening_queue; fpm_process_ctl.c: the
/// maintenance's "update status structure"; the kernel's listen(2) and af_unix.c), shared by the
/// simulator, the dotnet master and the lab's documentation:
/// <list type="bullet">
/// <item>listen.backlog defaults to -1: the kernel takes it as net.core.somaxconn (4096 on current
/// kernels); any value above somaxconn is cut to it.</item>
/// <item>A Unix socket holds backlog + 1 waiting connections (unix_recvq_full: refuse when the queue
/// is longer than the backlog); one more is refused at once with EAGAIN (a FastCGI client's
/// connect error, nginx's 502). TCP drops the SYN instead and the client retries after ≥ 1 s.</item>
/// <item>The status page's "listen queue", "max listen queue" and "listen queue len" are read from
/// TCP_INFO, for a TCP socket only: on a Unix socket — every engine of the lab listens on one —
/// php-fpm shows 0 for all three.</item>
/// </list>
/// </summary>
public static class ListenBacklog
{
    /// <summary>FPM_BACKLOG_DEFAULT on Linux (8.0 and later).</summary>
    public const int Default = -1;

    /// <summary>net.core.somaxconn's default since Linux 5.4; the simulator's kernel.</summary>
    public const int DefaultSomaxconn = 4096;

    /// <summary>The backlog listen(2) applies: negative or above somaxconn → somaxconn.</summary>
    public static int Effective(int backlog, int somaxconn = DefaultSomaxconn) =>
        backlog < 0 || backlog > somaxconn ? somaxconn : backlog;

    /// <summary>Connections a Unix socket holds waiting for accept() with this listen.backlog (the kernel's +1).</summary>
    public static int UnixCapacity(int backlog, int somaxconn = DefaultSomaxconn) => Effective(backlog, somaxconn) + 1;

    /// <summary>
    /// What the client sees of a connection refused by a full queue or nothing listening: the
    /// FastCGI client's connect() fails (requests.csv's 503); nginx, whose own connect to the pool
    /// fails, answers 502 Bad Gateway.
    /// </summary>
    public static int RefusedStatus(Scenarios.FrontKind front) =>
        front == Scenarios.FrontKind.Nginx ? Records.RequestStatus.ChildDied : Records.RequestStatus.Refused;

    /// <summary>Does php-fpm's status page show the queue for this socket (TCP only)?</summary>
    public static bool StatusShowsQueue(bool unixSocket) => !unixSocket;
}
