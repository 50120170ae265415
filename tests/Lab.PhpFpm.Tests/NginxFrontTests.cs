using static Lab.Testing.LabSandbox;

namespace Lab.PhpFpm.Tests;

/// <summary>front = "nginx" end to end: a real nginx in front of php-fpm, and of the lab's dotnet pool.</summary>
[Collection("real php-fpm")]
public class NginxFrontTests : IDisposable
{
    private readonly LabSandbox _lab = new();
    public void Dispose() => _lab.Dispose();

    private const string Body = """
        front = "nginx"
        [pool]
        pm = "static"
        max_children = 2
        max_requests = 5
        [request]
        leak = "1M"
        work = "2ms"
        wait = "20ms"
        [load]
        iterations = 40
        [[load.phases]]
        phase = "keep-constant"
        copies = 2
        during = "60s"
        """;

    private void RunsThroughNginx(string engine)
    {
        string dir = Path.Combine(_lab.Root, engine);
        var r = _lab.Run(_lab.Scenario("front-" + engine, $"engine = \"{engine}\"\n" + Body), "--out", dir);
        Assert.True(r.ExitCode == 0, r.ToString());
        var requests = Csv(dir, "requests.csv");
        Assert.Equal(40, requests.Count);
        Assert.All(requests, c => Assert.Equal("200", c[5]));
        // the child's RSS right after each request came back through nginx too (X-Lab-Rss-Kb)
        Assert.All(requests, c => Assert.True(c[9].Length > 0 && Num(c[9]) > 1000, $"request {c[0]}: rss_kb '{c[9]}'"));
        // every answer names a child /proc showed, none served more than max_requests
        var children = Csv(dir, "samples.csv").Where(c => c[2] == "child").Select(c => Int(c[1])).ToHashSet();
        var served = requests.GroupBy(c => Int(c[4])).ToDictionary(g => g.Key, g => g.Count());
        Assert.All(served.Keys, p => Assert.Contains(p, children));
        Assert.All(served.Values, n => Assert.InRange(n, 1, 5));
        Assert.True(served.Count >= 8, $"{served.Count} children served 40 requests with max_requests = 5");
        var exits = Csv(dir, "events.csv").Where(c => c[1] == "exit" && c[3] == "code 0;max_requests").ToList();
        Assert.True(exits.Count >= 6, $"{exits.Count} recycles");
        string manifest = File.ReadAllText(Path.Combine(dir, "manifest.json"));
        Assert.Matches("\"nginx\": \"1\\.", manifest);
        // the latency is measured as over FastCGI: corrected latency never below the uncorrected one
        Assert.All(requests, c => Assert.True(Num(c[6]) + 0.001 >= (Num(c[3]) - Num(c[2])) * 1000 - 0.001));
    }

    [Fact]
    public void Nginx_in_front_of_php_fpm()
    {
        RealStack.PhpFpm();
        RealStack.Nginx();
        RunsThroughNginx("php-fpm");
    }

    [Fact]
    public void Nginx_in_front_of_the_dotnet_pool()
    {
        RealStack.DotnetEngine();
        RealStack.Nginx();
        RunsThroughNginx("dotnet");
    }

    [Fact]
    public void A_child_killed_mid_request_is_a_502_through_nginx()
    {
        RealStack.PhpFpm();
        RealStack.Nginx();
        string name = _lab.Scenario("crash", """
            engine = "php-fpm"
            front = "nginx"
            [pool]
            pm = "static"
            max_children = 1
            [request]
            leak = "1M"
            wait = "400ms"
            [load]
            iterations = 8
            [[load.phases]]
            phase = "keep-constant"
            copies = 1
            during = "30s"
            [[actions]]
            at = "1s"
            action = "kill-child"
            target = "busy"
            signal = "KILL"
            """);
        string dir = Path.Combine(_lab.Root, "crash");
        var r = _lab.Run(name, "--out", dir);
        Assert.True(r.ExitCode == 0, r.ToString());
        var requests = Csv(dir, "requests.csv");
        Assert.Equal(8, requests.Count);
        Assert.Equal(1, requests.Count(c => c[5] == "502"));
        Assert.Equal(7, requests.Count(c => c[5] == "200"));
        var events = Csv(dir, "events.csv");
        var kill = events.Single(c => c[1] == "kill" && c[3] == "signal 9;kill-child");
        Assert.Contains(events, c => c[1] == "exit" && c[2] == kill[2] && c[3] == "signal 9;kill-child");
        Assert.NotEqual(requests[0][4], requests[^1][4]);
    }
}
