using System.Buffers.Binary;

namespace Lab.Pool.Interop;

/// <summary>
/// The listening socket's queue: connections waiting to be accepted and the queue's size
/// (php-fpm's "listen queue" and "listen queue len"). TCP: TCP_INFO (tcpi_unacked,
/// tcpi_sacked), as php-fpm reads it. Unix sockets: the sock_diag netlink query that `ss -xl`
/// uses (UNIX_DIAG_RQLEN), which php-fpm does not do on Linux (it shows 0 there).
/// </summary>
internal static unsafe class ListenQueue
{
    /// <summary>(queued, size) or null if the kernel would not say.</summary>
    public static (int Queued, int Size)? Read(int listenFd, bool unix) => unix ? ReadUnix(listenFd) : ReadTcp(listenFd);

    private static (int, int)? ReadTcp(int fd)
    {
        byte* info = stackalloc byte[256];
        int len = 256;
        if (Native.getsockopt(fd, Native.IPPROTO_TCP, Native.TCP_INFO, info, &len) != 0 || len < 32) return null;
        // struct tcp_info: 8 bytes of u8 fields, then u32 rto, ato, snd_mss, rcv_mss, unacked, sacked
        return ((int)*(uint*)(info + 24), (int)*(uint*)(info + 28));
    }

    private static (int, int)? ReadUnix(int fd)
    {
        ulong ino = Native.InodeOf(fd);
        if (ino == 0) return null;
        int nl = Native.socket(Native.AF_NETLINK, Native.SOCK_RAW | Native.SOCK_CLOEXEC, 4 /* NETLINK_SOCK_DIAG */);
        if (nl < 0) return null;
        try
        {
            // nlmsghdr (16) + unix_diag_req (24)
            byte* req = stackalloc byte[40];
            new Span<byte>(req, 40).Clear();
            *(uint*)req = 40;                      // nlmsg_len
            *(ushort*)(req + 4) = 20;              // SOCK_DIAG_BY_FAMILY
            *(ushort*)(req + 6) = 1;               // NLM_F_REQUEST
            *(uint*)(req + 8) = 1;                 // seq
            req[16] = (byte)Native.AF_UNIX;        // sdiag_family
            *(uint*)(req + 20) = 1u << 10;         // udiag_states: TCP_LISTEN
            *(uint*)(req + 24) = (uint)ino;        // udiag_ino
            *(uint*)(req + 28) = 0x10;             // UDIAG_SHOW_RQLEN
            *(uint*)(req + 32) = 0xFFFFFFFF;       // cookie: none
            *(uint*)(req + 36) = 0xFFFFFFFF;
            if (Native.send(nl, req, 40, 0) != 40) return null;

            byte* buf = stackalloc byte[1024];
            nint n = Native.recv(nl, buf, 1024, 0);
            if (n < 16 + 16) return null;
            var msg = new ReadOnlySpan<byte>(buf, (int)n);
            uint msgLen = BinaryPrimitives.ReadUInt32LittleEndian(msg);
            ushort type = BinaryPrimitives.ReadUInt16LittleEndian(msg[4..]);
            if (type != 20 || msgLen > n) return null;
            // unix_diag_msg (16 bytes), then attributes
            int at = 16 + 16;
            while (at + 4 <= msgLen)
            {
                ushort alen = BinaryPrimitives.ReadUInt16LittleEndian(msg[at..]);
                ushort atype = BinaryPrimitives.ReadUInt16LittleEndian(msg[(at + 2)..]);
                if (alen < 4) break;
                if (atype == 4 /* UNIX_DIAG_RQLEN */ && alen >= 12)
                    return ((int)BinaryPrimitives.ReadUInt32LittleEndian(msg[(at + 4)..]),
                            (int)BinaryPrimitives.ReadUInt32LittleEndian(msg[(at + 8)..]));
                at += (alen + 3) & ~3;
            }
            return null;
        }
        finally { Native.close(nl); }
    }
}
