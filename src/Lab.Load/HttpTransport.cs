using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Lab.Core.Records;
using Lab.Core.Requests;

namespace Lab.Load;

/// <summary>
/// HTTP/1.1 with keep-alive through a front (nginx): the lab's own minimal client, built the way
/// wrk is: one event-loop thread (epoll) drives every connection with non-blocking sockets, and
/// an answer completes its request's task right on that thread. (HttpClient, or Socket's async
/// methods, hop from the epoll thread to the thread pool for every answer; that halves the
/// request rate a client reaches against nginx on a small machine.)
/// <para>At most <c>connections</c> requests are on the wire at once, one per connection, like
/// wrk's -c; a request that finds every connection busy waits for one, in order (client-side
/// queueing, which the corrected latency shows). It sends "GET {path}?{query} HTTP/1.1" and reads
/// the status, the X-Lab-Pid header and the body (Content-Length, chunked, or up to the end of
/// the connection). Connections are opened lazily (non-blocking connect) and again when the
/// server closes them; a request whose reused connection turns out closed by the server before
/// any byte of the answer is sent again once, on a fresh connection (the keep-alive race every
/// HTTP client handles). Nothing listening (or a full backlog) is 503; a connection lost mid-answer
/// is 502; cancellation (the client timeout) closes the connection and cancels the task.</para>
/// <para>The continuations of the returned tasks run on the loop thread (the load driver's
/// recording and the next request of a closed-model user): an observer must not block.</para>
/// </summary>
public sealed class HttpTransport : IRequestTransport
{
    private readonly EndPoint _server;
    private readonly bool _unix;
    private readonly string? _path;
    private readonly byte[] _sockaddr;
    private readonly byte[] _head;
    private readonly byte[] _tail;
    private readonly int _epoll;
    private readonly int _wakeFd;
    private readonly Thread _thread;
    private readonly ConcurrentQueue<Exchange> _inbox = new();
    private readonly ConcurrentQueue<Exchange> _cancels = new();
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _wakePending;
    private volatile bool _disposed;
    private long _opened;

    // owned by the loop thread
    private readonly Connection?[] _slots;
    private readonly Stack<Connection> _idle = new();
    private readonly Queue<Exchange> _waiting = new();
    private readonly int _loopThreadId;

    private const ulong WakeToken = ulong.MaxValue;

    /// <summary>Each request goes to its own URI (RequestSpec.Uri: its script and query).</summary>
    /// <param name="server">The front's address: 127.0.0.1:8080, or a Unix socket (a run's nginx front).</param>
    /// <param name="connections">Keep-alive connections, i.e. requests on the wire at once (≥ 1).</param>
    public HttpTransport(EndPoint server, int connections) : this(server, null, connections)
    {
    }

    /// <param name="server">The front's address: 127.0.0.1:8080, or a Unix socket (a run's nginx front).</param>
    /// <param name="path">One location for every request, e.g. "/leak.php"; the request's query string is appended after a '?'. Null: the request's own script.</param>
    /// <param name="connections">Keep-alive connections, i.e. requests on the wire at once (≥ 1).</param>
    public HttpTransport(EndPoint server, string? path, int connections)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(connections, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(connections, 0xFFFF);
        if (path is not null && !path.StartsWith('/')) throw new ArgumentException("the path must start with '/'", nameof(path));
        _server = server;
        _unix = server is UnixDomainSocketEndPoint;
        _path = path;
        var address = server.Serialize(); // the native sockaddr layout
        _sockaddr = new byte[address.Size];
        for (int i = 0; i < address.Size; i++) _sockaddr[i] = address[i];
        _head = Encoding.ASCII.GetBytes("GET ");
        _tail = Encoding.ASCII.GetBytes(" HTTP/1.1\r\nHost: " + (_unix ? "localhost" : server.ToString()) + "\r\nUser-Agent: leak-lab\r\n\r\n");
        _slots = new Connection?[connections];
        _epoll = Epoll.Create();
        _wakeFd = Epoll.CreateEventFd();
        Epoll.Add(_epoll, _wakeFd, Epoll.In, WakeToken);
        _thread = new Thread(Loop) { IsBackground = true, Name = "lab-http-loop" };
        _thread.Start();
        _loopThreadId = _thread.ManagedThreadId;
    }

