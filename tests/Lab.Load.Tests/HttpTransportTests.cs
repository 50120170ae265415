using System.Net;
using System.Net.Sockets;
using System.Text;
using Lab.Core.Records;
using Lab.Core.Requests;
using Lab.Core.Scenarios;

namespace Lab.Load.Tests;

public class HttpTransportTests(NginxFixture nginx) : IClassFixture<NginxFixture>
{
    private static RequestSpec Spec(long id) => new(id, 64, 128, 1.5, 0);

    [Fact]
    public void NginxIsInstalled() => Assert.True(NginxFixture.FindNginx() is not null, NginxFixture.InstallHint);

    [Fact]
    public async Task KeepAliveAgainstNginx_ManyRequestsFewConnections()
    {
        await using var transport = new HttpTransport(nginx.Server, "/leak.php", connections: 4);
        var plan = new LoadPlan { Phases = [Run.Users(4, 60)], Iterations = 3000 };
        var run = await Run.Create(plan, transport).GoAsync();
        var records = run.Observer.ById();
        Assert.Equal(3000, records.Count);
        Assert.All(records, r => { Assert.Equal(200, r.Status); Assert.Equal(4242, r.Pid); });
        // nginx closes a keep-alive connection after keepalive_requests (1000) requests: a handful
        // of connections for 3000 requests, not one per request
        Assert.InRange(transport.ConnectionsOpened, 4, 20);
        Assert.Equal(3000, run.Driver.Corrected.TotalCount);
    }

    [Fact]
    public async Task ConnectionCloseIsHonoured()
    {
        await using var transport = new HttpTransport(nginx.Server, "/close", connections: 2);
        for (int i = 1; i <= 10; i++)
        {
            var r = await transport.SendAsync(Spec(i), CancellationToken.None);
            Assert.Equal(200, r.Status);
        }
        Assert.Equal(10, transport.ConnectionsOpened);
    }

    [Fact]
    public async Task TheServersStatusPassesThrough()
    {
        await using var transport = new HttpTransport(nginx.Server, "/unavailable", connections: 1);
        var r = await transport.SendAsync(Spec(1), CancellationToken.None);
        Assert.Equal(503, r.Status);
        Assert.Equal(0, r.Pid);
    }

    [Fact]
    public async Task AKeepAliveConnectionClosedWhileIdleIsReopened()
    {
        await using var transport = new HttpTransport(nginx.ShortKeepAlive, "/", connections: 1);
        Assert.Equal(200, (await transport.SendAsync(Spec(1), CancellationToken.None)).Status);
        await Task.Delay(600); // nginx's keepalive_timeout (200 ms) closes the idle connection
        Assert.Equal(200, (await transport.SendAsync(Spec(2), CancellationToken.None)).Status);
        Assert.Equal(2, transport.ConnectionsOpened);
    }

    [Fact]
    public async Task NothingListeningIsRefused503()
    {
        var port = NginxFixture.FreePort();
        await using var transport = new HttpTransport(new IPEndPoint(IPAddress.Loopback, port), "/", connections: 1);
        var r = await transport.SendAsync(Spec(1), CancellationToken.None);
        Assert.Equal(RequestStatus.Refused, r.Status);
        Assert.Contains("ConnectionRefused", r.Error);
    }

    [Fact]
    public async Task ChunkedAndCloseDelimitedBodiesAndAConnectionDroppedMidAnswer()
    {
        // a scripted server: each accepted connection gets one canned answer
        string[] answers =
        [
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Lab-Pid: 11\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n",
            "HTTP/1.0 500 Internal Server Error\r\nX-LAB-PID: 12\r\n\r\nAllowed memory size exhausted",
            "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part of the bo",
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\nx-lab-pid: 13\r\nConnection: close\r\n\r\nok",
        ];
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var serve = Task.Run(async () =>
        {
            foreach (var answer in answers)
            {
                using var client = await listener.AcceptSocketAsync();
                var buf = new byte[4096];
                int got = 0;
                while (!Encoding.ASCII.GetString(buf, 0, got).Contains("\r\n\r\n"))
                    got += await client.ReceiveAsync(buf.AsMemory(got), SocketFlags.None);
                Assert.StartsWith("GET /p?id=", Encoding.ASCII.GetString(buf, 0, got));
                await client.SendAsync(Encoding.ASCII.GetBytes(answer), SocketFlags.None);
                client.Shutdown(SocketShutdown.Both);
            }
        });
        await using var transport = new HttpTransport((IPEndPoint)listener.LocalEndpoint, "/p", connections: 1);
        var chunked = await transport.SendAsync(Spec(1), CancellationToken.None);
        Assert.Equal(new TransportResult(200, 11, null), chunked);
        var closeDelimited = await transport.SendAsync(Spec(2), CancellationToken.None);
        Assert.Equal(new TransportResult(500, 12, null), closeDelimited);
        var cut = await transport.SendAsync(Spec(3), CancellationToken.None);
        Assert.Equal(RequestStatus.ChildDied, cut.Status);
        Assert.NotNull(cut.Error);
        var afterContinue = await transport.SendAsync(Spec(4), CancellationToken.None);
        Assert.Equal(new TransportResult(200, 13, null), afterContinue);
        await serve;
        Assert.Equal(4, transport.ConnectionsOpened); // the first answer was kept alive, but the server closed it
    }

    [Fact]
    public async Task AHangingServerEndsAt504ThroughTheDriver()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start(); // accepts (backlog) but never answers
        await using var transport = new HttpTransport((IPEndPoint)listener.LocalEndpoint, "/", connections: 2);
        var plan = new LoadPlan { Phases = [Run.Inject(20, 0.2)], Timeout = TimeSpan.FromMilliseconds(150) };
        var run = await Run.Create(plan, transport).GoAsync();
        var records = run.Observer.ById();
        Assert.Equal(4, records.Count);
        Assert.All(records, r => Assert.Equal(RequestStatus.ClientTimeout, r.Status));
    }

    [Fact]
    public async Task MoreRequestsThanConnectionsQueueInOrder()
    {
        await using var transport = new HttpTransport(nginx.Server, "/", connections: 2);
        var plan = new LoadPlan { Phases = [Run.Inject(1000, 0.3)] };
        var run = await Run.Create(plan, transport).GoAsync();
        var records = run.Observer.ById();
        Assert.Equal(300, records.Count);
        Assert.All(records, r => Assert.Equal(200, r.Status));
        Assert.InRange(transport.ConnectionsOpened, 1, 2);
    }

    [Fact]
    public async Task ARequestWaitingForAConnectionCanBeCancelledAndDisposeFailsWhatIsLeft()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start(); // accepts (backlog) but never answers
        var transport = new HttpTransport((IPEndPoint)listener.LocalEndpoint, "/", connections: 1);
        var onTheWire = transport.SendAsync(Spec(1), CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var waiting = transport.SendAsync(Spec(2), cancel.Token);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.False(onTheWire.IsCompleted);
        await transport.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => onTheWire);
        Assert.Equal(RequestStatus.ChildDied, TransportErrors.StatusOf(new ObjectDisposedException("x")).Status);
        // a disposed transport refuses at once (synchronously, before any task exists)
        Assert.IsType<ObjectDisposedException>(Record.Exception(() => { _ = transport.SendAsync(Spec(3), CancellationToken.None); }));
    }
}
