using System.Buffers.Binary;

namespace Lab.FastCgi;

/// <summary>FastCGI 1.0 record types (the spec's FCGI_* constants).</summary>
public enum RecordType : byte
{
    BeginRequest = 1,
    AbortRequest = 2,
    EndRequest = 3,
    Params = 4,
    Stdin = 5,
    Stdout = 6,
    Stderr = 7,
    Data = 8,
    GetValues = 9,
    GetValuesResult = 10,
    UnknownType = 11,
}

/// <summary>The role a BEGIN_REQUEST asks for.</summary>
public enum FastCgiRole : ushort { Responder = 1, Authorizer = 2, Filter = 3 }

/// <summary>END_REQUEST's protocolStatus.</summary>
public enum ProtocolStatus : byte { RequestComplete = 0, CantMpxConn = 1, Overloaded = 2, UnknownRole = 3 }

/// <summary>The fixed 8-byte header of every record.</summary>
public readonly record struct RecordHeader(RecordType Type, ushort RequestId, ushort ContentLength, byte PaddingLength)
{
    public int TotalLength => FastCgiProtocol.HeaderLength + ContentLength + PaddingLength;
}

/// <summary>Constants and the encoders of the FastCGI 1.0 wire format (big-endian, 8-byte headers).</summary>
public static class FastCgiProtocol
{
    public const byte Version1 = 1;
    public const int HeaderLength = 8;
    public const int MaxContentLength = 65535;
    /// <summary>BEGIN_REQUEST flag: keep the connection open after the request (FCGI_KEEP_CONN).</summary>
    public const byte KeepConnFlag = 1;
    /// <summary>Request id 0 is the management channel (GET_VALUES).</summary>
    public const ushort ManagementRequestId = 0;

    /// <summary>Chunk size for streams: the largest 8-aligned content length, so records need no padding.</summary>
    public const int StreamChunk = 65528;

    public static void WriteHeader(Span<byte> destination, RecordType type, ushort requestId, int contentLength, int paddingLength)
    {
        if ((uint)contentLength > MaxContentLength) throw new ArgumentOutOfRangeException(nameof(contentLength));
        destination[0] = Version1;
        destination[1] = (byte)type;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], requestId);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], (ushort)contentLength);
        destination[6] = (byte)paddingLength;
        destination[7] = 0;
    }

    /// <summary>Reads a header; throws <see cref="FastCgiProtocolException"/> on a version other than 1.</summary>
    public static RecordHeader ReadHeader(ReadOnlySpan<byte> source)
    {
        if (source[0] != Version1) throw new FastCgiProtocolException($"unsupported FastCGI version {source[0]}");
        return new RecordHeader((RecordType)source[1], BinaryPrimitives.ReadUInt16BigEndian(source[2..]),
            BinaryPrimitives.ReadUInt16BigEndian(source[4..]), source[6]);
    }

    /// <summary>Padding that brings a record's content to a multiple of 8 bytes (what nginx and php-fpm send).</summary>
    public static int PaddingFor(int contentLength) => (8 - (contentLength & 7)) & 7;

    /// <summary>The 8-byte body of BEGIN_REQUEST.</summary>
    public static void WriteBeginRequestBody(Span<byte> destination, FastCgiRole role, bool keepConnection)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)role);
        destination[2] = keepConnection ? KeepConnFlag : (byte)0;
        destination[3..8].Clear();
    }

    /// <summary>The 8-byte body of END_REQUEST.</summary>
    public static void WriteEndRequestBody(Span<byte> destination, int appStatus, ProtocolStatus status)
    {
        BinaryPrimitives.WriteInt32BigEndian(destination, appStatus);
        destination[4] = (byte)status;
        destination[5..8].Clear();
    }

    /// <summary>
    /// Writes a whole stream (STDOUT, STDERR, STDIN, PARAMS content) as records of at most
    /// <see cref="StreamChunk"/> bytes, optionally followed by the empty record that closes it.
    /// </summary>
    public static void WriteStream(System.Buffers.IBufferWriter<byte> output, RecordType type, ushort requestId,
        ReadOnlySpan<byte> content, bool close)
    {
        while (!content.IsEmpty)
        {
            int n = Math.Min(content.Length, StreamChunk);
            WriteRecord(output, type, requestId, content[..n]);
            content = content[n..];
        }
        if (close) WriteRecord(output, type, requestId, default);
    }

    /// <summary>A whole RESPONDER request: BEGIN_REQUEST, PARAMS (closed), STDIN (closed).</summary>
    public static void WriteRequest(System.Buffers.IBufferWriter<byte> output, ushort requestId,
        IEnumerable<KeyValuePair<string, string>> parameters, ReadOnlySpan<byte> stdin, bool keepConnection)
    {
        Span<byte> begin = stackalloc byte[8];
        WriteBeginRequestBody(begin, FastCgiRole.Responder, keepConnection);
        WriteRecord(output, RecordType.BeginRequest, requestId, begin);
        var pairs = new System.Buffers.ArrayBufferWriter<byte>(512);
        NameValuePairs.Write(pairs, parameters);
        WriteStream(output, RecordType.Params, requestId, pairs.WrittenSpan, close: true);
        WriteStream(output, RecordType.Stdin, requestId, stdin, close: true);
    }

    /// <summary>Writes one record (at most <see cref="MaxContentLength"/> bytes of content), padded to a multiple of 8.</summary>
    public static void WriteRecord(System.Buffers.IBufferWriter<byte> output, RecordType type, ushort requestId, ReadOnlySpan<byte> content)
    {
        int pad = PaddingFor(content.Length);
        var span = output.GetSpan(HeaderLength + content.Length + pad);
        WriteHeader(span, type, requestId, content.Length, pad);
        content.CopyTo(span[HeaderLength..]);
        span.Slice(HeaderLength + content.Length, pad).Clear();
        output.Advance(HeaderLength + content.Length + pad);
    }
}

/// <summary>The peer broke the FastCGI protocol (bad version, a record that cannot be parsed).</summary>
public class FastCgiProtocolException(string message) : IOException(message);
