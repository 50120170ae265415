using System.Globalization;
using System.Text;

namespace Lab.FastCgi;

/// <summary>A responder's answer: the CGI status and headers parsed from STDOUT, the body, STDERR and END_REQUEST's appStatus.</summary>
/// <param name="Status">From the CGI "Status:" header; 200 if absent.</param>
public sealed record FastCgiResponse(int Status, IReadOnlyDictionary<string, string> Headers,
    byte[] Body, string Stderr, int AppStatus)
{
    public string BodyText => Encoding.UTF8.GetString(Body);

    /// <summary>A header's value (case-insensitive), or null.</summary>
    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;

    /// <summary>Splits a CGI response (headers, blank line, body) as a web server does.</summary>
    public static FastCgiResponse FromCgi(ReadOnlySpan<byte> stdout, string stderr, int appStatus)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        int bodyStart = FindBody(stdout, out int headerEnd);
        if (bodyStart < 0) { headerEnd = 0; bodyStart = 0; } // no header block: all body
        var text = Encoding.Latin1.GetString(stdout[..headerEnd]);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            int colon = line.IndexOf(':');
            if (colon <= 0) continue;
            string name = line[..colon].Trim(), value = line[(colon + 1)..].Trim();
            headers[name] = headers.TryGetValue(name, out var prev) ? prev + ", " + value : value;
        }
        int status = 200;
        if (headers.TryGetValue("Status", out var st))
        {
            var digits = st.AsSpan();
            int sp = digits.IndexOf(' ');
            if (sp > 0) digits = digits[..sp];
            if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out status)) status = 200;
        }
        return new FastCgiResponse(status, headers, stdout[bodyStart..].ToArray(), stderr, appStatus);
    }

    /// <summary>Index where the body starts (after "\r\n\r\n" or "\n\n"), or -1; headerEnd = end of the header lines.</summary>
    private static int FindBody(ReadOnlySpan<byte> data, out int headerEnd)
    {
        for (int i = 0; i < data.Length; i++)
        {
            if (data[i] != (byte)'\n') continue;
            if (i + 1 < data.Length && data[i + 1] == (byte)'\n') { headerEnd = i; return i + 2; }
            if (i + 2 < data.Length && data[i + 1] == (byte)'\r' && data[i + 2] == (byte)'\n') { headerEnd = i; return i + 3; }
        }
        headerEnd = 0;
        return -1;
    }
}
