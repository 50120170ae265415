using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Lab.Report.Tests;

/// <summary>
/// report.html in a real browser (Debian's chromium, headless), driven over the DevTools
/// protocol: every image decodes (natural width &gt; 0) and the page logs no error.
/// </summary>
public class BrowserTests
{
    [Fact]
    public async Task Report_html_shows_every_image_in_chromium_without_console_errors()
    {
        using var tmp = new TempDir();
        var run = TestRuns.Sim(tmp.Sub("mr5"), "article-max-requests", "max_requests=5");
        string html = RunReport.Generate(run, new ReportOptions());
        await using var browser = await Chromium.StartAsync();
        var page = await browser.OpenPageAsync();
        var load = await page.NavigateAsync(new Uri(html).AbsoluteUri);
        Assert.True(load, "the page did not finish loading");

        var widths = await page.EvaluateAsync("JSON.stringify(Array.from(document.images).map(i => i.complete ? i.naturalWidth : -1))");
        var list = JsonSerializer.Deserialize<int[]>(widths.GetValue<string>())!;
        Assert.Equal(4, list.Length); // rss-per-pid, pool-rss, recycles (its children were recycled), latency
        Assert.All(list, w => Assert.Equal(1200, w));
        var title = await page.EvaluateAsync("document.title");
        Assert.Equal("Article, experiment 3: pm.max_requests = 5", title.GetValue<string>());
        Assert.Empty(page.Errors);

        // A picture for a person to look at (the tests cannot judge readability).
        var shot = await page.ScreenshotAsync();
        string png = Path.Combine(Path.GetTempPath(), "leaklab-report-screenshot.png");
        await File.WriteAllBytesAsync(png, shot);
        Assert.True(shot.Length > 10_000);

        // The compare page too.
        var other = TestRuns.Sim(tmp.Sub("mr0"), "article-max-requests", "max_requests=0");
        string compare = CompareReport.Generate([other, Lab.Results.RunFolder.Open(run.Directory)], tmp.Sub("cmp"), new ReportOptions());
        Assert.True(await page.NavigateAsync(new Uri(compare).AbsoluteUri));
        widths = await page.EvaluateAsync("JSON.stringify(Array.from(document.images).map(i => i.complete ? i.naturalWidth : -1))");
        Assert.All(JsonSerializer.Deserialize<int[]>(widths.GetValue<string>())!, w => Assert.Equal(1200, w));
        Assert.Empty(page.Errors);
        await File.WriteAllBytesAsync(Path.Combine(Path.GetTempPath(), "leaklab-compare-screenshot.png"), await page.ScreenshotAsync());
    }

    [Fact]
    public async Task A_compare_of_12_runs_shows_all_12_distinctly_without_scrolling_sideways()
    {
        using var tmp = new TempDir();
        var runs = Enumerable.Range(1, 12).Select(n => TestRuns.Sim(tmp.Sub("mr" + n), "article-max-requests", $"max_requests={n}")).ToList();
        string compare = CompareReport.Generate(runs, tmp.Sub("cmp"), new ReportOptions());

        // every run its own colour, in the plots' legends and in the tables' swatches
        var svg = Svg.Load(Path.Combine(tmp.Sub("cmp"), "pool-rss.svg"));
        var texts = Svg.Texts(svg);
        foreach (int n in Enumerable.Range(1, 12)) Assert.Contains($"max_requests={n}", texts);
        var colours = Lab.Report.Plotting.PlotKit.DistinctHex(12);
        Assert.Equal(12, colours.Distinct().Count());
        var strokes = Svg.StrokeColours(svg);
        Assert.All(colours, c => Assert.Contains(c, strokes));

        await using var browser = await Chromium.StartAsync();
        var page = await browser.OpenPageAsync();
        Assert.True(await page.NavigateAsync(new Uri(compare).AbsoluteUri));
        var widths = await page.EvaluateAsync("JSON.stringify(Array.from(document.images).map(i => i.complete ? i.naturalWidth : -1))");
        Assert.All(JsonSerializer.Deserialize<int[]>(widths.GetValue<string>())!, w => Assert.Equal(1200, w));
        var swatches = await page.EvaluateAsync("JSON.stringify([...new Set(Array.from(document.querySelectorAll('table')[0].querySelectorAll('.swatch')).map(s => getComputedStyle(s).backgroundColor))])");
        Assert.Equal(12, JsonSerializer.Deserialize<string[]>(swatches.GetValue<string>())!.Length);
        var scroll = await page.EvaluateAsync("JSON.stringify([document.documentElement.scrollWidth, window.innerWidth])");
        var sw = JsonSerializer.Deserialize<int[]>(scroll.GetValue<string>())!;
        Assert.True(sw[0] <= sw[1], $"the page scrolls sideways: {sw[0]} px wide in a {sw[1]} px window");
        Assert.Empty(page.Errors);
        var shot = await page.ScreenshotAsync();
        await File.WriteAllBytesAsync(Path.Combine(Path.GetTempPath(), "leaklab-compare12-screenshot.png"), shot);
        Assert.True(shot.Length > 10_000);
    }

