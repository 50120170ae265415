using System.Buffers;
using System.Net.Sockets;
using System.Text;
using Lab.FastCgi;

namespace Lab.Pool.Tests;

public class FastCgiCodecTests
{
    [Fact]
    public void Name_value_pairs_round_trip_with_short_long_and_huge_lengths()
    {
        var pairs = new Dictionary<string, string>
        {
            ["A"] = "",
            ["SHORT"] = "value",
            [new string('n', 127)] = new string('v', 127),
            [new string('N', 128)] = new string('V', 300),
            ["HUGE"] = new string('x', 200_000),
            ["UTF8"] = "Grüße, 世界",
        };
        var buffer = new ArrayBufferWriter<byte>();
        NameValuePairs.Write(buffer, pairs);
        // 1-byte lengths below 128, 4-byte lengths (high bit set) from 128
        Assert.Equal(1 + 1 + 1 + 0, NameValuePairs.EncodedLength("A", ""));
        Assert.Equal(1 + 4 + 127 + 128, NameValuePairs.EncodedLength(new string('n', 127), new string('v', 128)));
        Assert.Equal(pairs.Sum(kv => NameValuePairs.EncodedLength(kv.Key, kv.Value)), buffer.WrittenCount);
        var parsed = NameValuePairs.Parse(buffer.WrittenSpan);
        Assert.Equal(pairs.Count, parsed.Count);
        foreach (var (k, v) in pairs) Assert.Equal(v, parsed[k]);
    }

    [Fact]
    public void Truncated_pairs_are_a_protocol_error()
    {
        var buffer = new ArrayBufferWriter<byte>();
        NameValuePairs.Write(buffer, "NAME", "value");
        Assert.Throws<FastCgiProtocolException>(() => NameValuePairs.Parse(buffer.WrittenSpan[..^2]));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(4096)]
    public void A_request_split_across_reads_of_any_size_is_reassembled(int chunk)
    {
        var parameters = TestPool.Params("id=7&leak_kb=64");
        var extra = parameters.Append(new("HTTP_X_BIG", new string('b', 70_000))).ToList(); // PARAMS over several records
        var stdin = Encoding.ASCII.GetBytes(new string('i', 100_000));                   // STDIN over two records
        var wire = new ArrayBufferWriter<byte>();
        FastCgiProtocol.WriteRequest(wire, 42, extra, stdin, keepConnection: true);

        var connection = new FastCgiConnection(new ChunkedStream(wire.WrittenSpan.ToArray(), chunk));
        var request = connection.ReadRequest();
        Assert.NotNull(request);
        Assert.Equal(42, request.RequestId);
        Assert.True(request.KeepConnection);
        Assert.Equal(FastCgiRole.Responder, request.Role);
        Assert.Equal("id=7&leak_kb=64", request.Param("QUERY_STRING"));
        Assert.Equal(70_000, request.Param("HTTP_X_BIG").Length);
        Assert.Equal(stdin, request.Stdin);
        Assert.Null(connection.ReadRequest()); // end of stream
    }

    [Fact]
    public void A_response_round_trips_through_the_record_reader_one_byte_at_a_time()
    {
        var output = new MemoryStream();
        var connection = new FastCgiConnection(new DuplexStream(new MemoryStream(), output));
        var request = new FastCgiRequest
        {
            RequestId = 5, Role = FastCgiRole.Responder, KeepConnection = false,
            Params = new Dictionary<string, string>(), Stdin = [],
        };
        var body = Encoding.UTF8.GetBytes(new string('z', 100_000));
        var stdout = CgiResponse.Build(500, "Internal Server Error", [new("X-Lab-Pid", "123"), new("Content-type", "text/plain")], body);
        connection.WriteResponse(request, stdout, Encoding.UTF8.GetBytes("PHP message: oops"), appStatus: 3);

        var reader = new RecordReader(64);
        var got = new MemoryStream();
        string stderr = "";
        int appStatus = -1;
        bool ended = false;
        foreach (byte b in output.ToArray())
        {
            reader.Append([b]);
            while (reader.TryRead(out var h, out var content))
            {
                Assert.Equal(5, h.RequestId);
                if (h.Type == RecordType.Stdout) got.Write(content.Span);
                else if (h.Type == RecordType.Stderr) stderr += Encoding.UTF8.GetString(content.Span);
                else if (h.Type == RecordType.EndRequest) { appStatus = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(content.Span); ended = true; }
            }
        }
        Assert.True(ended);
        Assert.Equal(3, appStatus);
        var response = FastCgiResponse.FromCgi(got.ToArray(), stderr, appStatus);
        Assert.Equal(500, response.Status);
        Assert.Equal("123", response.Header("x-lab-pid"));
        Assert.Equal(body, response.Body);
        Assert.Equal("PHP message: oops", response.Stderr);
    }

    [Fact]
    public void Status_defaults_to_200_and_headers_without_body_parse()
    {
        var r = FastCgiResponse.FromCgi("Content-type: text/plain\n\nhello"u8, "", 0);
        Assert.Equal(200, r.Status);
        Assert.Equal("hello", r.BodyText);
        Assert.Equal("text/plain", r.Header("Content-Type"));
    }

