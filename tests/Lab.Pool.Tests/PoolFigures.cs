using System.Diagnostics;
using System.Globalization;
using System.Text;
using Lab.Core.Paths;
using Lab.Core.Scenarios;
using Lab.FastCgi;
using Xunit.Abstractions;

namespace Lab.Pool.Tests;

/// <summary>
/// The README's figures for the dotnet pool, measured (never asserted against a time: a shared
/// machine): idle child RSS, respawn cost, throughput of a 4-child pool on trivial requests
/// with max_requests = 0 and = 1. Written to the test output and to artifacts/pool-figures.md.
/// What is asserted is that every request of the measurement succeeded.
/// </summary>
[Trait("Category", "Figures")]
public class PoolFigures(ITestOutputHelper output)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    [Fact]
    public async Task Measure_rss_respawn_and_throughput()
    {
        var report = new StringBuilder();
        report.AppendLine("# Lab.Pool figures").AppendLine()
              .AppendLine($"measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, by tests/Lab.Pool.Tests PoolFigures").AppendLine();

        // 1. idle child RSS (fresh, and after one trivial request)
        using (var pool = new TestPool(new PoolSettings { Pm = ProcessManagerStyle.Static, MaxChildren = 4 }))
        {
            var pids = pool.ChildPids();
            double fresh = pids.Average(p => (double)TestPool.StatmRssKb(p));
            for (int i = 0; i < 8; i++) Assert.Equal(200, (await pool.SendAsync(TestPool.Query(i))).Status);
            double served = pids.Average(p => (double)TestPool.StatmRssKb(p));
            long master = TestPool.StatmRssKb(pool.Master.Pid);
            report.AppendLine($"- idle child RSS: {fresh / 1024:0.0} MiB fresh, {served / 1024:0.0} MiB after serving (target <= 16 MiB); master {master / 1024.0:0.0} MiB");
        }

        // 2. throughput of 4 children on trivial requests, and per-request latency
        var (rps0, lat0) = await Throughput(new PoolSettings { Pm = ProcessManagerStyle.Static, MaxChildren = 4 }, 20_000, 8);
        var (rps1, lat1) = await Throughput(new PoolSettings { Pm = ProcessManagerStyle.Static, MaxChildren = 4, MaxRequests = 1 }, 2_000, 8);
        report.AppendLine($"- throughput, 4 children, trivial requests, 8 concurrent clients (one connection per request): {rps0:0} req/s (php-fpm behind nginx, wrk: ~9,100)");
        report.AppendLine($"- the same with pm.max_requests = 1 (a new child per request): {rps1:0} req/s (php-fpm: ~490)");

        // 3. respawn: one child, max_requests = 1, one client: every request waits for the new child
        var (_, seqRecycle) = await Throughput(new PoolSettings { Pm = ProcessManagerStyle.Static, MaxChildren = 1, MaxRequests = 1 }, 300, 1);
        var (_, seqKeep) = await Throughput(new PoolSettings { Pm = ProcessManagerStyle.Static, MaxChildren = 1 }, 300, 1);
        report.AppendLine($"- respawn (exit → reap → posix_spawn → child in accept → request served), median of sequential requests on one child: " +
                          $"{seqRecycle:0.00} ms with max_requests = 1 vs {seqKeep:0.00} ms without: ~{seqRecycle - seqKeep:0.00} ms per respawn (target <= 10 ms)");

        // 4. spawn-to-first-request: ondemand, the first request forks the child
        var firsts = new List<double>();
        for (int i = 0; i < 5; i++)
        {
            using var pool = new TestPool(new PoolSettings { Pm = ProcessManagerStyle.Ondemand, MaxChildren = 1 });
            var sw = Stopwatch.StartNew();
            Assert.Equal(200, (await pool.SendAsync(TestPool.Query(1))).Status);
            double first = sw.Elapsed.TotalMilliseconds;
            sw.Restart();
            Assert.Equal(200, (await pool.SendAsync(TestPool.Query(2))).Status);
            firsts.Add(first - sw.Elapsed.TotalMilliseconds);
        }
        firsts.Sort();
        report.AppendLine($"- spawn-to-first-request (ondemand: accept event → fork → first request answered, minus a warm request): median {firsts[firsts.Count / 2]:0.0} ms");

        string text = report.ToString();
        output.WriteLine(text);
        Directory.CreateDirectory(LabPaths.Artifacts);
        File.WriteAllText(Path.Combine(LabPaths.Artifacts, "pool-figures.md"), text);
    }

    /// <summary>(requests per second, median latency in ms) for `total` trivial requests from `clients` concurrent loops.</summary>
    private static async Task<(double Rps, double MedianMs)> Throughput(PoolSettings settings, int total, int clients)
    {
        using var pool = new TestPool(settings);
        var ep = pool.EndPoint;
        var parameters = TestPool.Params(TestPool.Query(1));
        var latencies = new double[total];
        int next = -1, failures = 0;
        var sw = Stopwatch.StartNew();
        var loops = Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < total)
            {
                long t0 = Stopwatch.GetTimestamp();
                try
                {
                    await using var c = await FastCgiClient.ConnectAsync(ep, CancellationToken.None);
                    var r = await c.SendAsync(parameters, ReadOnlyMemory<byte>.Empty, CancellationToken.None);
                    if (r.Status != 200) Interlocked.Increment(ref failures);
                }
                catch (IOException) { Interlocked.Increment(ref failures); }
                latencies[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            }
        })).ToArray();
        await Task.WhenAll(loops);
        double seconds = sw.Elapsed.TotalSeconds;
        Assert.Equal(0, failures);
        Array.Sort(latencies);
        return (total / seconds, latencies[total / 2]);
    }
}
