using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Lab.Results.Formats;

/// <summary>
/// One results file being written: UTF-8 without BOM, '\n' line ends, invariant numbers, its own
/// byte buffer (no string per field: numbers are formatted straight into the buffer). The file
/// is shared for reading, so a progress display or a test can read it while the run goes on.
/// A write the file system refuses (a full disk, a read-only or vanished folder) is reported
/// once to the failure handler; from then on the output drops what it is given, so the run can
/// end cleanly and say why.
/// </summary>
internal sealed class Utf8Output : IDisposable
{
    private static readonly long[] Pow10 = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000];
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    private readonly Stream _file;
    private readonly byte[] _buf;
    private readonly Action<string, Exception>? _onFailure;
    private int _pos;
    private bool _closed;

    public Utf8Output(string path, int bufferSize, Action<string, Exception>? onFailure = null)
        : this(path, OpenNew(path), bufferSize, onFailure) { }

    /// <summary>Writes into a stream made by the caller (a compressing one); <paramref name="path"/> names it in failures.</summary>
    public Utf8Output(string path, Stream stream, int bufferSize, Action<string, Exception>? onFailure = null)
    {
        Path = path;
        _file = stream;
        _buf = new byte[Math.Max(bufferSize, 4096)];
        _onFailure = onFailure;
    }

    /// <summary>bufferSize 0: our own buffer is the only one, so Flush() really hands the bytes to the OS.</summary>
    public static FileStream OpenNew(string path) =>
        new(path, FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);

    public string Path { get; }

    /// <summary>Whether a write failed (the output drops everything since).</summary>
    public bool Failed { get; private set; }

    private void Fail(Exception e)
    {
        _pos = 0;
        if (Failed) return;
        Failed = true;
        _onFailure?.Invoke(Path, e);
    }

    private void WriteThrough(ReadOnlySpan<byte> bytes)
    {
        if (Failed) return;
        try { _file.Write(bytes); }
        catch (Exception e) when (IoProblem.IsIo(e)) { Fail(e); }
    }

    /// <summary>At least n free bytes at the end of the buffer (n must be small: one field).</summary>
    private Span<byte> Room(int n)
    {
        if (_buf.Length - _pos < n) Drain();
        return _buf.AsSpan(_pos);
    }

    private void Drain()
    {
        if (_pos == 0) return;
        WriteThrough(_buf.AsSpan(0, _pos));
        _pos = 0;
    }

    public void Byte(byte b)
    {
        if (_pos == _buf.Length) Drain();
        _buf[_pos++] = b;
    }

    public void NewLine() => Byte((byte)'\n');

    public void Comma() => Byte((byte)',');

    public void Bytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > _buf.Length - _pos)
        {
            Drain();
            if (bytes.Length > _buf.Length) { WriteThrough(bytes); return; }
        }
        bytes.CopyTo(_buf.AsSpan(_pos));
        _pos += bytes.Length;
    }

    public void Text(string s) => Text(s.AsSpan());

    public void Text(ReadOnlySpan<char> s)
    {
        int max = Utf8.GetMaxByteCount(s.Length);
        if (max > _buf.Length - _pos)
        {
            Drain();
            if (max > _buf.Length) { WriteThrough(Utf8.GetBytes(s.ToArray())); return; }
        }
        _pos += Utf8.GetBytes(s, _buf.AsSpan(_pos));
    }

    /// <summary>A line of text and its '\n'.</summary>
    public void Line(string s) { Text(s); NewLine(); }

    public void Long(long v)
    {
        Utf8Formatter.TryFormat(v, Room(24), out int written);
        _pos += written;
    }

    public void Int(int v) => Long(v);

    /// <summary>
    /// A number with a fixed count of decimals (0..8), rounded half away from zero at that
    /// precision. Non-finite values write nothing (an empty CSV field).
    /// </summary>
    public void Fixed(double v, int decimals)
    {
        if (!double.IsFinite(v)) return;
        var dst = Room(40);
        long p = Pow10[decimals];
        double scaled = Math.Round(v * p, MidpointRounding.AwayFromZero);
        if (Math.Abs(scaled) >= 9e15)
        {
            // Beyond exact integer doubles: let the runtime format it (rare: huge values).
            v.TryFormat(dst, out int w, decimals switch { 3 => "F3", 6 => "F6", 2 => "F2", _ => "F" + decimals.ToString(CultureInfo.InvariantCulture) }, CultureInfo.InvariantCulture);
            _pos += w;
            return;
        }
        long r = (long)scaled;
        int n = 0;
        if (r < 0) { dst[n++] = (byte)'-'; r = -r; }
        Utf8Formatter.TryFormat(r / p, dst[n..], out int iw);
        n += iw;
        if (decimals > 0)
        {
            long frac = r % p;
            dst[n++] = (byte)'.';
            for (int i = decimals - 1; i >= 0; i--) { dst[n + i] = (byte)('0' + (int)(frac % 10)); frac /= 10; }
            n += decimals;
        }
        _pos += n;
    }

    /// <summary>A CSV field: quoted (quotes doubled) when it holds a comma, quote or line break.</summary>
    public void CsvField(string s)
    {
        if (s.AsSpan().IndexOfAny(",\"\n\r") < 0) { Text(s); return; }
        Byte((byte)'"');
        Text(s.Replace("\"", "\"\""));
        Byte((byte)'"');
    }

    /// <summary>Hands the buffered bytes to the OS (visible to readers; survives our own death, not a power cut).</summary>
    public void Flush()
    {
        if (_closed) return;
        Drain();
        if (Failed) return;
        try
        {
            if (_file is FileStream fs) fs.Flush(flushToDisk: false);
            else _file.Flush();
        }
        catch (Exception e) when (IoProblem.IsIo(e)) { Fail(e); }
    }

    public void Dispose()
    {
        if (_closed) return;
        _closed = true;
        Drain();
        try { _file.Dispose(); }
        catch (Exception e) when (IoProblem.IsIo(e)) { Fail(e); }
    }
}
