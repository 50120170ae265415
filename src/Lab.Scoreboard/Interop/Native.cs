using System.Runtime.InteropServices;

namespace Lab.Scoreboard.Interop;

/// <summary>
/// The few libc calls the pool's processes need (Linux x86-64/arm64 glibc), shared by the master
/// and the worker. Every fd the lab opens itself is close-on-exec, except the listening socket
/// and the scoreboard, which children inherit as fds 3 and 4.
/// </summary>
public static unsafe partial class Native
{
    private const string Libc = "libc";

    public const int SIGINT = 2, SIGQUIT = 3, SIGKILL = 9, SIGUSR1 = 10, SIGUSR2 = 12, SIGPIPE = 13, SIGTERM = 15;
    public const int EINTR = 4, EAGAIN = 11, ECONNABORTED = 103;
    public const int O_RDONLY = 0, O_RDWR = 2, O_CREAT = 0x40, O_TRUNC = 0x200, O_APPEND = 0x400, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;
    public const int PROT_READ = 1, PROT_WRITE = 2, MAP_SHARED = 1;
    public const int PR_SET_PDEATHSIG = 1, PR_SET_NAME = 15;
    public const int AF_UNIX = 1, AF_INET = 2, AF_INET6 = 10, AF_NETLINK = 16;
    public const int SOCK_STREAM = 1, SOCK_RAW = 3, SOCK_CLOEXEC = 0x80000;
    public const int SOL_SOCKET = 1, SO_REUSEADDR = 2, IPPROTO_TCP = 6, TCP_INFO = 11;
    public const int MSG_NOSIGNAL = 0x4000;
    public const int POLLIN = 1;
    public const int CLOCK_MONOTONIC = 1, CLOCK_PROCESS_CPUTIME_ID = 2, CLOCK_THREAD_CPUTIME_ID = 3;
    public const int POSIX_SPAWN_SETPGROUP = 0x02, POSIX_SPAWN_SETSIGDEF = 0x04, POSIX_SPAWN_SETSIGMASK = 0x08;
    public const int EPOLL_CTL_ADD = 1, EPOLLIN = 1, EPOLLET = 1 << 31;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd { public int Fd; public short Events; public short Revents; }

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeSpec { public long Sec; public long Nsec; }

    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public struct EpollEvent { public uint Events; public ulong Data; }

