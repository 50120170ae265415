using Lab.Pool.Interop;

// Shared by the master (Lab.Pool, public) and the children (linked into Lab.Worker, internal).
namespace Lab.Pool.Code;

/// <summary>
/// The application code every request runs, shared by the children as php-fpm's children share
/// opcache's memory: the master creates it before it spawns any child (request.code's size, a
/// file in the run's private folder, written through write(): the master maps none of it, as
/// php-fpm's master touches none of its opcache), each child maps it read-only when it starts and
/// touches every page of it on each request. A page touched by n children is in each one's RSS,
/// in PSS for 1/n of it, in no one's USS.
/// </summary>
#if LAB_WORKER
internal
#else
public
#endif
sealed unsafe class SharedCode : IDisposable
{
    private const int Page = 4096;
    private readonly byte* _base;
    private readonly nint _length;

    private SharedCode(byte* at, nint length) { _base = at; _length = length; }

    public long Bytes => _length;

    /// <summary>The master: writes the code file (kb KiB of deterministic bytes, readable by the children's user).</summary>
    public static void Create(string path, long kb)
    {
        string building = path + ".new";
        var bytes = new byte[1 << 20];
        for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)(i * 31 + (i >> 12));
        using (var f = new FileStream(building, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            long left = kb * 1024;
            while (left > 0)
            {
                int n = (int)Math.Min(left, bytes.Length);
                f.Write(bytes, 0, n);
                left -= n;
            }
        }
        File.SetUnixFileMode(building, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        File.Move(building, path, overwrite: true);
    }

    /// <summary>A child: maps the code read-only (nothing resident until touched).</summary>
    public static SharedCode Open(string path)
    {
        int fd = Native.open(path, Native.O_RDONLY | Native.O_CLOEXEC, 0);
        if (fd < 0) throw new IOException($"unable to open the shared code {path}: {Native.ErrorText(Native.Errno)}");
        try
        {
            long length = new FileInfo(path).Length;
            if (length <= 0) throw new IOException($"{path} is empty");
            nint p = Native.mmap(0, (nint)length, Native.PROT_READ, Native.MAP_SHARED, fd, 0);
            if (p == -1) throw new IOException($"mmap({path}): {Native.ErrorText(Native.Errno)}");
            return new SharedCode((byte*)p, (nint)length);
        }
        finally { Native.close(fd); }
    }

    /// <summary>A request runs the code: every page read once. Returns a checksum (so the reads are not optimised away).</summary>
    public int Touch()
    {
        int sum = 0;
        for (nint i = 0; i < _length; i += Page) sum += Volatile.Read(ref _base[i]);
        return sum;
    }

    public void Dispose() => Native.munmap((nint)_base, _length);
}
