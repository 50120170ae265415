using Lab.Scoreboard.Interop;

namespace Lab.Scoreboard;

/// <summary>
/// The application code every request runs (request.code), shared by the dotnet engine's
/// children as php-fpm's children share opcache's memory: the master writes it before it spawns
/// any child (through write(): the master maps none of it, as php-fpm's master touches none of
/// its opcache), keeps it open read-only and unlinks it (no path to tamper with), and passes the
/// descriptor to each child, which maps it read-only and reads every page of it on each request.
/// A page read by n children is in each one's RSS, in PSS for 1/n of it, in no one's USS.
/// </summary>
public sealed unsafe class SharedCode : IDisposable
{
    private const int Page = 4096;
    private readonly byte* _base;
    private readonly nint _length;

    private SharedCode(byte* at, nint length) { _base = at; _length = length; }

    public long Bytes => _length;

    /// <summary>The master: writes kb KiB of deterministic bytes at path (0600), opens it read-only, unlinks it; returns the descriptor.</summary>
    public static int Create(string path, long kb)
    {
        Native.unlink(path);
        int w = Native.open(path, Native.O_RDWR | Native.O_CREAT | Native.O_TRUNC | Native.O_CLOEXEC, 0x180 /* 0600 */);
        if (w < 0) throw new IOException($"unable to create the shared code {path}: {Native.ErrorText(Native.Errno)}");
        try
        {
            var chunk = new byte[1 << 20];
            for (int i = 0; i < chunk.Length; i++) chunk[i] = (byte)(i * 31 + (i >> 12));
            long left = kb * 1024;
            fixed (byte* p = chunk)
                while (left > 0)
                {
                    nint n = Native.write(w, p, (nint)Math.Min(left, chunk.Length));
                    if (n <= 0) throw new IOException($"write({path}): {Native.ErrorText(Native.Errno)}");
                    left -= n;
                }
            int r = Native.open(path, Native.O_RDONLY | Native.O_CLOEXEC, 0);
            if (r < 0) throw new IOException($"unable to open the shared code {path}: {Native.ErrorText(Native.Errno)}");
            return r;
        }
        finally
        {
            Native.close(w);
            Native.unlink(path);
        }
    }

    /// <summary>A child: maps the inherited descriptor read-only (nothing resident until touched).</summary>
    public static SharedCode FromFd(int fd, long bytes)
    {
        if (bytes <= 0) throw new IOException("the shared code is empty");
        nint p = Native.mmap(0, (nint)bytes, Native.PROT_READ, Native.MAP_SHARED, fd, 0);
        if (p == -1) throw new IOException($"mmap(shared code): {Native.ErrorText(Native.Errno)}");
        return new SharedCode((byte*)p, (nint)bytes);
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
