using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Lab.Results.Reading;

/// <summary>Called for each complete line (without its '\n', nor a '\r' before it); lineNumber is 1-based.</summary>
internal delegate void LineHandler(ReadOnlySpan<byte> line, int lineNumber);

/// <summary>
/// Reads a results file line by line in large chunks, without a string per line. Only lines
/// ended by '\n' are given: a last line without one was cut by a killed run and is skipped
/// (the scanner says so).
/// </summary>
internal static class LineScanner
{
    /// <returns>True if a torn (unterminated) last line was skipped.</returns>
    /// <remarks>A gzipped file (.gz) is read through gunzip; one cut short (a killed run) ends where its data ends, as a torn line.</remarks>
    public static bool ForEachLine(string path, LineHandler handler)
    {
        using var file = Formats.ResultsFiles.OpenRead(path);
        byte[] buf = new byte[1 << 20];
        int filled = 0, lineNo = 0;
        while (true)
        {
            if (filled == buf.Length) Array.Resize(ref buf, buf.Length * 2); // a line longer than the buffer
            int n;
            try { n = file.Read(buf, filled, buf.Length - filled); }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException && path.EndsWith(Formats.ResultsFiles.Gz, StringComparison.Ordinal))
            {
                return true; // a gzip stream cut short: what came before is read, the rest is torn
            }
            if (n == 0) return filled > 0;
            filled += n;
            int start = 0;
            while (true)
            {
                int nl = buf.AsSpan(start, filled - start).IndexOf((byte)'\n');
                if (nl < 0) break;
                var line = buf.AsSpan(start, nl);
                if (line.Length > 0 && line[^1] == (byte)'\r') line = line[..^1];
                handler(line, ++lineNo);
                start += nl + 1;
            }
            if (start > 0)
            {
                Buffer.BlockCopy(buf, start, buf, 0, filled - start);
                filled -= start;
            }
        }
    }

    /// <summary>The complete lines of a (small) text file as strings; a torn last line is skipped.</summary>
    public static List<string> ReadLines(string path, out bool torn)
    {
        var bytes = ReadShared(path);
        var lines = new List<string>();
        int start = 0;
        while (true)
        {
            int nl = bytes.AsSpan(start).IndexOf((byte)'\n');
            if (nl < 0) break;
            var line = bytes.AsSpan(start, nl);
            if (line.Length > 0 && line[^1] == (byte)'\r') line = line[..^1];
            lines.Add(Encoding.UTF8.GetString(line));
            start += nl + 1;
        }
        torn = start < bytes.Length;
        return lines;
    }

    public static byte[] ReadShared(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var ms = new MemoryStream();
        file.CopyTo(ms);
        return ms.ToArray();
    }
}

/// <summary>The fields of one CSV line without quotes (samples.csv, requests.csv), split on ','.</summary>
internal ref struct FieldCursor
{
    private ReadOnlySpan<byte> _rest;
    private bool _done;

    public FieldCursor(ReadOnlySpan<byte> line) { _rest = line; _done = false; }

    public bool Next(out ReadOnlySpan<byte> field)
    {
        if (_done) { field = default; return false; }
        int comma = _rest.IndexOf((byte)',');
        if (comma < 0) { field = _rest; _done = true; return true; }
        field = _rest[..comma];
        _rest = _rest[(comma + 1)..];
        return true;
    }

    public bool AtEnd => _done;
}

/// <summary>Invariant number parsing straight from UTF-8 bytes.</summary>
internal static class Numbers
{
    private static readonly double[] Pow10 =
        [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

    public static bool TryLong(ReadOnlySpan<byte> s, out long v)
    {
        v = 0;
        if (s.Length == 0 || s.Length > 18) return s.Length > 0 && Utf8Parser.TryParse(s, out v, out int used) && used == s.Length;
        int i = 0;
        bool neg = s[0] == (byte)'-';
        if (neg) { i = 1; if (s.Length == 1) return false; }
        long acc = 0;
        for (; i < s.Length; i++)
        {
            uint d = (uint)(s[i] - '0');
            if (d > 9) return false;
            acc = acc * 10 + d;
        }
        v = neg ? -acc : acc;
        return true;
    }

    public static bool TryInt(ReadOnlySpan<byte> s, out int v)
    {
        if (TryLong(s, out long l) && l >= int.MinValue && l <= int.MaxValue) { v = (int)l; return true; }
        v = 0;
        return false;
    }

    /// <summary>
    /// A decimal number. Fast path for what the writer prints (up to 15 digits, a point): the
    /// digits as an integer divided by a power of ten, both exact doubles, so the quotient is
    /// correctly rounded (the same double as a full parse). Anything else: the runtime's parser.
    /// </summary>
    public static bool TryDouble(ReadOnlySpan<byte> s, out double v)
    {
        v = 0;
        if (s.Length == 0) return false;
        int i = 0;
        bool neg = s[0] == (byte)'-';
        if (neg) i = 1;
        long mant = 0;
        int digits = 0, fracDigits = 0;
        bool point = false, fast = i < s.Length;
        for (; i < s.Length; i++)
        {
            byte c = s[i];
            uint d = (uint)(c - '0');
            if (d <= 9)
            {
                mant = mant * 10 + d;
                digits++;
                if (point) fracDigits++;
                if (digits > 15) { fast = false; break; }
            }
            else if (c == (byte)'.' && !point) point = true;
            else { fast = false; break; }
        }
        if (fast && digits > 0)
        {
            double x = mant / Pow10[fracDigits];
            v = neg ? -x : x;
            return true;
        }
        return double.TryParse(Encoding.UTF8.GetString(s), NumberStyles.Float, CultureInfo.InvariantCulture, out v);
    }
}
