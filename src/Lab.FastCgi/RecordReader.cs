namespace Lab.FastCgi;

/// <summary>
/// Reassembles FastCGI records from a byte stream that arrives in pieces of any size (a record
/// may be split across reads, or several may arrive in one). Feed it with
/// <see cref="GetWriteMemory"/> + <see cref="Advance"/>, then take records with
/// <see cref="TryRead"/>. A record's content stays valid until the next GetWriteMemory or Append.
/// </summary>
public sealed class RecordReader
{
    private byte[] _buffer;
    private int _start, _end;

    public RecordReader(int initialSize = 16 * 1024) => _buffer = new byte[Math.Max(initialSize, 64)];

    /// <summary>Room to receive at least <paramref name="minimum"/> bytes (compacts, grows when a record needs it).</summary>
    public Memory<byte> GetWriteMemory(int minimum = 4096)
    {
        // a partly received record must end up in one piece: ask room for all of it
        int buffered = _end - _start;
        if (buffered >= FastCgiProtocol.HeaderLength)
        {
            var pending = FastCgiProtocol.ReadHeader(_buffer.AsSpan(_start, FastCgiProtocol.HeaderLength));
            minimum = Math.Max(minimum, pending.TotalLength - buffered);
        }
        if (_start > 0 && (_start == _end || _buffer.Length - _end < minimum))
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_buffer.Length - _end < minimum)
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _end + minimum));
        return _buffer.AsMemory(_end);
    }

    public void Advance(int count)
    {
        if (count < 0 || _end + count > _buffer.Length) throw new ArgumentOutOfRangeException(nameof(count));
        _end += count;
    }

    /// <summary>Appends bytes (a convenience for tests and synchronous callers).</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        data.CopyTo(GetWriteMemory(data.Length).Span);
        Advance(data.Length);
    }

    /// <summary>Takes the next complete record, if one has fully arrived.</summary>
    public bool TryRead(out RecordHeader header, out ReadOnlyMemory<byte> content)
    {
        int available = _end - _start;
        if (available < FastCgiProtocol.HeaderLength) { header = default; content = default; return false; }
        header = FastCgiProtocol.ReadHeader(_buffer.AsSpan(_start, FastCgiProtocol.HeaderLength));
        if (available < header.TotalLength) { content = default; return false; }
        content = _buffer.AsMemory(_start + FastCgiProtocol.HeaderLength, header.ContentLength);
        _start += header.TotalLength;
        if (_start == _end) _start = _end = 0;
        return true;
    }
}
