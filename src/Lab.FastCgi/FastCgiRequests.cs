namespace Lab.FastCgi;

/// <summary>The parameters a web server sends for a request (nginx's fastcgi_params + SCRIPT_FILENAME).</summary>
public static class FastCgiRequests
{
    /// <summary>
    /// The params nginx's fastcgi_params (plus SCRIPT_FILENAME) would send for "GET uri".
    /// </summary>
    /// <param name="scriptFilename">The script's path on the pool's side, e.g. /lab/php/leak.php.</param>
    /// <param name="uri">The request URI, with its query string, e.g. /leak.php?id=1&amp;leak_kb=64.</param>
    public static IReadOnlyList<KeyValuePair<string, string>> Get(string scriptFilename, string uri)
    {
        int q = uri.IndexOf('?');
        string path = q < 0 ? uri : uri[..q];
        string query = q < 0 ? "" : uri[(q + 1)..];
        string documentRoot = scriptFilename.EndsWith(path, StringComparison.Ordinal) && path.Length > 0
            ? scriptFilename[..^path.Length]
            : Path.GetDirectoryName(scriptFilename) ?? "/";
        if (documentRoot.Length == 0) documentRoot = "/";
        return
        [
            new("SCRIPT_FILENAME", scriptFilename),
            new("QUERY_STRING", query),
            new("REQUEST_METHOD", "GET"),
            new("CONTENT_TYPE", ""),
            new("CONTENT_LENGTH", ""),
            new("SCRIPT_NAME", path),
            new("REQUEST_URI", uri),
            new("DOCUMENT_URI", path),
            new("DOCUMENT_ROOT", documentRoot),
            new("SERVER_PROTOCOL", "HTTP/1.1"),
            new("REQUEST_SCHEME", "http"),
            new("GATEWAY_INTERFACE", "CGI/1.1"),
            new("SERVER_SOFTWARE", "leak-lab"),
            new("REMOTE_ADDR", "127.0.0.1"),
            new("REMOTE_PORT", "0"),
            new("SERVER_ADDR", "127.0.0.1"),
            new("SERVER_PORT", "80"),
            new("SERVER_NAME", "localhost"),
            new("REDIRECT_STATUS", "200"),
            new("HTTP_HOST", "localhost"),
        ];
    }
}