    [Fact]
    public void Get_values_and_unknown_types_are_answered_on_the_management_channel()
    {
        var wire = new ArrayBufferWriter<byte>();
        var names = new ArrayBufferWriter<byte>();
        NameValuePairs.Write(names, "FCGI_MPXS_CONNS", "");
        NameValuePairs.Write(names, "FCGI_MAX_CONNS", "");
        FastCgiProtocol.WriteRecord(wire, RecordType.GetValues, 0, names.WrittenSpan);
        FastCgiProtocol.WriteRecord(wire, (RecordType)42, 0, ReadOnlySpan<byte>.Empty);
        var output = new MemoryStream();
        var connection = new FastCgiConnection(new DuplexStream(new MemoryStream(wire.WrittenSpan.ToArray()), output));
        Assert.Null(connection.ReadRequest());

        var reader = new RecordReader();
        reader.Append(output.ToArray());
        Assert.True(reader.TryRead(out var h1, out var c1));
        Assert.Equal(RecordType.GetValuesResult, h1.Type);
        var values = NameValuePairs.Parse(c1.Span);
        Assert.Equal("0", values["FCGI_MPXS_CONNS"]);
        Assert.Equal("1", values["FCGI_MAX_CONNS"]);
        Assert.True(reader.TryRead(out var h2, out var c2));
        Assert.Equal(RecordType.UnknownType, h2.Type);
        Assert.Equal(42, c2.Span[0]);
    }

    [Fact]
    public async Task Client_and_responder_talk_over_a_real_socket_with_keep_alive()
    {
        string dir = Directory.CreateTempSubdirectory("lab-fcgi-").FullName;
        string path = Path.Combine(dir, "s.sock");
        try
        {
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen(4);
            var server = Task.Run(() =>
            {
                using var s = listener.Accept();
                var connection = new FastCgiConnection(new NetworkStream(s));
                int n = 0;
                while (connection.ReadRequest() is { } req)
                {
                    n++;
                    var body = Encoding.UTF8.GetBytes($"n={n} q={req.Param("QUERY_STRING")}");
                    connection.WriteResponse(req, CgiResponse.Build(200, "OK", [new("Content-type", "text/plain")], body), []);
                    if (!req.KeepConnection) break;
                }
                return n;
            });
            await using (var client = await FastCgiClient.ConnectAsync(new UnixDomainSocketEndPoint(path), keepConnection: true, CancellationToken.None))
            {
                for (int i = 1; i <= 3; i++)
                {
                    var r = await client.SendAsync(TestPool.Params($"i={i}"), ReadOnlyMemory<byte>.Empty, CancellationToken.None);
                    Assert.Equal(200, r.Status);
                    Assert.Equal($"n={i} q=i={i}", r.BodyText);
                }
            }
            Assert.Equal(3, await server);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public async Task Connecting_where_nothing_listens_is_a_connect_exception()
    {
        var ep = new UnixDomainSocketEndPoint(Path.Combine(Path.GetTempPath(), $"nothing-{Guid.NewGuid():N}.sock"));
        var e = await Assert.ThrowsAsync<FastCgiConnectException>(() => FastCgiClient.ConnectAsync(ep, CancellationToken.None));
        Assert.False(e.QueueFull);
    }

    [Fact]
    public async Task A_full_listen_queue_is_a_connect_exception_marked_queue_full()
    {
        string dir = Directory.CreateTempSubdirectory("lab-fcgi-").FullName;
        string path = Path.Combine(dir, "s.sock");
        var held = new List<FastCgiClient>();
        try
        {
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen(2); // nobody accepts: the queue fills
            FastCgiConnectException? refused = null;
            for (int i = 0; i < 64 && refused is null; i++)
            {
                try { held.Add(await FastCgiClient.ConnectAsync(new UnixDomainSocketEndPoint(path), new CancellationTokenSource(2000).Token)); }
                catch (FastCgiConnectException e) { refused = e; }
            }
            Assert.NotNull(refused);
            Assert.True(refused.QueueFull, $"expected EAGAIN, got {refused.Error}");
            Assert.InRange(held.Count, 2, 4); // backlog 2 (+1: the kernel admits backlog + 1)
        }
        finally
        {
            foreach (var c in held) await c.DisposeAsync();
            Directory.Delete(dir, true);
        }
    }

    /// <summary>Hands out the data in pieces of at most `chunk` bytes.</summary>
    private sealed class ChunkedStream(byte[] data, int chunk) : Stream
    {
        private int _at;
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer)
        {
            int n = Math.Min(Math.Min(chunk, buffer.Length), data.Length - _at);
            data.AsSpan(_at, n).CopyTo(buffer);
            _at += n;
            return n;
        }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => data.Length;
        public override long Position { get => _at; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private sealed class DuplexStream(Stream input, Stream output) : Stream
    {
        public override int Read(byte[] buffer, int offset, int count) => input.Read(buffer, offset, count);
        public override int Read(Span<byte> buffer) => input.Read(buffer);
        public override void Write(byte[] buffer, int offset, int count) => output.Write(buffer, offset, count);
        public override void Write(ReadOnlySpan<byte> buffer) => output.Write(buffer);
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