    /// <summary>TCP connections opened so far (keep-alive at work: far fewer than requests).</summary>
    public long ConnectionsOpened => Interlocked.Read(ref _opened);

    public Task<TransportResult> SendAsync(RequestSpec request, CancellationToken cancel)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (cancel.IsCancellationRequested) return Task.FromCanceled<TransportResult>(cancel);
        var exchange = new Exchange(this, _path is null ? request.Uri : _path + "?" + request.Query, cancel);
        if (cancel.CanBeCanceled)
            exchange.Registration = cancel.UnsafeRegister(static state => ((Exchange)state!).Owner.PostCancel((Exchange)state), exchange);
        if (Environment.CurrentManagedThreadId == _loopThreadId) Start(exchange); // a continuation on the loop: no hop
        else
        {
            _inbox.Enqueue(exchange);
            Wake();
        }
        return exchange.Task;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        Wake();
        // called from a continuation on the loop itself: the loop ends once it returns
        if (Environment.CurrentManagedThreadId != _loopThreadId) await _stopped.Task.ConfigureAwait(false);
    }

    private void PostCancel(Exchange exchange)
    {
        _cancels.Enqueue(exchange);
        Wake();
    }

    private void Wake()
    {
        if (Interlocked.Exchange(ref _wakePending, 1) == 0) Epoll.Signal(_wakeFd);
    }

    // ---- the loop ----

    private void Loop()
    {
        var events = new byte[Epoll.EventSize * 64];
        try
        {
            while (!_disposed)
            {
                int n = Epoll.Wait(_epoll, events, -1);
                for (int i = 0; i < n && !_disposed; i++)
                {
                    var (flags, data) = Epoll.EventAt(events, i);
                    if (data == WakeToken)
                    {
                        Epoll.Drain(_wakeFd);
                        Volatile.Write(ref _wakePending, 0);
                        while (_inbox.TryDequeue(out var ex)) Start(ex);
                        while (_cancels.TryDequeue(out var ex)) Cancel(ex);
                    }
                    // a connection closed earlier in this batch may have left its slot to a new one: match the tag
                    else if (_slots[(int)(data & 0xFFFF)] is { } c && c.Tag == data) OnEvent(c, flags);
                }
            }
        }
        finally
        {
            Shutdown();
        }
    }

    private void Shutdown()
    {
        var gone = new ObjectDisposedException(nameof(HttpTransport));
        foreach (var c in _slots) if (c is not null) { var ex = c.Current; Close(c); if (ex is not null) Fail(ex, gone); }
        while (_waiting.TryDequeue(out var ex)) Fail(ex, gone);
        while (_inbox.TryDequeue(out var ex)) Fail(ex, gone);
        Epoll.Close(_wakeFd);
        Epoll.Close(_epoll);
        _stopped.TrySetResult();
    }

    /// <summary>Puts a request on an idle connection, a new one, or in the queue.</summary>
    private void Start(Exchange ex)
    {
        if (ex.Done) return; // cancelled before it got here
        if (_disposed) { Fail(ex, new ObjectDisposedException(nameof(HttpTransport))); return; }
        Connection? c = null;
        while (_idle.TryPop(out var idle)) if (!idle.Closed) { c = idle; break; }
        if (c is null)
        {
            int slot = Array.IndexOf(_slots, null);
            if (slot < 0) { _waiting.Enqueue(ex); return; }
            c = Open(slot, out string? error);
            if (c is null) { Finish(ex, new TransportResult(RequestStatus.Refused, 0, error)); return; }
        }
        c.Current = ex;
        ex.Conn = c;
        if (!c.Connecting) WriteRequest(c);
    }

    /// <summary>Starts the requests waiting for a connection while there are free ones.</summary>
    private void Pump()
    {
        while (_waiting.Count > 0 && (_idle.Count > 0 || Array.IndexOf(_slots, null) >= 0))
            Start(_waiting.Dequeue());
    }

    private Connection? Open(int slot, out string? error)
    {
        error = null;
        var socket = _unix
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { Blocking = false }
            : new Socket(_server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, Blocking = false };
        int fd = (int)socket.SafeHandle.DangerousGetHandle();
        int result = Epoll.ConnectTo(fd, _sockaddr);
        // a Unix socket whose backlog is full refuses at once with EAGAIN (nginx's own upstreams: 502)
        if (result != 0 && result != Epoll.EINPROGRESS && (result != Epoll.EAGAIN || _unix))
        {
            socket.Dispose();
            error = $"connect() to {_server} failed: {Describe(result)}";
            return null;
        }
        long opened = Interlocked.Increment(ref _opened);
        var c = new Connection(socket, fd, slot, ((ulong)opened << 16) | (uint)slot) { Connecting = result != 0 };
        _slots[slot] = c;
        Epoll.Add(_epoll, fd, c.Connecting ? Epoll.Out : Epoll.In | Epoll.RdHup, c.Tag);
        return c;
    }

    private void OnEvent(Connection c, uint flags)
    {
        if (c.Connecting)
        {
            int error = Epoll.PendingError(c.Fd);
            var ex = c.Current;
            if (error != 0)
            {
                Close(c);
                if (ex is not null) Finish(ex, new TransportResult(RequestStatus.Refused, 0, $"connect() to {_server} failed: {Describe(error)}"));
                Pump();
                return;
            }
            c.Connecting = false;
            Epoll.Modify(_epoll, c.Fd, Epoll.In | Epoll.RdHup, c.Tag);
            if (ex is not null) WriteRequest(c);
            return;
        }
        if ((flags & Epoll.Out) != 0 && c.SendOffset < c.SendLength) Flush(c);
        if ((flags & (Epoll.In | Epoll.RdHup | Epoll.Hup | Epoll.Err)) != 0) Receive(c);
    }

    private void WriteRequest(Connection c)
    {
        var ex = c.Current!;
        int length = _head.Length + ex.Target.Length + _tail.Length;
        if (c.Send.Length < length) c.Send = new byte[Math.Max(length, c.Send.Length * 2)];
        _head.CopyTo(c.Send, 0);
        int q = Encoding.ASCII.GetBytes(ex.Target, 0, ex.Target.Length, c.Send, _head.Length);
        _tail.CopyTo(c.Send, _head.Length + q);
        c.SendOffset = 0;
        c.SendLength = length;
        c.Received = 0;
        Flush(c);
    }

    private void Flush(Connection c)
    {
        while (c.SendOffset < c.SendLength)
        {
            int n = Epoll.SendSome(c.Fd, c.Send.AsSpan(c.SendOffset, c.SendLength - c.SendOffset));
            if (n == -Epoll.EINTR) continue;
            if (n == -Epoll.EAGAIN)
            {
                if (!c.WantsOut) { c.WantsOut = true; Epoll.Modify(_epoll, c.Fd, Epoll.In | Epoll.Out | Epoll.RdHup, c.Tag); }
                return;
            }
            if (n < 0) { Lost(c, $"sending the request failed: {Describe(-n)}"); return; }
            c.SendOffset += n;
        }
        if (c.WantsOut) { c.WantsOut = false; Epoll.Modify(_epoll, c.Fd, Epoll.In | Epoll.RdHup, c.Tag); }
    }

    private void Receive(Connection c)
    {
        while (true)
        {
            if (c.Received == c.Buffer.Length) Array.Resize(ref c.Buffer, c.Buffer.Length * 2);
            int n = Epoll.ReceiveSome(c.Fd, c.Buffer.AsSpan(c.Received));
            if (n == -Epoll.EINTR) continue;
            if (n == -Epoll.EAGAIN) return;
            if (n < 0) { Lost(c, $"the connection was lost before the whole answer: {Describe(-n)}"); return; }
            if (c.Current is null) { Close(c); Pump(); return; } // the server closed an idle keep-alive connection (or chattered)
            bool eof = n == 0;
            c.Received += n;
            var outcome = HttpResponseParser.TryParse(c.Buffer.AsSpan(0, c.Received), eof, out var head, out int consumed);
            if (outcome == ParseOutcome.NeedMore)
            {
                if (eof) { Lost(c, "the server closed the connection before the whole answer"); return; }
                continue;
            }
            var ex = c.Current;
            if (outcome == ParseOutcome.Malformed) { Lost(c, "not an HTTP/1.x answer"); return; }
            bool reusable = !eof && head.KeepAlive && consumed == c.Received && outcome == ParseOutcome.Complete;
            c.Current = null;
            c.Received = 0;
            c.Served = true;
            if (reusable) _idle.Push(c); else Close(c);
            Pump();
            Finish(ex, new TransportResult(head.Status, head.Pid, null, head.RssKb));
            return;
        }
    }

    /// <summary>The connection failed under a request: once more on a fresh one if nothing came back on a reused connection, else 502.</summary>
    private void Lost(Connection c, string message)
    {
        var ex = c.Current;
        bool retry = ex is not null && c.Served && c.Received == 0 && !ex.Retried;
        Close(c);
        if (ex is not null)
        {
            ex.Conn = null;
            if (retry) { ex.Retried = true; Start(ex); }
            else Finish(ex, new TransportResult(RequestStatus.ChildDied, 0, message));
        }
        Pump();
    }

    private void Cancel(Exchange ex)
    {
        if (ex.Done) return;
        if (ex.Conn is { } c) Close(c); // mid-exchange: the connection's state is unknown now
        ex.Done = true;
        ex.Conn = null;
        ex.TrySetCanceled(ex.Token);
        Pump();
    }

    private void Close(Connection c)
    {
        if (c.Closed) return;
        c.Closed = true;
        c.Current = null;
        _slots[c.Slot] = null;
        Epoll.Remove(_epoll, c.Fd);
        c.Socket.Dispose();
    }

    private static void Finish(Exchange ex, TransportResult result)
    {
        if (ex.Done) return;
        ex.Done = true;
        ex.Conn = null;
        ex.Registration.Unregister();
        ex.TrySetResult(result); // runs the awaiting continuation here, on the loop
    }

    private static void Fail(Exchange ex, Exception error)
    {
        if (ex.Done) return;
        ex.Done = true;
        ex.Registration.Unregister();
        ex.TrySetException(error);
    }

    private static string Describe(int errno) => errno switch
    {
        111 => "ConnectionRefused",
        104 => "ConnectionReset",
        32 => "BrokenPipe",
        110 => "TimedOut",
        113 => "HostUnreachable",
        101 => "NetworkUnreachable",
        99 => "AddressNotAvailable",
        _ => $"errno {errno}",
    };

    /// <summary>One request: its task, completed by the loop.</summary>
    /// <param name="target">The request target: path and query ("/leak.php?id=1&amp;...").</param>
    private sealed class Exchange(HttpTransport owner, string target, CancellationToken token)
        : TaskCompletionSource<TransportResult>(TaskCreationOptions.None)
    {
        public readonly HttpTransport Owner = owner;
        public readonly string Target = target;
        public readonly CancellationToken Token = token;
        public CancellationTokenRegistration Registration;
        public Connection? Conn;
        public bool Retried;
        public bool Done;
    }

    /// <param name="tag">epoll's data for it: the slot in the low 16 bits, the connection's number above.</param>
    private sealed class Connection(Socket socket, int fd, int slot, ulong tag)
    {
        public readonly Socket Socket = socket;
        public readonly int Fd = fd;
        public readonly int Slot = slot;
        public readonly ulong Tag = tag;
        public bool Connecting, Closed, Served, WantsOut;
        public Exchange? Current;
        public byte[] Send = new byte[512];
        public int SendOffset, SendLength;
        public byte[] Buffer = new byte[4096];
        public int Received;
    }
}

