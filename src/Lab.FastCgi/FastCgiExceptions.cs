using System.Net.Sockets;

namespace Lab.FastCgi;

/// <summary>
/// The connection to the pool could not be made: nothing listening (ECONNREFUSED, no socket file)
/// or the listen queue is full (EAGAIN on a Unix socket whose listen.backlog is reached). A load
/// driver counts it as refused (503).
/// </summary>
public sealed class FastCgiConnectException(System.Net.EndPoint endpoint, SocketError error, Exception inner)
    : IOException($"connect() to {Describe(endpoint)} failed ({error}): {inner.Message}", inner)
{
    public System.Net.EndPoint EndPoint { get; } = endpoint;
    public SocketError Error { get; } = error;
    /// <summary>The listen queue was full (EAGAIN), as opposed to nothing listening.</summary>
    public bool QueueFull => Error is SocketError.WouldBlock or SocketError.TryAgain or SocketError.NoBufferSpaceAvailable;

    internal static string Describe(System.Net.EndPoint ep) => ep is UnixDomainSocketEndPoint u ? "unix:" + u : ep.ToString() ?? "?";
}

/// <summary>
/// The responder closed or reset the connection before END_REQUEST: the child died mid-request
/// (killed, crashed, request_terminate_timeout). A load driver counts it as 502.
/// </summary>
public sealed class FastCgiConnectionLostException(string message, Exception? inner = null) : IOException(message, inner);
