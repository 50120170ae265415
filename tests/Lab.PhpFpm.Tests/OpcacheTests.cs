using static Lab.Testing.LabSandbox;

namespace Lab.PhpFpm.Tests;

/// <summary>
/// Issue 10 on the real php-fpm: opcache on by default, as production runs it; request.code's
/// generated classes are run by every request, so opcache's shared memory (made by the master)
/// is in every child's RSS and counted once in PSS; php.opcache = false turns it off.
/// </summary>
[Collection("real php-fpm")]
public class OpcacheTests : IDisposable
{
    private readonly LabSandbox _lab = new();
    public void Dispose() => _lab.Dispose();

    private string Run(string name, string extra)
    {
        _lab.Scenario(name, $"""
            engine = "php-fpm"
            pss_interval = "250ms"
            [pool]
            pm = "static"
            max_children = 3
            [request]
            code = "4M"
            work = "2ms"
            [load]
            iterations = 30
            [[load.phases]]
            phase = "keep-constant"
            copies = 3
            think = "50ms"
            during = "60s"
            {extra}
            """, sampleInterval: "100ms");
        string dir = Path.Combine(_lab.Root, name + "-out");
        var r = _lab.Run(name, "--out", dir);
        Assert.True(r.ExitCode == 0, r.ToString());
        return dir;
    }

    [Fact]
    public void Opcache_is_on_by_default_and_its_shared_memory_is_counted_once_in_pss()
    {
        RealStack.PhpFpm();
        string on = Run("opcache-on", "");
        var last = PssTick.Of(on)[^1];
        var children = last.Rows.Where(c => c[2] == "child").ToList();
        Assert.Equal(3, children.Count);
        // 4M of PHP source is more than 8 MiB of opcache (opcodes and literals) every child has read
        Assert.All(children, c => Assert.True(PssTick.SharedKb(c) >= 8 * 1024, $"child {c[1]}: RSS {c[3]} − USS {c[9]}"));
        Assert.True(last.Ratio >= 2, $"summed RSS {last.RssKb} against summed PSS {last.PssKb}");
        Assert.Contains("opcache = true", File.ReadAllText(Path.Combine(on, "scenario.toml")));
        Assert.Contains("What the host pays", File.ReadAllText(Path.Combine(on, "report.html")));

        // opcache off: the same code is compiled by each request into the child's own memory, shared by no one
        string off = Run("opcache-off", "[php]\nopcache = false");
        var offChildren = PssTick.Of(off)[^1].Rows.Where(c => c[2] == "child").ToList();
        Assert.Equal(3, offChildren.Count);
        Assert.True(offChildren.Max(PssTick.SharedKb) < children.Min(PssTick.SharedKb) - 4 * 1024,
            $"opcache off shares {offChildren.Max(PssTick.SharedKb)} KiB per child, on {children.Min(PssTick.SharedKb)} KiB");
    }
}