internal enum ParseOutcome { NeedMore, Complete, CompleteAtEnd, Malformed }

/// <summary>Parses one answer from the bytes received so far (pure: the loop calls it again with more).</summary>
internal static class HttpResponseParser
{
    /// <param name="eof">The server closed the connection after these bytes.</param>
    /// <param name="consumed">Bytes of the answer (interim 1xx answers included).</param>
    public static ParseOutcome TryParse(ReadOnlySpan<byte> data, bool eof, out ResponseHead head, out int consumed)
    {
        head = default;
        consumed = 0;
        int pos = 0;
        while (true)
        {
            int headerEnd = data[pos..].IndexOf("\r\n\r\n"u8);
            if (headerEnd < 0) return ParseOutcome.NeedMore;
            if (!ResponseHead.TryParse(data.Slice(pos, headerEnd + 2), out head)) return ParseOutcome.Malformed;
            pos += headerEnd + 4;
            if (head.Status is >= 100 and < 200) continue; // 100 Continue and friends: the real answer follows
            break;
        }
        if (head.Status is 204 or 304) { consumed = pos; return ParseOutcome.Complete; }
        if (head.Chunked)
        {
            while (true)
            {
                int lineEnd = data[pos..].IndexOf("\r\n"u8);
                if (lineEnd < 0) return ParseOutcome.NeedMore;
                var line = data.Slice(pos, lineEnd);
                int semi = line.IndexOf((byte)';');
                if (semi >= 0) line = line[..semi];
                line = line.Trim(" \t"u8);
                if (line.IsEmpty || !long.TryParse(Encoding.ASCII.GetString(line), System.Globalization.NumberStyles.AllowHexSpecifier,
                        System.Globalization.CultureInfo.InvariantCulture, out long size) || size < 0)
                    return ParseOutcome.Malformed;
                pos += lineEnd + 2;
                if (size == 0)
                {
                    while (true) // trailers, then an empty line
                    {
                        int end = data[pos..].IndexOf("\r\n"u8);
                        if (end < 0) return ParseOutcome.NeedMore;
                        pos += end + 2;
                        if (end == 0) { consumed = pos; return ParseOutcome.Complete; }
                    }
                }
                if (data.Length - pos < size + 2) return ParseOutcome.NeedMore;
                pos += (int)size + 2;
            }
        }
        if (head.ContentLength >= 0)
        {
            if (data.Length - pos < head.ContentLength) return ParseOutcome.NeedMore;
            consumed = pos + (int)head.ContentLength;
            return ParseOutcome.Complete;
        }
        // no length: the body runs to the end of the connection
        if (!eof) return ParseOutcome.NeedMore;
        consumed = data.Length;
        return ParseOutcome.CompleteAtEnd;
    }
}

