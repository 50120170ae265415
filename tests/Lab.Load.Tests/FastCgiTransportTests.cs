using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using Lab.Core.Records;
using Lab.Core.Requests;
using Lab.Core.Scenarios;
using Lab.FastCgi;

namespace Lab.Load.Tests;

/// <summary>
/// FastCgiTransport against an in-process responder on a Unix socket (Lab.FastCgi's responder
/// side), one connection per request, as nginx → php-fpm.
/// </summary>
public sealed class FastCgiTransportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lab-fcgi-").FullName;
    private readonly ConcurrentQueue<FastCgiRequest> _received = new();
    private Socket? _listener;
    private Thread? _acceptor;

    private string SocketPath => Path.Combine(_dir, "pool.sock");
    private UnixDomainSocketEndPoint EndPoint => new(SocketPath);

    /// <summary>Serves every connection with answer(request); a null answer drops the connection mid-request.</summary>
    private void Serve(Func<FastCgiRequest, byte[]?> answer)
    {
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(EndPoint);
        _listener.Listen(64);
        _acceptor = new Thread(() =>
        {
            while (true)
            {
                Socket s;
                try { s = _listener.Accept(); } catch (SocketException) { return; } catch (ObjectDisposedException) { return; }
                using (s)
                using (var stream = new NetworkStream(s))
                {
                    var conn = new FastCgiConnection(stream);
                    var request = conn.ReadRequest();
                    if (request is null) continue;
                    _received.Enqueue(request);
                    var stdout = answer(request);
                    if (stdout is null) { s.Close(0); continue; } // the child died mid-request
                    conn.WriteResponse(request, stdout, default);
                }
            }
        }) { IsBackground = true };
        _acceptor.Start();
    }

    private static RequestSpec Spec(long id) => new(id, 64, 128, 1.5, 0);

    [Fact]
    public async Task ARequestCarriesTheUriAndTheAnswerItsStatusAndPid()
    {
        Serve(r => CgiResponse.Build(200, "OK", [new("X-Lab-Pid", "3141")], "done"u8));
        await using var transport = new FastCgiTransport(EndPoint, "/lab/php/leak.php", "/leak.php");
        var result = await transport.SendAsync(Spec(5), CancellationToken.None);
        Assert.Equal(new TransportResult(200, 3141, null), result);
        var request = Assert.Single(_received);
        Assert.Equal("/leak.php?" + Spec(5).Query, request.Param("REQUEST_URI"));
        Assert.Equal(Spec(5).Query, request.Param("QUERY_STRING"));
        Assert.Equal("/lab/php/leak.php", request.Param("SCRIPT_FILENAME"));
        Assert.Equal("/leak.php", request.Param("SCRIPT_NAME"));
        Assert.False(request.KeepConnection); // one connection per request
    }

    [Fact]
    public async Task MemoryLimitFatalIs500WithTheMessage()
    {
        Serve(r => CgiResponse.Build(500, "Internal Server Error", [new("X-Lab-Pid", "77")],
            Encoding.UTF8.GetBytes("PHP Fatal error:  Allowed memory size of 134217728 bytes exhausted (tried to allocate 4096 bytes)\n")));
        await using var transport = new FastCgiTransport(EndPoint, "/lab/php/leak.php", "/leak.php");
        var result = await transport.SendAsync(Spec(1), CancellationToken.None);
        Assert.Equal(500, result.Status);
        Assert.Equal(77, result.Pid);
        Assert.StartsWith("PHP Fatal error:  Allowed memory size", result.Error);
    }

    [Fact]
    public async Task AChildDyingMidRequestIs502AndNothingListeningIs503()
    {
        Serve(r => r.Param("QUERY_STRING").StartsWith("id=2&", StringComparison.Ordinal) ? null : CgiResponse.Build(200, "OK", [], default));
        await using var transport = new FastCgiTransport(EndPoint, "/s.php", "/s.php");
        Assert.Equal(200, (await transport.SendAsync(Spec(1), CancellationToken.None)).Status);
        var died = await transport.SendAsync(Spec(2), CancellationToken.None);
        Assert.Equal(RequestStatus.ChildDied, died.Status);
        Assert.NotNull(died.Error);

        await using var nowhere = new FastCgiTransport(new UnixDomainSocketEndPoint(Path.Combine(_dir, "missing.sock")), "/s.php", "/s.php");
        var refused = await nowhere.SendAsync(Spec(3), CancellationToken.None);
        Assert.Equal(RequestStatus.Refused, refused.Status);
    }

    [Fact]
    public async Task TheDriverOverFastCgi()
    {
        int served = 0;
        Serve(r => CgiResponse.Build(200, "OK", [new("X-Lab-Pid", (100 + Interlocked.Increment(ref served) % 2).ToString(System.Globalization.CultureInfo.InvariantCulture))], default));
        await using var transport = new FastCgiTransport(EndPoint, "/s.php", "/s.php");
        var plan = new LoadPlan { Phases = [Run.Inject(100, 0.3)] };
        var run = await Run.Create(plan, transport).GoAsync();
        var records = run.Observer.ById();
        Assert.Equal(30, records.Count);
        Assert.All(records, r => { Assert.Equal(200, r.Status); Assert.InRange(r.Pid, 100, 101); });
        // request i carries the stream's request i
        var ids = _received.Select(q => q.Param("QUERY_STRING")).ToHashSet();
        Assert.All(records, r => Assert.Contains(run.Stream.For(r.Id).Query, ids));
    }

    public void Dispose()
    {
        _listener?.Dispose();
        _acceptor?.Join(2000);
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
