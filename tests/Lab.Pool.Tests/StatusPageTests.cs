using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Lab.Core.Scenarios;

namespace Lab.Pool.Tests;

public class StatusPageTests
{
    [Fact]
    public async Task All_formats_parse_and_count_what_the_test_did()
    {
        using var pool = new TestPool(new PoolSettings { Pm = ProcessManagerStyle.Static, MaxChildren = 2 });
        for (int i = 1; i <= 5; i++) Assert.Equal(200, (await pool.SendAsync(TestPool.Query(i))).Status);
        int sent = 5;

        // plain: "name: value" lines with php-fpm's alignment
        var plain = await pool.SendAsync("", "/status");
        sent++;
        Assert.Equal(200, plain.Status);
        Assert.Equal("text/plain", plain.Header("Content-Type"));
        var fields = ParsePlain(plain.BodyText);
        Assert.Equal("www", fields["pool"]);
        Assert.Equal("static", fields["process manager"]);
        Assert.Equal(sent.ToString(CultureInfo.InvariantCulture), fields["accepted conn"]); // the status request counts, as in php-fpm
        Assert.Equal("2", fields["total processes"]);
        Assert.Equal("1", fields["active processes"]);   // the one serving this page
        Assert.Equal("1", fields["idle processes"]);
        Assert.Equal("0", fields["listen queue"]);
        Assert.Equal("0", fields["max children reached"]);
        Assert.Matches(@"^\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}$", fields["start time"]);
        Assert.Matches(@"^pool:                 www\nprocess manager:      static\n", plain.BodyText);
        foreach (var key in new[] { "start since", "max listen queue", "listen queue len", "max active processes", "slow requests" })
            Assert.True(fields.ContainsKey(key), key);

        // ?full: one block per process
        var full = await pool.SendAsync("full", "/status");
        sent++;
        var blocks = full.BodyText.Split("\n************************\n");
        Assert.Equal(3, blocks.Length);
        long requestsOfProcesses = 0;
        foreach (var block in blocks.Skip(1))
        {
            var p = ParsePlain(block);
            foreach (var key in new[] { "pid", "state", "start time", "start since", "requests", "request duration", "request method",
                         "request URI", "content length", "user", "script", "last request cpu", "last request memory" })
                Assert.True(p.ContainsKey(key), key);
            requestsOfProcesses += long.Parse(p["requests"], CultureInfo.InvariantCulture);
            Assert.Contains(p["state"], new[] { "Idle", "Running" });
        }
        Assert.Equal(sent, requestsOfProcesses);

        // ?json
        var json = await pool.SendAsync("json", "/status");
        sent++;
        Assert.Equal("application/json", json.Header("Content-Type"));
        using (var doc = JsonDocument.Parse(json.Body))
        {
            var root = doc.RootElement;
            Assert.Equal("www", root.GetProperty("pool").GetString());
            Assert.Equal(sent, root.GetProperty("accepted conn").GetInt64());
            Assert.Equal(2, root.GetProperty("total processes").GetInt32());
            Assert.True(root.GetProperty("start time").GetInt64() > 1_600_000_000);
        }

        // ?json&full
        var jsonFull = await pool.SendAsync("json&full", "/status");
        sent++;
        using (var doc = JsonDocument.Parse(jsonFull.Body))
        {
            var procs = doc.RootElement.GetProperty("processes");
            Assert.Equal(2, procs.GetArrayLength());
            Assert.Equal(sent, procs.EnumerateArray().Sum(p => p.GetProperty("requests").GetInt64()));
            var running = procs.EnumerateArray().Single(p => p.GetProperty("state").GetString() == "Running");
            Assert.Equal("/status?json&full", running.GetProperty("request uri").GetString());
            Assert.Equal("GET", running.GetProperty("request method").GetString());
            Assert.Equal("/lab/php/status", running.GetProperty("script").GetString());
        }

        // ?openmetrics
        var om = await pool.SendAsync("openmetrics", "/status");
        sent++;
        Assert.StartsWith("application/openmetrics-text", om.Header("Content-Type"));
        Assert.EndsWith("# EOF\n", om.BodyText);
        var metrics = Regex.Matches(om.BodyText, @"^(phpfpm_\w+) (\d+)$", RegexOptions.Multiline)
            .ToDictionary(m => m.Groups[1].Value, m => long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
        Assert.Equal(1, metrics["phpfpm_up"]);
        Assert.Equal(sent, metrics["phpfpm_accepted_connections"]);
        Assert.Equal(2, metrics["phpfpm_total_processes"]);
        Assert.Contains("# HELP phpfpm_up Could pool www using a static PM on PHP-FPM be reached?", om.BodyText);
        Assert.Equal(12, metrics.Count);
    }

    private static Dictionary<string, string> ParsePlain(string text)
    {
        var d = new Dictionary<string, string>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int colon = line.IndexOf(": ", StringComparison.Ordinal);
            if (colon > 0) d[line[..colon]] = line[(colon + 1)..].Trim();
        }
        return d;
    }
}
