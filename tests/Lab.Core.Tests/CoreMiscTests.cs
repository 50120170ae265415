using Lab.Core.Fitting;
using Lab.Core.Logging;
using Lab.Core.Php;
using Lab.Core.Records;
using Lab.Core.Requests;
using Lab.Core.Scenarios;

namespace Lab.Core.Tests;

public class CoreMiscTests
{
    [Fact]
    public void Request_stream_is_a_pure_function_of_seed_and_id()
    {
        var profile = new RequestProfile { LeakKb = Distribution.Uniform(100, 200), TransientKb = Distribution.Normal(1000, 100), WorkMs = Distribution.Exponential(20) };
        var a = new RequestStream(profile, 5);
        var b = new RequestStream(profile, 5);
        var c = new RequestStream(profile, 6);
        Assert.Equal(a.For(17), b.For(17));
        Assert.NotEqual(a.For(17), c.For(17));
        Assert.NotEqual(a.For(17), a.For(18));
        var leaks = Enumerable.Range(1, 20000).Select(i => a.For(i).LeakKb).ToList();
        Assert.All(leaks, l => Assert.InRange(l, 100, 200));
        Assert.InRange(leaks.Average(), 148, 152);
        Assert.InRange(Enumerable.Range(1, 20000).Average(i => a.For(i).WorkMs), 19.2, 20.8);
        Assert.Equal("id=3&leak_kb=4096&transient_kb=0&work_ms=10&wait_ms=0",
            new RequestStream(new RequestProfile { LeakKb = Distribution.Const(4096) }, 1).For(3).Query);
    }

    [Fact]
    public void Memory_limit_counts_transient_memory_only()
    {
        Assert.False(MemoryLimit.Exceeds(-1, 10_000_000));
        Assert.False(MemoryLimit.Exceeds(128L << 20, 1024));
        Assert.True(MemoryLimit.Exceeds(128L << 20, 128 * 1024));
        // real PHP already fails a 6.3 MiB string at memory_limit = 8M: its heap's first 2 MiB chunk counts
        Assert.True(MemoryLimit.Exceeds(8L << 20, 6451));
        Assert.False(MemoryLimit.Exceeds(8L << 20, 6 * 1024 - 1));
        Assert.Equal(4096 * 1024 + 32, MemoryLimit.TriedBytes(4096));
        Assert.Equal("Allowed memory size of 134217728 bytes exhausted (tried to allocate 134217760 bytes)",
            FpmMessages.AllowedMemoryExhausted(128L << 20, MemoryLimit.TriedBytes(128 * 1024)));
    }

    [Fact]
    public void Log_lines_read_like_php_fpm()
    {
        var t = new DateTime(2026, 11, 25, 4, 32, 10, DateTimeKind.Utc);
        Assert.Equal("[25-Nov-2026 04:32:10] NOTICE: [pool www] child 123 exited with code 0 after 12.345678 seconds from start",
            FpmMessages.FormatLine(t, FpmLogLevel.Notice, FpmMessages.ChildExited("www", 123, 0, 12.345678)));
        Assert.Equal("[pool www] child 123 exited on signal 9 (SIGKILL) after 1.500000 seconds from start",
            FpmMessages.ChildSignaled("www", 123, 9, 1.5));
        Assert.Equal(9, FpmMessages.SignalNumber("KILL"));
        Assert.Equal(15, FpmMessages.SignalNumber("SIGTERM"));
        Assert.Equal(11, FpmMessages.SignalNumber("11"));
        Assert.Equal(-1, FpmMessages.SignalNumber("FOO"));
    }

    [Fact]
    public void Fpm_config_renders_the_pool_in_php_fpm_syntax()
    {
        var pool = new PoolSettings { Pm = ProcessManagerStyle.Static, MaxChildren = 1, MaxRequests = 5, MemoryLimitBytes = 256L << 20 };
        string text = FpmConfig.Render(pool, new FpmPaths("/tmp/x/fpm.pid", "/proc/self/fd/2", "/tmp/x/fpm.sock", "www-data", "www-data"));
        Assert.Contains("[www]\n", text);
        Assert.Contains("pm = static\n", text);
        Assert.Contains("pm.max_children = 1\n", text);
        Assert.Contains("pm.max_requests = 5\n", text);
        Assert.Contains("php_admin_value[memory_limit] = 256M\n", text);
        Assert.Contains("user = www-data\n", text);
        Assert.DoesNotContain("pm.start_servers", text);
        Assert.Equal("-1", FpmConfig.MemoryLimitText(-1));
        Assert.Equal("1500", FpmConfig.MemoryLimitText(1500));
    }
}
