using System.Globalization;
using System.Text;
using Lab.Core.Scenarios;

namespace Lab.Core.Status;

/// <summary>
/// php-fpm's status page (php-src sapi/fpm/fpm/fpm_status.c: fpm_status_handle_request), byte for
/// byte in its layouts, rendered from a scoreboard snapshot by the dotnet engine's children and
/// counted by the simulator (<see cref="Counters"/>):
/// plain text (default), <c>?full</c>, <c>?json</c>, <c>?json&amp;full</c>, <c>?openmetrics</c>,
/// and also <c>?html</c> and <c>?xml</c>. The figures come from a scoreboard snapshot.
/// </summary>
public static class StatusPage
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public enum Format { Text, Json, OpenMetrics, Html, Xml }

    /// <summary>The format and "full" flag a query string asks for, with php-fpm's precedence (html, xml, json, openmetrics, text).</summary>
    public static (Format Format, bool Full) Parse(string queryString)
    {
        bool Has(string key)
        {
            foreach (var part in queryString.Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                int eq = part.IndexOf('=');
                if ((eq < 0 ? part : part[..eq]) == key) return true;
            }
            return false;
        }
        bool full = Has("full");
        if (Has("html")) return (Format.Html, full);
        if (Has("xml")) return (Format.Xml, full);
        if (Has("json")) return (Format.Json, full);
        if (Has("openmetrics")) return (Format.OpenMetrics, full);
        return (Format.Text, full);
    }

    public static string ContentType(Format f) => f switch
    {
        Format.Json => "application/json",
        Format.OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        Format.Html => "text/html",
        Format.Xml => "text/xml",
        _ => "text/plain",
    };

    /// <summary>php-fpm's PM2STR.</summary>
    public static string PmName(ProcessManagerStyle pm) => pm switch
    {
        ProcessManagerStyle.Static => "static",
        ProcessManagerStyle.Ondemand => "ondemand",
        _ => "dynamic",
    };

    /// <summary>
    /// The page's numeric fields with php-fpm's names (what a scrape of ?json reads), at epoch
    /// second <paramref name="nowEpoch"/>: "max active processes" never below the active ones.
    /// </summary>
    public static Dictionary<string, long> Counters(ScoreboardSnapshot sb, long nowEpoch) => new()
    {
        ["start time"] = sb.StartEpoch,
        ["start since"] = nowEpoch - sb.StartEpoch,
        ["accepted conn"] = sb.AcceptedConn,
        ["listen queue"] = sb.ListenQueue,
        ["max listen queue"] = sb.MaxListenQueue,
        ["listen queue len"] = sb.ListenQueueLen,
        ["idle processes"] = sb.IdleProcesses,
        ["active processes"] = sb.ActiveProcesses,
        ["total processes"] = sb.IdleProcesses + sb.ActiveProcesses,
        ["max active processes"] = Math.Max(sb.MaxActiveProcesses, sb.ActiveProcesses),
        ["max children reached"] = sb.MaxChildrenReached,
        ["slow requests"] = sb.SlowRequests,
    };

    /// <summary>Renders the page. nowNs: CLOCK_MONOTONIC ns (request durations); now: wall clock (start since).</summary>
    public static string Render(ScoreboardSnapshot sb, Format format, bool full, DateTimeOffset now, long nowNs)
    {
        long nowEpoch = now.ToUnixTimeSeconds();
        var o = new StringBuilder(1024);
        int idle = sb.IdleProcesses, active = sb.ActiveProcesses;
        int maxActive = Math.Max(sb.MaxActiveProcesses, active);
        string pm = PmName(sb.Pm);
        long since = nowEpoch - sb.StartEpoch;
        string S(long v) => v.ToString(Inv);

        switch (format)
        {
            case Format.Json:
                o.Append("{\"pool\":\"").Append(JsonRaw(sb.Pool)).Append("\",\"process manager\":\"").Append(pm)
                 .Append("\",\"start time\":").Append(S(sb.StartEpoch)).Append(",\"start since\":").Append(S(since))
                 .Append(",\"accepted conn\":").Append(S(sb.AcceptedConn)).Append(",\"listen queue\":").Append(S(sb.ListenQueue))
                 .Append(",\"max listen queue\":").Append(S(sb.MaxListenQueue)).Append(",\"listen queue len\":").Append(S(sb.ListenQueueLen))
                 .Append(",\"idle processes\":").Append(S(idle)).Append(",\"active processes\":").Append(S(active))
                 .Append(",\"total processes\":").Append(S(idle + active)).Append(",\"max active processes\":").Append(S(maxActive))
                 .Append(",\"max children reached\":").Append(S(sb.MaxChildrenReached)).Append(",\"slow requests\":").Append(S(sb.SlowRequests));
                if (!full) { o.Append('}'); break; }
                o.Append(", \"processes\":[");
                bool first = true;
                foreach (var p in sb.Processes)
                {
                    if (!first) o.Append(',');
                    first = false;
                    o.Append("{\"pid\":").Append(S(p.Pid)).Append(",\"state\":\"").Append(SlotSnapshot.StageName(p.Stage))
                     .Append("\",\"start time\":").Append(S(p.StartEpoch)).Append(",\"start since\":").Append(S(nowEpoch - p.StartEpoch))
                     .Append(",\"requests\":").Append(S(p.Requests)).Append(",\"request duration\":").Append(S(Duration(p, nowNs)))
                     .Append(",\"request method\":\"").Append(JsonRaw(Dash(p.Method))).Append("\",\"request uri\":\"")
                     .Append(JsonRaw(Dash(p.Uri))).Append(p.Query.Length > 0 ? "?" + JsonQuery(p.Query) : "")
                     .Append("\",\"content length\":").Append(S(p.ContentLength)).Append(",\"user\":\"").Append(JsonRaw(Dash(p.User)))
                     .Append("\",\"script\":\"").Append(JsonRaw(Dash(p.Script))).Append("\",\"last request cpu\":").Append(Cpu(p))
                     .Append(",\"last request memory\":").Append(S(Memory(p))).Append('}');
                }
                o.Append("]}");
                break;

            case Format.OpenMetrics:
                // "full" adds nothing in this format (php-fpm sets full_syntax to "").
                o.Append("# HELP phpfpm_up Could pool ").Append(sb.Pool).Append(" using a ").Append(pm).Append(" PM on PHP-FPM be reached?\n")
                 .Append("# TYPE phpfpm_up gauge\nphpfpm_up 1\n")
                 .Append("# HELP phpfpm_start_since The number of seconds since FPM has started.\n# TYPE phpfpm_start_since counter\nphpfpm_start_since ").Append(S(since)).Append('\n')
                 .Append("# HELP phpfpm_accepted_connections The number of requests accepted by the pool.\n# TYPE phpfpm_accepted_connections counter\nphpfpm_accepted_connections ").Append(S(sb.AcceptedConn)).Append('\n')
                 .Append("# HELP phpfpm_listen_queue The number of requests in the queue of pending connections.\n# TYPE phpfpm_listen_queue gauge\nphpfpm_listen_queue ").Append(S(sb.ListenQueue)).Append('\n')
                 .Append("# HELP phpfpm_max_listen_queue The maximum number of requests in the queue of pending connections since FPM has started.\n# TYPE phpfpm_max_listen_queue counter\nphpfpm_max_listen_queue ").Append(S(sb.MaxListenQueue)).Append('\n')
                 .Append("# TYPE phpfpm_listen_queue_length gauge\n# HELP phpfpm_listen_queue_length The size of the socket queue of pending connections.\nphpfpm_listen_queue_length ").Append(S(sb.ListenQueueLen)).Append('\n')
                 .Append("# HELP phpfpm_idle_processes The number of idle processes.\n# TYPE phpfpm_idle_processes gauge\nphpfpm_idle_processes ").Append(S(idle)).Append('\n')
                 .Append("# HELP phpfpm_active_processes The number of active processes.\n# TYPE phpfpm_active_processes gauge\nphpfpm_active_processes ").Append(S(active)).Append('\n')
                 .Append("# HELP phpfpm_total_processes The number of idle + active processes.\n# TYPE phpfpm_total_processes gauge\nphpfpm_total_processes ").Append(S(idle + active)).Append('\n')
                 .Append("# HELP phpfpm_max_active_processes The maximum number of active processes since FPM has started.\n# TYPE phpfpm_max_active_processes counter\nphpfpm_max_active_processes ").Append(S(maxActive)).Append('\n')
                 .Append("# HELP phpfpm_max_children_reached The number of times, the process limit has been reached, when pm tries to start more children (works only for pm 'dynamic' and 'ondemand').\n# TYPE phpfpm_max_children_reached counter\nphpfpm_max_children_reached ").Append(S(sb.MaxChildrenReached)).Append('\n')
                 .Append("# HELP phpfpm_slow_requests The number of requests that exceeded your 'request_slowlog_timeout' value.\n# TYPE phpfpm_slow_requests counter\nphpfpm_slow_requests ").Append(S(sb.SlowRequests)).Append('\n')
                 .Append("# EOF\n");
                break;

            case Format.Xml:
                o.Append("<?xml version=\"1.0\" ?>\n<status>\n<pool>").Append(sb.Pool).Append("</pool>\n<process-manager>").Append(pm)
                 .Append("</process-manager>\n<start-time>").Append(S(sb.StartEpoch)).Append("</start-time>\n<start-since>").Append(S(since))
                 .Append("</start-since>\n<accepted-conn>").Append(S(sb.AcceptedConn)).Append("</accepted-conn>\n<listen-queue>").Append(S(sb.ListenQueue))
                 .Append("</listen-queue>\n<max-listen-queue>").Append(S(sb.MaxListenQueue)).Append("</max-listen-queue>\n<listen-queue-len>").Append(S(sb.ListenQueueLen))
                 .Append("</listen-queue-len>\n<idle-processes>").Append(S(idle)).Append("</idle-processes>\n<active-processes>").Append(S(active))
                 .Append("</active-processes>\n<total-processes>").Append(S(idle + active)).Append("</total-processes>\n<max-active-processes>").Append(S(maxActive))
                 .Append("</max-active-processes>\n<max-children-reached>").Append(S(sb.MaxChildrenReached)).Append("</max-children-reached>\n<slow-requests>")
                 .Append(S(sb.SlowRequests)).Append("</slow-requests>\n");
                if (!full) { o.Append("</status>"); break; }
                o.Append("<processes>\n");
                foreach (var p in sb.Processes)
                    o.Append("<process><pid>").Append(S(p.Pid)).Append("</pid><state>").Append(SlotSnapshot.StageName(p.Stage))
                     .Append("</state><start-time>").Append(S(p.StartEpoch)).Append("</start-time><start-since>").Append(S(nowEpoch - p.StartEpoch))
                     .Append("</start-since><requests>").Append(S(p.Requests)).Append("</requests><request-duration>").Append(S(Duration(p, nowNs)))
                     .Append("</request-duration><request-method>").Append(Dash(p.Method)).Append("</request-method><request-uri>").Append(Dash(p.Uri))
                     .Append(p.Query.Length > 0 ? "?" + Html(p.Query) : "").Append("</request-uri><content-length>").Append(S(p.ContentLength))
                     .Append("</content-length><user>").Append(Dash(p.User)).Append("</user><script>").Append(Dash(p.Script))
                     .Append("</script><last-request-cpu>").Append(Cpu(p)).Append("</last-request-cpu><last-request-memory>").Append(S(Memory(p)))
                     .Append("</last-request-memory></process>\n");
                o.Append("</processes>\n</status>");
                break;

            case Format.Html:
                o.Append("<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd\">\n")
                 .Append("<html xmlns=\"http://www.w3.org/1999/xhtml\" xml:lang=\"en\" lang=\"en\">\n<head><title>PHP-FPM Status Page</title></head>\n<body>\n<table>\n");
                void Row(string k, string v) => o.Append("<tr><th>").Append(k).Append("</th><td>").Append(v).Append("</td></tr>\n");
                Row("pool", sb.Pool); Row("process manager", pm); Row("start time", TextTime(sb.StartEpoch)); Row("start since", S(since));
                Row("accepted conn", S(sb.AcceptedConn)); Row("listen queue", S(sb.ListenQueue)); Row("max listen queue", S(sb.MaxListenQueue));
                Row("listen queue len", S(sb.ListenQueueLen)); Row("idle processes", S(idle)); Row("active processes", S(active));
                Row("total processes", S(idle + active)); Row("max active processes", S(maxActive));
                Row("max children reached", S(sb.MaxChildrenReached)); Row("slow requests", S(sb.SlowRequests));
                o.Append("</table>\n");
                if (!full) { o.Append("</body></html>"); break; }
                o.Append("<table border=\"1\">\n<tr><th>pid</th><th>state</th><th>start time</th><th>start since</th><th>requests</th><th>request duration</th><th>request method</th><th>request uri</th><th>content length</th><th>user</th><th>script</th><th>last request cpu</th><th>last request memory</th></tr>\n");
                foreach (var p in sb.Processes)
                    o.Append("<tr><td>").Append(S(p.Pid)).Append("</td><td>").Append(SlotSnapshot.StageName(p.Stage)).Append("</td><td>")
                     .Append(TextTime(p.StartEpoch)).Append("</td><td>").Append(S(nowEpoch - p.StartEpoch)).Append("</td><td>").Append(S(p.Requests))
                     .Append("</td><td>").Append(S(Duration(p, nowNs))).Append("</td><td>").Append(Dash(p.Method)).Append("</td><td>")
                     .Append(Dash(p.Uri)).Append(p.Query.Length > 0 ? "?" + Html(p.Query) : "").Append("</td><td>").Append(S(p.ContentLength))
                     .Append("</td><td>").Append(Dash(p.User)).Append("</td><td>").Append(Dash(p.Script)).Append("</td><td>").Append(Cpu(p))
                     .Append("</td><td>").Append(S(Memory(p))).Append("</td></tr>\n");
                o.Append("</table></body></html>");
                break;

            default:
                o.Append("pool:                 ").Append(sb.Pool).Append('\n')
                 .Append("process manager:      ").Append(pm).Append('\n')
                 .Append("start time:           ").Append(TextTime(sb.StartEpoch)).Append('\n')
                 .Append("start since:          ").Append(S(since)).Append('\n')
                 .Append("accepted conn:        ").Append(S(sb.AcceptedConn)).Append('\n')
                 .Append("listen queue:         ").Append(S(sb.ListenQueue)).Append('\n')
                 .Append("max listen queue:     ").Append(S(sb.MaxListenQueue)).Append('\n')
                 .Append("listen queue len:     ").Append(S(sb.ListenQueueLen)).Append('\n')
                 .Append("idle processes:       ").Append(S(idle)).Append('\n')
                 .Append("active processes:     ").Append(S(active)).Append('\n')
                 .Append("total processes:      ").Append(S(idle + active)).Append('\n')
                 .Append("max active processes: ").Append(S(maxActive)).Append('\n')
                 .Append("max children reached: ").Append(S(sb.MaxChildrenReached)).Append('\n')
                 .Append("slow requests:        ").Append(S(sb.SlowRequests)).Append('\n');
                if (!full) break;
                foreach (var p in sb.Processes)
                    o.Append("\n************************\n")
                     .Append("pid:                  ").Append(S(p.Pid)).Append('\n')
                     .Append("state:                ").Append(SlotSnapshot.StageName(p.Stage)).Append('\n')
                     .Append("start time:           ").Append(TextTime(p.StartEpoch)).Append('\n')
                     .Append("start since:          ").Append(S(nowEpoch - p.StartEpoch)).Append('\n')
                     .Append("requests:             ").Append(S(p.Requests)).Append('\n')
                     .Append("request duration:     ").Append(S(Duration(p, nowNs))).Append('\n')
                     .Append("request method:       ").Append(Dash(p.Method)).Append('\n')
                     .Append("request URI:          ").Append(Dash(p.Uri)).Append(p.Query.Length > 0 ? "?" + p.Query : "").Append('\n')
                     .Append("content length:       ").Append(S(p.ContentLength)).Append('\n')
                     .Append("user:                 ").Append(Dash(p.User)).Append('\n')
                     .Append("script:               ").Append(Dash(p.Script)).Append('\n')
                     .Append("last request cpu:     ").Append(Cpu(p)).Append('\n')
                     .Append("last request memory:  ").Append(S(Memory(p))).Append('\n');
                break;
        }
        return o.ToString();
    }

    /// <summary>Microseconds: the last request's duration when idle, else the running request's age.</summary>
    private static long Duration(in SlotSnapshot p, long nowNs) =>
        p.Stage == RequestStage.Idle ? p.DurationUs : p.AcceptedNs == 0 ? 0 : Math.Max(0, (nowNs - p.AcceptedNs) / 1000);

    private static string Cpu(in SlotSnapshot p) => (p.Stage == RequestStage.Idle ? p.LastCpu : 0.0).ToString("0.00", Inv);
    private static long Memory(in SlotSnapshot p) => p.Stage == RequestStage.Idle ? p.Memory : 0;
    private static string Dash(string s) => s.Length == 0 ? "-" : s;

    /// <summary>strftime "%d/%b/%Y:%H:%M:%S %z" in local time, as php-fpm's text and html formats.</summary>
    public static string TextTime(long epoch)
    {
        var local = DateTimeOffset.FromUnixTimeSeconds(epoch).ToLocalTime();
        var off = local.Offset;
        string sign = off < TimeSpan.Zero ? "-" : "+";
        off = off.Duration();
        return local.ToString("dd/MMM/yyyy:HH:mm:ss ", Inv) + sign + off.Hours.ToString("00", Inv) + off.Minutes.ToString("00", Inv);
    }

    /// <summary>What php-fpm prints raw inside JSON strings; escaped here only where JSON would break.</summary>
    private static string JsonRaw(string s)
    {
        if (s.AsSpan().IndexOfAny("\"\\") < 0 && !s.Any(char.IsControl)) return s;
        var b = new StringBuilder(s.Length + 8);
        foreach (char c in s)
        {
            if (c is '"' or '\\') b.Append('\\').Append(c);
            else if (char.IsControl(c)) b.Append("\\u").Append(((int)c).ToString("x4", Inv));
            else b.Append(c);
        }
        return b.ToString();
    }

    /// <summary>php_json_encode_string without its quotes: also escapes '/' as php's json_encode does.</summary>
    private static string JsonQuery(string s) => JsonRaw(s).Replace("/", "\\/");

    private static string Html(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;");
}