    [Fact]
    public async Task The_browser_check_sees_a_broken_image_and_a_console_error()
    {
        // The check above must be able to fail: a page with a missing image and a script error.
        using var tmp = new TempDir();
        string bad = Path.Combine(tmp.Root, "bad.html");
        File.WriteAllText(bad, "<!DOCTYPE html><html><head><link rel=\"icon\" href=\"data:,\"></head><body>" +
                               "<img src=\"missing.png\"><img src=\"data:image/png;base64,AAAA\"><script>console.error('boom')</script></body></html>");
        await using var browser = await Chromium.StartAsync();
        var page = await browser.OpenPageAsync();
        Assert.True(await page.NavigateAsync(new Uri(bad).AbsoluteUri));
        var widths = await page.EvaluateAsync("JSON.stringify(Array.from(document.images).map(i => i.complete ? i.naturalWidth : -1))");
        Assert.Equal([0, 0], JsonSerializer.Deserialize<int[]>(widths.GetValue<string>())!);
        await Task.Delay(200); // events arrive after the load
        Assert.Contains(page.Errors, e => e.StartsWith("console:", StringComparison.Ordinal) && e.Contains("boom"));
        Assert.Contains(page.Errors, e => e.StartsWith("log:", StringComparison.Ordinal) && e.Contains("missing.png"));
    }
}

/// <summary>A headless chromium with its DevTools endpoint; killed (with its children) on dispose.</summary>
internal sealed class Chromium : IAsyncDisposable
{
    public const string Path = "/usr/bin/chromium";
    private readonly Process _process;
    private readonly string _profile;
    private readonly Uri _endpoint;
    private readonly List<DevToolsPage> _pages = new();

    private Chromium(Process process, string profile, Uri endpoint) { _process = process; _profile = profile; _endpoint = endpoint; }