/// <summary>What the lab needs from a response's head.</summary>
internal readonly record struct ResponseHead(int Status, long ContentLength, bool Chunked, bool KeepAlive, int Pid, long RssKb = -1)
{
    /// <summary>Parses "HTTP/1.x SSS reason\r\n" and the header lines (each ending in \r\n).</summary>
    public static bool TryParse(ReadOnlySpan<byte> head, out ResponseHead result)
    {
        result = default;
        int eol = head.IndexOf("\r\n"u8);
        var statusLine = eol < 0 ? head : head[..eol];
        if (statusLine.Length < 12 || !statusLine.StartsWith("HTTP/1."u8)
            || !char.IsAsciiDigit((char)statusLine[9]) || !char.IsAsciiDigit((char)statusLine[10]) || !char.IsAsciiDigit((char)statusLine[11]))
            return false;
        bool http11 = statusLine[7] == (byte)'1';
        int status = (statusLine[9] - '0') * 100 + (statusLine[10] - '0') * 10 + (statusLine[11] - '0');
        long contentLength = -1;
        bool chunked = false, keepAlive = http11;
        int pid = 0;
        long rssKb = -1;
        var rest = eol < 0 ? default : head[(eol + 2)..];
        while (rest.Length > 0)
        {
            int end = rest.IndexOf("\r\n"u8);
            var line = end < 0 ? rest : rest[..end];
            rest = end < 0 ? default : rest[(end + 2)..];
            int colon = line.IndexOf((byte)':');
            if (colon <= 0) continue;
            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(" \t"u8);
            if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
            {
                if (System.Buffers.Text.Utf8Parser.TryParse(value, out long cl, out _)) contentLength = cl;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
                chunked = value.Length >= 7 && Ascii.EqualsIgnoreCase(value[^7..], "chunked"u8);
            else if (Ascii.EqualsIgnoreCase(name, "Connection"u8))
            {
                if (ContainsIgnoreCase(value, "close"u8)) keepAlive = false;
                else if (ContainsIgnoreCase(value, "keep-alive"u8)) keepAlive = true;
            }
            else if (Ascii.EqualsIgnoreCase(name, "X-Lab-Pid"u8))
                System.Buffers.Text.Utf8Parser.TryParse(value, out pid, out _);
            else if (Ascii.EqualsIgnoreCase(name, "X-Lab-Rss-Kb"u8) && System.Buffers.Text.Utf8Parser.TryParse(value, out long kb, out int used) && used == value.Length && kb >= 0)
                rssKb = kb;
        }
        result = new ResponseHead(status, contentLength, chunked, keepAlive, pid, rssKb);
        return true;
    }

    private static bool ContainsIgnoreCase(ReadOnlySpan<byte> value, ReadOnlySpan<byte> word)
    {
        for (int i = 0; i + word.Length <= value.Length; i++)
            if (Ascii.EqualsIgnoreCase(value.Slice(i, word.Length), word)) return true;
        return false;
    }
}
