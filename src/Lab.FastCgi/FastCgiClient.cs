using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Lab.FastCgi;

/// <summary>
/// A FastCGI client (the web server's side), as nginx talks to php-fpm: BEGIN_REQUEST as a
/// RESPONDER, PARAMS, STDIN, then STDOUT/STDERR until END_REQUEST. One request per connection
/// (nginx's default) unless the connection was opened with keepConnection (FCGI_KEEP_CONN).
/// </summary>
public sealed class FastCgiClient : IAsyncDisposable, IDisposable
{
    private readonly Socket _socket;
    private readonly bool _keepConnection;
    private readonly RecordReader _reader = new(8 * 1024);
    private readonly ArrayBufferWriter<byte> _out = new(1024);
    private ushort _nextRequestId = 1;
    private bool _closed;

    private FastCgiClient(Socket socket, EndPoint endpoint, bool keepConnection)
    {
        _socket = socket;
        EndPoint = endpoint;
        _keepConnection = keepConnection;
    }

    public EndPoint EndPoint { get; }

    /// <summary>Connects for one request (the responder closes the connection after it).</summary>
    public static Task<FastCgiClient> ConnectAsync(EndPoint endpoint, CancellationToken cancel) =>
        ConnectAsync(endpoint, keepConnection: false, cancel);

    /// <summary>Connects; with keepConnection, several requests can be sent one after the other on the connection.</summary>
    /// <exception cref="FastCgiConnectException">Nothing listening, or the listen queue is full.</exception>
    public static async Task<FastCgiClient> ConnectAsync(EndPoint endpoint, bool keepConnection, CancellationToken cancel)
    {
        var socket = endpoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint, cancel).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new FastCgiConnectException(endpoint, e.SocketErrorCode, e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new FastCgiClient(socket, endpoint, keepConnection);
    }

    /// <summary>
    /// Sends one request and reads its response to END_REQUEST.
    /// </summary>
    /// <exception cref="FastCgiConnectionLostException">The connection closed or was reset before END_REQUEST.</exception>
    public async Task<FastCgiResponse> SendAsync(IReadOnlyList<KeyValuePair<string, string>> parameters,
        ReadOnlyMemory<byte> stdin, CancellationToken cancel)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        ushort id = _nextRequestId;
        _nextRequestId = (ushort)(id == ushort.MaxValue ? 1 : id + 1);

        _out.ResetWrittenCount();
        FastCgiProtocol.WriteRequest(_out, id, parameters, stdin.Span, _keepConnection);

        try
        {
            await SendAllAsync(_out.WrittenMemory, cancel).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            _closed = true;
            throw new FastCgiConnectionLostException($"sending to {FastCgiConnectException.Describe(EndPoint)} failed: {e.SocketErrorCode}", e);
        }

        var stdout = new ArrayBufferWriter<byte>(1024);
        StringBuilder? stderr = null;
        while (true)
        {
            while (_reader.TryRead(out var header, out var content))
            {
                if (header.RequestId != id) continue; // a stale or management record
                switch (header.Type)
                {
                    case RecordType.Stdout:
                        stdout.Write(content.Span);
                        break;
                    case RecordType.Stderr:
                        (stderr ??= new StringBuilder()).Append(Encoding.UTF8.GetString(content.Span));
                        break;
                    case RecordType.EndRequest:
                        int appStatus = content.Length >= 4 ? System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(content.Span) : 0;
                        var protocolStatus = content.Length >= 5 ? (ProtocolStatus)content.Span[4] : ProtocolStatus.RequestComplete;
                        if (!_keepConnection) Close();
                        if (protocolStatus != ProtocolStatus.RequestComplete)
                            throw new FastCgiProtocolException($"the responder refused the request: {protocolStatus}");
                        return FastCgiResponse.FromCgi(stdout.WrittenSpan, stderr?.ToString() ?? "", appStatus);
                }
            }
            int n;
            try
            {
                n = await _socket.ReceiveAsync(_reader.GetWriteMemory(), SocketFlags.None, cancel).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                Close();
                throw new FastCgiConnectionLostException(
                    $"connection to {FastCgiConnectException.Describe(EndPoint)} lost before END_REQUEST: {e.SocketErrorCode}", e);
            }
            if (n == 0)
            {
                Close();
                throw new FastCgiConnectionLostException(
                    $"{FastCgiConnectException.Describe(EndPoint)} closed the connection before END_REQUEST");
            }
            _reader.Advance(n);
        }
    }

    private async Task SendAllAsync(ReadOnlyMemory<byte> data, CancellationToken cancel)
    {
        while (!data.IsEmpty)
        {
            int n = await _socket.SendAsync(data, SocketFlags.None, cancel).ConfigureAwait(false);
            data = data[n..];
        }
    }

    private void Close()
    {
        if (_closed) return;
        _closed = true;
        _socket.Dispose();
    }

    public void Dispose() => Close();

    public ValueTask DisposeAsync()
    {
        Close();
        return ValueTask.CompletedTask;
    }
}
