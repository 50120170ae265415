namespace Lab.Scoreboard.Interop;

/// <summary>
/// The listening socket's queue as php-fpm 8.2 reads it (fpm_sockets.c:
/// fpm_socket_get_listening_queue): TCP_INFO's tcpi_unacked (connections waiting) and
/// tcpi_sacked (the backlog), for a TCP socket only. On a Unix socket php-fpm reads nothing and
/// its status page shows 0 (Lab.Core.Sockets.ListenBacklog), so this returns null there.
/// </summary>
public static unsafe class ListenQueue
{
    /// <summary>(queued, size) for a TCP socket; null for a Unix socket or when the kernel would not say.</summary>
    public static (int Queued, int Size)? Read(int listenFd, bool unix)
    {
        if (unix) return null;
        byte* info = stackalloc byte[256];
        int len = 256;
        if (Native.getsockopt(listenFd, Native.IPPROTO_TCP, Native.TCP_INFO, info, &len) != 0 || len < 32) return null;
        // struct tcp_info: 8 bytes of u8 fields, then u32 rto, ato, snd_mss, rcv_mss, unacked, sacked
        return ((int)*(uint*)(info + 24), (int)*(uint*)(info + 28));
    }
}