    [LibraryImport(Libc, SetLastError = true)] public static partial int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);
    [LibraryImport(Libc)] public static partial int getpid();
    [LibraryImport(Libc)] public static partial int getppid();
    [LibraryImport(Libc, SetLastError = true)] public static partial int getpgrp();
    [LibraryImport(Libc, SetLastError = true)] public static partial int setpgid(int pid, int pgid);
    [LibraryImport(Libc, SetLastError = true)] public static partial int kill(int pid, int sig);
    [LibraryImport(Libc)] public static partial void _exit(int status);
    [LibraryImport(Libc, SetLastError = true)] public static partial nint signal(int sig, nint handler);
    [LibraryImport(Libc, SetLastError = true)] public static partial int waitpid(int pid, out int status, int options);
    public const int WUNTRACED = 2;
    public const int PR_SET_NO_NEW_PRIVS = 38, PR_SET_KEEPCAPS = 8, PR_SET_DUMPABLE = 4;
    [LibraryImport(Libc, SetLastError = true)] public static partial int fchmod(int fd, uint mode);
    [LibraryImport(Libc, SetLastError = true)] public static partial int fchown(int fd, uint uid, uint gid);
    [LibraryImport(Libc, SetLastError = true)] public static partial int fcntl(int fd, int cmd, int arg);
    public const int F_GETFD = 1, F_SETFD = 2, FD_CLOEXEC = 1;
    [LibraryImport(Libc, SetLastError = true)] public static partial int setuid(uint uid);
    [LibraryImport(Libc, SetLastError = true)] public static partial int setgid(uint gid);
    [LibraryImport(Libc, SetLastError = true)] public static partial int setgroups(nint size, uint* list);
    [LibraryImport(Libc)] public static partial uint geteuid();
    [LibraryImport(Libc, StringMarshalling = StringMarshalling.Utf8)] public static partial nint getpwnam(string name);
    [LibraryImport(Libc, StringMarshalling = StringMarshalling.Utf8)] public static partial nint getgrnam(string name);

    [LibraryImport(Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)] public static partial int open(string path, int flags, int mode);
    [LibraryImport(Libc, SetLastError = true)] public static partial int close(int fd);
    [LibraryImport(Libc, SetLastError = true)] public static partial nint read(int fd, byte* buf, nint count);
    [LibraryImport(Libc, SetLastError = true)] public static partial nint write(int fd, byte* buf, nint count);
    [LibraryImport(Libc, SetLastError = true)] public static partial nint send(int fd, byte* buf, nint count, int flags);
    [LibraryImport(Libc, SetLastError = true)] public static partial nint recv(int fd, byte* buf, nint count, int flags);
    [LibraryImport(Libc, SetLastError = true)] public static partial int ftruncate(int fd, long length);
    [LibraryImport(Libc, SetLastError = true)] public static partial nint mmap(nint addr, nint length, int prot, int flags, int fd, long offset);
    [LibraryImport(Libc, SetLastError = true)] public static partial int munmap(nint addr, nint length);
    [LibraryImport(Libc, SetLastError = true)] public static partial int pipe2(int* fds, int flags);
    [LibraryImport(Libc, SetLastError = true)] public static partial int poll(PollFd* fds, nuint nfds, int timeout);
    [LibraryImport(Libc, SetLastError = true)] public static partial int fstat(int fd, byte* buf);
    [LibraryImport(Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)] public static partial int unlink(string path);
    [LibraryImport(Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)] public static partial int chmod(string path, uint mode);
    [LibraryImport(Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)] public static partial int rename(string from, string to);
    [LibraryImport(Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)] public static partial int chown(string path, uint uid, uint gid);

    [LibraryImport(Libc, SetLastError = true)] public static partial int socket(int domain, int type, int protocol);
    [LibraryImport(Libc, SetLastError = true)] public static partial int bind(int fd, byte* addr, int len);
    [LibraryImport(Libc, SetLastError = true)] public static partial int connect(int fd, byte* addr, int len);
    [LibraryImport(Libc, SetLastError = true)] public static partial int listen(int fd, int backlog);
    [LibraryImport(Libc, SetLastError = true)] public static partial int accept4(int fd, nint addr, nint len, int flags);
    [LibraryImport(Libc, SetLastError = true)] public static partial int setsockopt(int fd, int level, int name, void* value, int len);
    [LibraryImport(Libc, SetLastError = true)] public static partial int getsockopt(int fd, int level, int name, void* value, int* len);

    [LibraryImport(Libc, SetLastError = true)] public static partial int clock_gettime(int clock, out TimeSpec ts);

    [LibraryImport(Libc, SetLastError = true)] public static partial int epoll_create1(int flags);
    [LibraryImport(Libc, SetLastError = true)] public static partial int epoll_ctl(int epfd, int op, int fd, EpollEvent* ev);
    [LibraryImport(Libc, SetLastError = true)] public static partial int epoll_wait(int epfd, EpollEvent* events, int max, int timeout);

    // posix_spawn: the attribute and file-action objects are opaque; 1 KiB covers glibc's sizes (336 and 80 bytes).
    public const int SpawnObjectSize = 1024;
    [LibraryImport(Libc)] public static partial int posix_spawn(out int pid, byte* path, void* fileActions, void* attr, byte** argv, byte** envp);
    [LibraryImport(Libc)] public static partial int posix_spawn_file_actions_init(void* fa);
    [LibraryImport(Libc)] public static partial int posix_spawn_file_actions_destroy(void* fa);
    [LibraryImport(Libc)] public static partial int posix_spawn_file_actions_adddup2(void* fa, int fd, int newfd);
    [LibraryImport(Libc)] public static partial int posix_spawn_file_actions_addclose(void* fa, int fd);
    [LibraryImport(Libc, StringMarshalling = StringMarshalling.Utf8)] public static partial int posix_spawn_file_actions_addopen(void* fa, int fd, string path, int flags, int mode);
    [LibraryImport(Libc)] public static partial int posix_spawnattr_init(void* attr);
    [LibraryImport(Libc)] public static partial int posix_spawnattr_destroy(void* attr);
    [LibraryImport(Libc)] public static partial int posix_spawnattr_setflags(void* attr, short flags);
    [LibraryImport(Libc)] public static partial int posix_spawnattr_setpgroup(void* attr, int pgroup);
    [LibraryImport(Libc)] public static partial int posix_spawnattr_setsigmask(void* attr, void* sigset);
    [LibraryImport(Libc)] public static partial int posix_spawnattr_setsigdefault(void* attr, void* sigset);
    [LibraryImport(Libc)] public static partial int sigemptyset(void* set);
    [LibraryImport(Libc)] public static partial int sigfillset(void* set);
    [LibraryImport(Libc)] public static partial int sigdelset(void* set, int sig);

    public static int Errno => Marshal.GetLastPInvokeError();

    public static string ErrorText(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    /// <summary>Monotonic time in nanoseconds, the same clock in every process (CLOCK_MONOTONIC).</summary>
    public static long MonotonicNs() => ClockNs(CLOCK_MONOTONIC);

    /// <summary>A clock in nanoseconds (CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID).</summary>
    public static long ClockNs(int clock)
    {
        clock_gettime(clock, out var ts);
        return ts.Sec * 1_000_000_000L + ts.Nsec;
    }

    /// <summary>Opens a file for appending (created 0644, close-on-exec): logs, the events file, the master's output. -1 on error (see Errno).</summary>
    /// <summary>Opens (creates) a file for appending, mode 0600: the run's files are the run's own.</summary>
    public static int OpenAppend(string path) => open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0x180 /* 0600 */);

    /// <summary>The calling thread's name (prctl PR_SET_NAME, at most 15 bytes): the main thread's is the process's comm, what `ps -o comm` shows.</summary>
    public static void SetName(string name)
    {
        byte* buf = stackalloc byte[16];
        int n = System.Text.Encoding.ASCII.GetBytes(name, new Span<byte>(buf, 15));
        buf[n] = 0;
        prctl(PR_SET_NAME, (nuint)buf, 0, 0, 0);
    }

    /// <summary>Writes all bytes to an fd (retrying on EINTR and short writes); false on error.</summary>
    public static bool WriteAll(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            int done = 0;
            while (done < data.Length)
            {
                nint n = write(fd, p + done, data.Length - done);
                if (n < 0) { if (Errno == EINTR) continue; return false; }
                done += (int)n;
            }
        }
        return true;
    }

    /// <summary>The kernel's socket inode of an fd (st_ino of fstat: offset 8 in struct stat on x86-64 and arm64).</summary>
    public static ulong InodeOf(int fd)
    {
        byte* buf = stackalloc byte[256];
        if (fstat(fd, buf) != 0) return 0;
        return *(ulong*)(buf + 8);
    }

    /// <summary>uid and gid of a user name (getpwnam), or null.</summary>
    public static (uint Uid, uint Gid)? LookupUser(string name)
    {
        nint pw = getpwnam(name);
        if (pw == 0) return null;
        // struct passwd { char *pw_name; char *pw_passwd; uid_t pw_uid; gid_t pw_gid; ... }
        return (*(uint*)(pw + 2 * sizeof(nint)), *(uint*)(pw + 2 * sizeof(nint) + 4));
    }

    /// <summary>gid of a group name (getgrnam), or null.</summary>
    public static uint? LookupGroup(string name)
    {
        nint gr = getgrnam(name);
        if (gr == 0) return null;
        // struct group { char *gr_name; char *gr_passwd; gid_t gr_gid; ... }
        return *(uint*)(gr + 2 * sizeof(nint));
    }
}
