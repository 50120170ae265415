using System.Buffers;
using System.Text;

namespace Lab.FastCgi;

/// <summary>One request as a responder receives it.</summary>
public sealed class FastCgiRequest
{
    public required ushort RequestId { get; init; }
    public required FastCgiRole Role { get; init; }
    /// <summary>FCGI_KEEP_CONN: the client wants the connection kept open after this request.</summary>
    public required bool KeepConnection { get; init; }
    public required IReadOnlyDictionary<string, string> Params { get; init; }
    public required byte[] Stdin { get; init; }

    public string Param(string name) => Params.TryGetValue(name, out var v) ? v : "";
}

/// <summary>
/// The responder's side of one connection, synchronous (a php-fpm child serves one connection
/// at a time and blocks). It reads a request's records, answers GET_VALUES on the management
/// channel, refuses multiplexing and other roles, and writes the response (STDOUT, STDERR,
/// END_REQUEST) in as few writes as possible.
/// </summary>
public sealed class FastCgiConnection(Stream stream)
{
    private readonly RecordReader _reader = new(16 * 1024);
    private readonly ArrayBufferWriter<byte> _out = new(4096);

    /// <summary>What GET_VALUES answers: one connection, one request at a time, no multiplexing (as php-fpm).</summary>
    public static readonly IReadOnlyDictionary<string, string> Values = new Dictionary<string, string>
    {
        ["FCGI_MAX_CONNS"] = "1",
        ["FCGI_MAX_REQS"] = "1",
        ["FCGI_MPXS_CONNS"] = "0",
    };

    /// <summary>
    /// Reads the next request (blocking). Null when the client closed the connection
    /// (or aborted the request) before a complete request arrived.
    /// </summary>
    public FastCgiRequest? ReadRequest()
    {
        ushort id = 0;
        FastCgiRole role = FastCgiRole.Responder;
        bool keep = false, paramsDone = false;
        var parameters = new ArrayBufferWriter<byte>(1024);
        ArrayBufferWriter<byte>? stdin = null;
        Dictionary<string, string>? parsed = null;
        while (true)
        {
            while (_reader.TryRead(out var h, out var content))
            {
                switch (h.Type)
                {
                    case RecordType.GetValues when h.RequestId == FastCgiProtocol.ManagementRequestId:
                        AnswerGetValues(content.Span);
                        continue;
                    case RecordType.BeginRequest:
                        if (id != 0 && h.RequestId != id)
                        {
                            WriteEnd(h.RequestId, 0, ProtocolStatus.CantMpxConn);
                            continue;
                        }
                        var body = content.Span;
                        role = (FastCgiRole)((body[0] << 8) | body[1]);
                        keep = (body[2] & FastCgiProtocol.KeepConnFlag) != 0;
                        if (role != FastCgiRole.Responder)
                        {
                            WriteEnd(h.RequestId, 0, ProtocolStatus.UnknownRole);
                            continue;
                        }
                        id = h.RequestId;
                        continue;
                    case RecordType.AbortRequest when h.RequestId == id:
                        WriteEnd(id, 0, ProtocolStatus.RequestComplete);
                        return null;
                    case RecordType.Params when h.RequestId == id && id != 0:
                        if (content.Length == 0) { paramsDone = true; parsed = NameValuePairs.Parse(parameters.WrittenSpan); }
                        else parameters.Write(content.Span);
                        continue;
                    case RecordType.Stdin when h.RequestId == id && id != 0:
                        if (content.Length == 0)
                        {
                            if (!paramsDone) throw new FastCgiProtocolException("STDIN closed before PARAMS");
                            return new FastCgiRequest
                            {
                                RequestId = id, Role = role, KeepConnection = keep,
                                Params = parsed!, Stdin = stdin?.WrittenSpan.ToArray() ?? [],
                            };
                        }
                        (stdin ??= new ArrayBufferWriter<byte>(content.Length)).Write(content.Span);
                        continue;
                    case RecordType.Data:
                        continue; // FILTER role only
                    default:
                        if (h.RequestId == FastCgiProtocol.ManagementRequestId && h.Type != RecordType.GetValues)
                            WriteUnknownType(h.Type);
                        continue;
                }
            }
            var mem = _reader.GetWriteMemory();
            int n = stream.Read(mem.Span);
            if (n <= 0) return null;
            _reader.Advance(n);
        }
    }

    /// <summary>Writes the response: STDOUT (the CGI headers and body), STDERR (if any), END_REQUEST.</summary>
    public void WriteResponse(FastCgiRequest request, ReadOnlySpan<byte> stdout, ReadOnlySpan<byte> stderr, int appStatus = 0)
    {
        _out.ResetWrittenCount();
        FastCgiProtocol.WriteStream(_out, RecordType.Stdout, request.RequestId, stdout, close: false);
        if (!stderr.IsEmpty) FastCgiProtocol.WriteStream(_out, RecordType.Stderr, request.RequestId, stderr, close: false);
        FastCgiProtocol.WriteStream(_out, RecordType.Stdout, request.RequestId, default, close: true);
        Span<byte> end = stackalloc byte[8];
        FastCgiProtocol.WriteEndRequestBody(end, appStatus, ProtocolStatus.RequestComplete);
        FastCgiProtocol.WriteRecord(_out, RecordType.EndRequest, request.RequestId, end);
        stream.Write(_out.WrittenSpan);
        stream.Flush();
    }

    private void AnswerGetValues(ReadOnlySpan<byte> content)
    {
        var asked = NameValuePairs.Parse(content);
        var pairs = new ArrayBufferWriter<byte>(128);
        foreach (var name in asked.Keys)
            if (Values.TryGetValue(name, out var v)) NameValuePairs.Write(pairs, name, v);
        SendRecord(RecordType.GetValuesResult, FastCgiProtocol.ManagementRequestId, pairs.WrittenSpan);
    }

    private void WriteUnknownType(RecordType type)
    {
        Span<byte> body = stackalloc byte[8];
        body.Clear();
        body[0] = (byte)type;
        SendRecord(RecordType.UnknownType, FastCgiProtocol.ManagementRequestId, body);
    }

    private void WriteEnd(ushort requestId, int appStatus, ProtocolStatus status)
    {
        Span<byte> end = stackalloc byte[8];
        FastCgiProtocol.WriteEndRequestBody(end, appStatus, status);
        SendRecord(RecordType.EndRequest, requestId, end);
    }

    /// <summary>One record, written at once.</summary>
    private void SendRecord(RecordType type, ushort requestId, ReadOnlySpan<byte> body)
    {
        _out.ResetWrittenCount();
        FastCgiProtocol.WriteRecord(_out, type, requestId, body);
        stream.Write(_out.WrittenSpan);
        stream.Flush();
    }
}

/// <summary>Builds a CGI response (what a PHP SAPI writes to STDOUT): "Status:" when not 200, headers, blank line, body.</summary>
public static class CgiResponse
{
    public static byte[] Build(int status, string reason, IEnumerable<KeyValuePair<string, string>> headers, ReadOnlySpan<byte> body)
    {
        var sb = new StringBuilder(256);
        if (status != 200) sb.Append("Status: ").Append(status.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append(' ').Append(reason).Append("\r\n");
        foreach (var (k, v) in headers) sb.Append(k).Append(": ").Append(v).Append("\r\n");
        sb.Append("\r\n");
        string head = sb.ToString();
        int headLen = Encoding.UTF8.GetByteCount(head);
        var result = new byte[headLen + body.Length];
        Encoding.UTF8.GetBytes(head, result);
        body.CopyTo(result.AsSpan(headLen));
        return result;
    }
}
