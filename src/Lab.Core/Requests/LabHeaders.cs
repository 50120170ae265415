namespace Lab.Core.Requests;

/// <summary>
/// The response headers a lab request's answer carries, on every real engine (the dotnet worker
/// and lab/php/leak.php send them; the load driver reads them, over FastCGI and through nginx).
/// </summary>
public static class LabHeaders
{
    /// <summary>The PID of the child that served the request (as it sees itself).</summary>
    public const string Pid = "X-Lab-Pid";
    /// <summary>That child's RSS in KiB right after the request, from its own /proc/self/statm: requests.csv's rss_kb.</summary>
    public const string RssKb = "X-Lab-Rss-Kb";
}
