using System.Buffers;
using System.IO.Compression;
using System.Threading.Channels;

namespace Lab.Results.Formats;

/// <summary>
/// A write-only stream that gzips what it is given on a thread of its own, into a new file: the
/// run (the simulator writes millions of rows a second) hands over 1 MiB blocks and goes on while
/// the other core compresses. At most a few blocks wait, so memory stays bounded. Flush waits for
/// the blocks given so far and ends the gzip block (a reader of the growing file sees every row
/// so far); Dispose closes the gzip stream (its trailer) and the file. A failed write surfaces on
/// the next Write, Flush or Dispose, as the IOException the file system gave.
/// </summary>
internal sealed class GzipPipe : Stream
{
    private const int MaxWaiting = 4;

    private readonly FileStream _file;
    private readonly GZipStream _gzip;
    private readonly Channel<Block> _blocks = Channel.CreateBounded<Block>(new BoundedChannelOptions(MaxWaiting) { SingleReader = true, SingleWriter = true });
    private readonly Task _worker;
    private Exception? _failure;
    private bool _closed;

    private readonly record struct Block(byte[]? Bytes, int Length, TaskCompletionSource? Flushed);

    public GzipPipe(string path, CompressionLevel level = CompressionLevel.Optimal)
    {
        _file = Utf8Output.OpenNew(path);
        _gzip = new GZipStream(_file, level, leaveOpen: true);
        _worker = Task.Factory.StartNew(Work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    private async Task Work()
    {
        await foreach (var b in _blocks.Reader.ReadAllAsync())
        {
            try
            {
                if (_failure is null && b.Bytes is not null) _gzip.Write(b.Bytes, 0, b.Length);
                if (_failure is null && b.Flushed is not null) { _gzip.Flush(); _file.Flush(); }
            }
            catch (Exception e) when (IoProblem.IsIo(e)) { _failure ??= e; }
            finally
            {
                if (b.Bytes is not null) ArrayPool<byte>.Shared.Return(b.Bytes);
                b.Flushed?.TrySetResult();
            }
        }
    }

    private void ThrowIfFailed()
    {
        if (_failure is { } e) throw new IOException(e.Message, e);
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ThrowIfFailed();
        if (buffer.IsEmpty) return;
        var copy = ArrayPool<byte>.Shared.Rent(buffer.Length);
        buffer.CopyTo(copy);
        if (!_blocks.Writer.TryWrite(new Block(copy, buffer.Length, null)))
            _blocks.Writer.WriteAsync(new Block(copy, buffer.Length, null)).AsTask().GetAwaiter().GetResult();
    }

    public override void Flush()
    {
        ThrowIfFailed();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _blocks.Writer.WriteAsync(new Block(null, 0, done)).AsTask().GetAwaiter().GetResult();
        done.Task.GetAwaiter().GetResult();
        ThrowIfFailed();
    }

    protected override void Dispose(bool disposing)
    {
        if (_closed || !disposing) { base.Dispose(disposing); return; }
        _closed = true;
        _blocks.Writer.TryComplete();
        _worker.GetAwaiter().GetResult();
        try { _gzip.Dispose(); } catch (Exception e) when (IoProblem.IsIo(e)) { _failure ??= e; }
        try { _file.Dispose(); } catch (Exception e) when (IoProblem.IsIo(e)) { _failure ??= e; }
        base.Dispose(disposing);
        ThrowIfFailed();
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => !_closed;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
