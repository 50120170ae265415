using Lab.Scoreboard.Interop;

namespace Lab.Worker;

/// <summary>A blocking Stream over an accepted socket fd (no System.Net: the child stays small).</summary>
internal sealed unsafe class FdStream(int fd) : Stream
{
    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(Span<byte> buffer)
    {
        fixed (byte* p = buffer)
            while (true)
            {
                nint n = Native.recv(fd, p, buffer.Length, 0);
                if (n >= 0) return (int)n;
                int e = Native.Errno;
                if (e == Native.EINTR) continue;
                throw new IOException($"recv: {Native.ErrorText(e)}");
            }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            int done = 0;
            while (done < buffer.Length)
            {
                nint n = Native.send(fd, p + done, buffer.Length - done, Native.MSG_NOSIGNAL);
                if (n < 0)
                {
                    int e = Native.Errno;
                    if (e == Native.EINTR) continue;
                    throw new IOException($"send: {Native.ErrorText(e)}");
                }
                done += (int)n;
            }
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
