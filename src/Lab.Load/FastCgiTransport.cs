using System.Globalization;
using System.Net;
using Lab.Core.Records;
using Lab.Core.Requests;
using Lab.FastCgi;

namespace Lab.Load;

/// <summary>
/// FastCGI straight to the pool's socket, one connection per request, as nginx talks to php-fpm
/// by default. The request is "GET {script}?{query}" with nginx's fastcgi_params: the request's own
/// script under the document root (or one fixed script for every request). A connect
/// that is refused (nothing listening, listen queue full) is 503; a connection lost before
/// END_REQUEST (the child died) is 502; FCGI_OVERLOADED is 503; otherwise the CGI Status header
/// (200 when absent; PHP's memory_limit fatal error sends 500).
/// </summary>
public sealed class FastCgiTransport : IRequestTransport
{
    private readonly EndPoint _pool;
    private readonly string? _documentRoot;
    private readonly string? _scriptFilename;
    private readonly string? _scriptName;

    /// <summary>Each request asks for its own script (RequestSpec.Script) under the document root.</summary>
    /// <param name="pool">The pool's listen address: a UnixDomainSocketEndPoint or an IPEndPoint.</param>
    /// <param name="documentRoot">The scripts' folder on the pool's side, e.g. /tmp/leaklab-x/php.</param>
    public FastCgiTransport(EndPoint pool, string documentRoot)
    {
        _pool = pool;
        _documentRoot = documentRoot.TrimEnd('/');
    }

    /// <summary>Every request asks for one script, with its own query string.</summary>
    /// <param name="scriptFilename">SCRIPT_FILENAME on the pool's side, e.g. /work/main/lab/php/leak.php.</param>
    /// <param name="scriptName">SCRIPT_NAME, the URI's path, e.g. /leak.php.</param>
    public FastCgiTransport(EndPoint pool, string scriptFilename, string scriptName)
    {
        _pool = pool;
        _scriptFilename = scriptFilename;
        _scriptName = scriptName;
    }

    public async Task<TransportResult> SendAsync(RequestSpec request, CancellationToken cancel)
    {
        var parameters = _documentRoot is not null
            ? FastCgiRequests.Get(_documentRoot + (request.Script.StartsWith('/') ? "" : "/") + request.Script, request.Uri)
            : FastCgiRequests.Get(_scriptFilename!, _scriptName + "?" + request.Query);
        FastCgiClient client;
        try
        {
            client = await FastCgiClient.ConnectAsync(_pool, cancel).ConfigureAwait(false);
        }
        catch (FastCgiConnectException e)
        {
            return new TransportResult(RequestStatus.Refused, 0, e.Message);
        }
        await using (client.ConfigureAwait(false))
        {
            try
            {
                var response = await client.SendAsync(parameters, ReadOnlyMemory<byte>.Empty, cancel).ConfigureAwait(false);
                int pid = int.TryParse(response.Header(LabHeaders.Pid), NumberStyles.None, CultureInfo.InvariantCulture, out int p) ? p : 0;
                long rss = long.TryParse(response.Header(LabHeaders.RssKb), NumberStyles.None, CultureInfo.InvariantCulture, out long kb) ? kb : -1;
                string? error = response.Status >= 400 ? FirstLine(response.Stderr) ?? FirstLine(response.BodyText) : null;
                return new TransportResult(response.Status, pid, error, rss);
            }
            catch (FastCgiConnectionLostException e)
            {
                return new TransportResult(RequestStatus.ChildDied, 0, e.Message);
            }
            catch (FastCgiProtocolException e)
            {
                return new TransportResult(TransportErrors.StatusOf(e).Status, 0, e.Message);
            }
        }
    }

    private static string? FirstLine(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        text = text.TrimStart();
        int nl = text.IndexOf('\n');
        return (nl < 0 ? text : text[..nl]).TrimEnd('\r');
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