    public static async Task<Chromium> StartAsync()
    {
        if (!File.Exists(Path)) Assert.Fail("install chromium (apt-get install -y chromium)");
        string profile = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "lab-report-chromium-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(profile);
        var psi = new ProcessStartInfo(Path)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--window-size=1280,900",
                     $"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank" })
            psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        // "DevTools listening on ws://127.0.0.1:PORT/devtools/browser/ID" on stderr.
        var found = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var stderr = new StringBuilder();
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stderr) stderr.AppendLine(e.Data);
            var m = Regex.Match(e.Data, @"DevTools listening on (ws://\S+)");
            if (m.Success) found.TrySetResult(new Uri(m.Groups[1].Value));
        };
        p.BeginErrorReadLine();
        var done = await Task.WhenAny(found.Task, Task.Delay(TimeSpan.FromSeconds(60)), p.WaitForExitAsync());
        if (done != found.Task)
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            string err; lock (stderr) err = stderr.ToString();
            Assert.Fail("chromium did not open its DevTools endpoint: " + err);
        }
        return new Chromium(p, profile, found.Task.Result);
    }

    /// <summary>A new tab, attached over its own WebSocket.</summary>
    public async Task<DevToolsPage> OpenPageAsync()
    {
        using var http = new HttpClient();
        var req = new HttpRequestMessage(HttpMethod.Put, new Uri($"http://{_endpoint.Authority}/json/new?about:blank"));
        var res = await http.SendAsync(req);
        res.EnsureSuccessStatusCode();
        var target = JsonNode.Parse(await res.Content.ReadAsStringAsync())!;
        var page = await DevToolsPage.ConnectAsync(new Uri(target["webSocketDebuggerUrl"]!.GetValue<string>()));
        _pages.Add(page);
        return page;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var p in _pages) await p.DisposeAsync();
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException) { }
        _process.Dispose();
        try { Directory.Delete(_profile, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>One tab over the DevTools protocol: commands with ids, events collected (errors of the page kept).</summary>
internal sealed class DevToolsPage : IAsyncDisposable
{
    private readonly ClientWebSocket _ws;
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<int, TaskCompletionSource<JsonNode>> _pending = new();
    private readonly List<string> _errors = new();
    private TaskCompletionSource<bool> _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _nextId;
    private Task _reader = Task.CompletedTask;

    private DevToolsPage(ClientWebSocket ws) => _ws = ws;

    /// <summary>console.error calls, uncaught exceptions, and the browser's own error log entries (a failed load, ...).</summary>
    public IReadOnlyList<string> Errors { get { lock (_errors) return _errors.ToList(); } }

    public static async Task<DevToolsPage> ConnectAsync(Uri ws)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(ws, CancellationToken.None);
        var page = new DevToolsPage(socket);
        page._reader = Task.Run(page.ReadLoop);
        await page.SendAsync("Page.enable");
        await page.SendAsync("Runtime.enable");
        await page.SendAsync("Log.enable");
        return page;
    }

    public async Task<bool> NavigateAsync(string url)
    {
        _loaded = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var r = await SendAsync("Page.navigate", new JsonObject { ["url"] = url });
        if (r["errorText"] is { } err) { lock (_errors) _errors.Add("navigate: " + err); return false; }
        var done = await Task.WhenAny(_loaded.Task, Task.Delay(TimeSpan.FromSeconds(30)));
        return done == _loaded.Task;
    }

    public async Task<JsonNode> EvaluateAsync(string expression)
    {
        var r = await SendAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true, ["awaitPromise"] = true });
        if (r["exceptionDetails"] is { } ex) throw new InvalidOperationException("evaluate failed: " + ex.ToJsonString());
        return r["result"]!["value"]!;
    }

    public async Task<byte[]> ScreenshotAsync()
    {
        var r = await SendAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png", ["captureBeyondViewport"] = true });
        return Convert.FromBase64String(r["data"]!.GetValue<string>());
    }

    public async Task<JsonNode> SendAsync(string method, JsonObject? parameters = null)
    {
        int id = Interlocked.Increment(ref _nextId);
        var tcs = new TaskCompletionSource<JsonNode>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_pending) _pending[id] = tcs;
        var msg = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };
        await _ws.SendAsync(Encoding.UTF8.GetBytes(msg.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);
        return await tcs.Task.WaitAsync(TimeSpan.FromSeconds(60));
    }

    private async Task ReadLoop()
    {
        var buffer = new byte[1 << 16];
        var message = new MemoryStream();
        try
        {
            while (!_stop.IsCancellationRequested && _ws.State == WebSocketState.Open)
            {
                var r = await _ws.ReceiveAsync(buffer, _stop.Token);
                if (r.MessageType == WebSocketMessageType.Close) break;
                message.Write(buffer, 0, r.Count);
                if (!r.EndOfMessage) continue;
                var node = JsonNode.Parse(message.ToArray())!;
                message.SetLength(0);
                Handle(node);
            }
        }
        catch (OperationCanceledException) { }
        catch (WebSocketException) { }
    }

    private void Handle(JsonNode node)
    {
        if (node["id"] is { } idNode)
        {
            TaskCompletionSource<JsonNode>? tcs;
            lock (_pending) _pending.Remove(idNode.GetValue<int>(), out tcs);
            if (node["error"] is { } error) tcs?.TrySetException(new InvalidOperationException(error.ToJsonString()));
            else tcs?.TrySetResult(node["result"] ?? new JsonObject());
            return;
        }
        string? method = node["method"]?.GetValue<string>();
        var p = node["params"];
        string? Str(JsonNode? n) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        if (method == "Page.loadEventFired") _loaded.TrySetResult(true);
        else if (method == "Runtime.consoleAPICalled" && Str(p?["type"]) is "error" or "assert")
            AddError("console: " + p?["args"]?.ToJsonString());
        else if (method == "Runtime.exceptionThrown")
            AddError("exception: " + p?["exceptionDetails"]?.ToJsonString());
        else if (method == "Log.entryAdded" && Str(p?["entry"]?["level"]) == "error")
            AddError("log: " + p?["entry"]?.ToJsonString());
    }

    private void AddError(string text)
    {
        lock (_errors) _errors.Add(text);
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try { await _reader.WaitAsync(TimeSpan.FromSeconds(5)); } catch (TimeoutException) { }
        _ws.Dispose();
    }
}
