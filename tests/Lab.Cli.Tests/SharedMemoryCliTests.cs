using System.Globalization;
using System.Text.Json;

namespace Lab.Cli.Tests;

/// <summary>
/// Issue 10 on the dotnet engine: request.code is a shared mapping the master makes before its
/// children; each worker touches it on its requests, so it is in every child's RSS, out of its
/// USS, and the pool's summed RSS overstates its summed PSS; the report says which total the host pays.
/// </summary>
[Collection("real processes")]
public class SharedMemoryCliTests : IDisposable
{
    private readonly LabSandbox _lab = new();
    public void Dispose() => _lab.Dispose();

    [Fact]
    public void Request_code_is_shared_by_the_children_counted_in_every_rss_and_once_in_pss()
    {
        string name = _lab.Scenario("shared", """
            engine = "dotnet"
            pss_interval = "250ms"
            [pool]
            pm = "static"
            max_children = 4
            [request]
            code = "6M"
            work = "2ms"
            [load]
            iterations = 40
            [[load.phases]]
            phase = "keep-constant"
            copies = 4
            think = "50ms"
            during = "60s"
            """, sampleInterval: "100ms");
        string dir = Path.Combine(_lab.Root, "shared-out");
        var r = _lab.Run(name, "--out", dir);
        Assert.True(r.ExitCode == 0, r.ToString());

        var ticks = PssTick.Of(dir);
        Assert.True(ticks.Count >= 4, $"{ticks.Count} ticks read smaps_rollup");
        // the last tick (the run's final one always reads them): all four children have run the code
        var last = ticks[^1];
        var children = last.Rows.Where(c => c[2] == "child").ToList();
        Assert.Equal(4, children.Count);
        Assert.All(children, c => Assert.True(PssTick.SharedKb(c) >= 6 * 1024, $"child {c[1]}: RSS {c[3]} − USS {c[9]} should hold the 6 MiB of code"));
        Assert.True(last.Ratio >= 2, $"summed RSS {last.RssKb} against summed PSS {last.PssKb}: ratio {last.Ratio:0.00}");
        Assert.True(last.UssKb < last.PssKb);

        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
        var s = summary.RootElement;
        Assert.Equal(last.PssKb, s.GetProperty("final_pool_pss_kb").GetInt64());
        Assert.Equal(Math.Round((double)last.RssKb / last.PssKb, 3), s.GetProperty("rss_pss_ratio").GetDouble(), 3);
        Assert.True(s.GetProperty("peak_pool_pss_kb").GetInt64() >= last.PssKb);
        Assert.True(s.GetProperty("peak_child_uss_kb").GetInt64() > 0);

        string html = File.ReadAllText(Path.Combine(dir, "report.html"));
        Assert.Contains("What the host pays", html);
        Assert.Contains("summed PSS", html);
        string scenario = File.ReadAllText(Path.Combine(dir, "scenario.toml"));
        Assert.Contains("code = \"6M\"", scenario);
        Assert.Contains("pss_interval = \"250ms\"", scenario);
    }
}
