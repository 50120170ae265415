using System.Runtime.InteropServices;
using Lab.Linux.Processes;

namespace Lab.Nginx;

/// <summary>
/// Whom nginx's workers run as when the lab is root: the unprivileged user (www-data), who owns
/// php-fpm's socket (listen.owner, mode 0660). A pool whose socket that user cannot open (the
/// lab's own dotnet pool runs as the lab's user, root, and so does its socket) gets workers
/// running as the socket's owner instead, or nginx would answer every request with 502.
/// </summary>
public static partial class WorkerUser
{
    /// <param name="fastCgiPass">The pool's address as fastcgi_pass takes it ("unix:/path").</param>
    /// <param name="unprivileged">The lab's unprivileged user; null when the lab is not root (nginx then runs as the lab's user).</param>
    public static UnprivilegedUser? For(string fastCgiPass, UnprivilegedUser? unprivileged)
    {
        if (unprivileged is null || !fastCgiPass.StartsWith("unix:", StringComparison.Ordinal)) return unprivileged;
        if (Owner(fastCgiPass["unix:".Length..]) is not { } st) return unprivileged;
        if (CanOpen(st, unprivileged)) return unprivileged;
        string? user = UnprivilegedUser.NameOf((int)st.Uid, "/etc/passwd");
        string? group = UnprivilegedUser.NameOf((int)st.Gid, "/etc/group");
        return user is not null && group is not null ? new UnprivilegedUser(user, group) : unprivileged;
    }

    /// <summary>Can the user read and write the socket (owner, group or others bits)?</summary>
    public static bool CanOpen((uint Uid, uint Gid, uint Mode) st, UnprivilegedUser user)
    {
        var ids = UnprivilegedUser.Ids(user.User);
        int? gid = UnprivilegedUser.GroupId(user.Group);
        if (ids is { } i && i.Uid == st.Uid) return (st.Mode & 0x180) == 0x180;           // u+rw (0600)
        if ((gid ?? ids?.Gid) is { } g && g == st.Gid) return (st.Mode & 0x30) == 0x30;   // g+rw (0060)
        return (st.Mode & 0x6) == 0x6;                                                    // o+rw (0006)
    }

    /// <summary>A file's owner, group and permission bits (statx: the same layout on every architecture).</summary>
    public static (uint Uid, uint Gid, uint Mode)? Owner(string path)
    {
        var buf = new byte[256];
        if (statx(-100 /* AT_FDCWD */, path, 0, 0x7ff /* STATX_BASIC_STATS */, buf) != 0) return null;
        uint uid = BitConverter.ToUInt32(buf, 20), gid = BitConverter.ToUInt32(buf, 24);
        uint mode = BitConverter.ToUInt16(buf, 28);
        return (uid, gid, mode & 0xfff);
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int statx(int dirfd, string path, int flags, uint mask, byte[] buffer);
}
