using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Lab.FastCgi;

/// <summary>
/// FastCGI name-value pairs (PARAMS, GET_VALUES): each length is one byte when below 128,
/// else four bytes with the high bit set; then the name's and the value's bytes (UTF-8 here).
/// </summary>
public static class NameValuePairs
{
    public static int EncodedLength(string name, string value)
    {
        int n = Encoding.UTF8.GetByteCount(name), v = Encoding.UTF8.GetByteCount(value);
        return LengthSize(n) + LengthSize(v) + n + v;
    }

    private static int LengthSize(int length) => length < 128 ? 1 : 4;

    /// <summary>Appends the pairs' encoding.</summary>
    public static void Write(IBufferWriter<byte> output, IEnumerable<KeyValuePair<string, string>> pairs)
    {
        foreach (var (name, value) in pairs) Write(output, name, value);
    }

    public static void Write(IBufferWriter<byte> output, string name, string value)
    {
        int n = Encoding.UTF8.GetByteCount(name), v = Encoding.UTF8.GetByteCount(value);
        int total = LengthSize(n) + LengthSize(v) + n + v;
        var span = output.GetSpan(total);
        int at = WriteLength(span, n);
        at += WriteLength(span[at..], v);
        at += Encoding.UTF8.GetBytes(name, span[at..]);
        at += Encoding.UTF8.GetBytes(value, span[at..]);
        output.Advance(at);
    }

    private static int WriteLength(Span<byte> span, int length)
    {
        if (length < 128) { span[0] = (byte)length; return 1; }
        BinaryPrimitives.WriteUInt32BigEndian(span, (uint)length | 0x8000_0000u);
        return 4;
    }

    /// <summary>Parses a complete PARAMS stream (all its records' content, concatenated).</summary>
    public static Dictionary<string, string> Parse(ReadOnlySpan<byte> data)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        while (!data.IsEmpty)
        {
            int n = ReadLength(ref data), v = ReadLength(ref data);
            if ((long)n + v > data.Length) throw new FastCgiProtocolException("name-value pair longer than its stream");
            string name = Encoding.UTF8.GetString(data[..n]);
            string value = Encoding.UTF8.GetString(data.Slice(n, v));
            result[name] = value;
            data = data[(n + v)..];
        }
        return result;
    }

    private static int ReadLength(ref ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) throw new FastCgiProtocolException("truncated name-value pair");
        if (data[0] < 128) { int l = data[0]; data = data[1..]; return l; }
        if (data.Length < 4) throw new FastCgiProtocolException("truncated name-value pair length");
        int len = (int)(BinaryPrimitives.ReadUInt32BigEndian(data) & 0x7FFF_FFFFu);
        data = data[4..];
        return len;
    }
}
