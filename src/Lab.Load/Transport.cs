using System.Net.Sockets;
using Lab.Core.Records;
using Lab.Core.Requests;
using Lab.FastCgi;

namespace Lab.Load;

/// <summary>How one request ended, as the transport saw it.</summary>
/// <param name="Status">Per ARCHITECTURE.md: 200, 500 (memory_limit), 502 (child died), 503 (refused), 504 (timeout), or whatever status the server answered.</param>
/// <param name="Pid">The child that served it, from the X-Lab-Pid response header (0 if unknown).</param>
/// <param name="Error">What went wrong, for a failure the transport itself saw (null otherwise).</param>
/// <param name="RssKb">The serving child's RSS right after the request, from the X-Lab-Rss-Kb response header (-1 if unknown).</param>
public readonly record struct TransportResult(int Status, int Pid, string? Error, long RssKb = -1);

/// <summary>
/// The seam between the load driver and what it loads: FastCGI straight to the pool's socket,
/// or HTTP through a front (nginx). A transport is used from many threads at once. When cancel
/// fires (the client timeout) it must end promptly, by throwing OperationCanceledException.
/// It may throw for a failure; the driver maps the exception to a status (<see cref="TransportErrors"/>).
/// </summary>
public interface IRequestTransport : IAsyncDisposable
{
    Task<TransportResult> SendAsync(RequestSpec request, CancellationToken cancel);
}

/// <summary>
/// The statuses of transport failures: a connection that could not be made (nothing listening,
/// listen queue full) is refused, 503; a connection reset or closed before the answer means the
/// child died mid-request, 502.
/// </summary>
public static class TransportErrors
{
    /// <summary>The status an exception from a transport stands for, and whether the failure is a known one.</summary>
    public static (int Status, bool Known) StatusOf(Exception e) => e switch
    {
        FastCgiConnectException => (RequestStatus.Refused, true),
        SocketException s when IsRefusal(s.SocketErrorCode) => (RequestStatus.Refused, true),
        SocketException => (RequestStatus.ChildDied, true),
        FastCgiProtocolException p when p.Message.Contains(nameof(ProtocolStatus.Overloaded), StringComparison.Ordinal)
            => (RequestStatus.Refused, true), // FCGI_OVERLOADED: the responder turned the request away
        FastCgiConnectionLostException or FastCgiProtocolException => (RequestStatus.ChildDied, true),
        IOException { InnerException: SocketException s } when IsRefusal(s.SocketErrorCode) => (RequestStatus.Refused, true),
        IOException or ObjectDisposedException => (RequestStatus.ChildDied, true),
        // A failure nobody foresaw still ends the request (it is recorded, never lost) and is
        // counted apart in LoadStats.UnexpectedErrors with its message.
        _ => (RequestStatus.ChildDied, false),
    };

    /// <summary>connect() failures that mean "not accepted": nothing listening, or the backlog is full.</summary>
    public static bool IsRefusal(SocketError error) => error is SocketError.ConnectionRefused or SocketError.WouldBlock
        or SocketError.TryAgain or SocketError.NoBufferSpaceAvailable or SocketError.AddressNotAvailable
        or SocketError.HostUnreachable or SocketError.NetworkUnreachable;
}
