using System.Text.RegularExpressions;
using static Lab.Testing.LabSandbox;

namespace Lab.PhpFpm.Tests;

/// <summary>
/// Your own code on the php-fpm engine: a docroot outside the repository (php.root) with its own
/// leaking scripts, php.ini directives ([php] ini), an extension by its distribution name, two
/// kinds of request with their own scripts and query. What each script leaks depends on what it
/// was given, so the growth each kind shows tells that it all arrived.
/// </summary>
[Collection("real php-fpm")]
public class OwnCodeTests : IDisposable
{
    private readonly LabSandbox _lab = new();
    private readonly string _docroot = Directory.CreateTempSubdirectory("leaklab-own-docroot-").FullName;

    public void Dispose()
    {
        _lab.Dispose();
        Directory.Delete(_docroot, recursive: true);
    }

    private const string Leak = """
        function leak_kb(int $kb): void {
            $libc = FFI::cdef('void *malloc(size_t size); void *memset(void *s, int c, size_t n);');
            $p = $libc->malloc($kb * 1024);
            $libc->memset($p, 1, $kb * 1024);
        }
        """;

    [Fact]
    public void A_docroot_of_your_own_runs_with_its_ini_extensions_kinds_and_query_and_shows_the_growth()
    {
        RealStack.PhpFpm();
        // page: 64K per digit of precision (php.ini: 16 → 1M), and 2M more if the lab's parameters came (they must not)
        File.WriteAllText(Path.Combine(_docroot, "page.php"), $"<?php\n{Leak}\nleak_kb((int)ini_get('precision') * 64 + (isset($_GET['leak_kb']) ? 2048 : 0));\necho 'page';\n");
        // export, in a sub-folder: 4M, 1M more with the ctype extension loaded, 1M more for ?format=csv
        Directory.CreateDirectory(Path.Combine(_docroot, "api"));
        File.WriteAllText(Path.Combine(_docroot, "api", "export.php"),
            $"<?php\n{Leak}\nleak_kb(4096 + (extension_loaded('ctype') ? 1024 : 0) + (($_GET['format'] ?? '') === 'csv' ? 1024 : 0));\necho 'export';\n");
        string name = _lab.Scenario("own", sampleInterval: "50ms", body: $$"""
            engine = "php-fpm"
            [pool]
            pm = "static"
            max_children = 1
            [request]
            script = "/page.php"
            work = "1ms"
            [[request.kinds]]
            name = "page"
            weight = 3
            [[request.kinds]]
            name = "export"
            weight = 1
            script = "/api/export.php"
            query = "format=csv"
            [php]
            root = "{{_docroot}}"
            ini = { precision = 16 }
            extensions = ["ctype"]
            [load]
            iterations = 48
            [[load.phases]]
            phase = "keep-constant"
            copies = 1
            think = "150ms"
            during = "60s"
            """);
        string dir = Path.Combine(_lab.Root, "own-out");
        var r = _lab.Run(name, "--out", dir);
        Assert.True(r.ExitCode == 0, r.ToString());

        var requests = Csv(dir, "requests.csv");
        Assert.Equal(48, requests.Count);
        Assert.All(requests, c => Assert.Equal("200", c[5]));
        Assert.All(requests, c => Assert.Equal(("0", "0"), (c[7], c[8]))); // nothing asked of your scripts
        Assert.Contains(requests, c => c[10] == "export");
        Assert.Contains(requests, c => c[10] == "page");

        // the growth: per kind as the report fits it, 1M a page, 6M an export
        string md = File.ReadAllText(Path.Combine(dir, "report.md"));
        Assert.Contains("## Growth by request kind", md);
        double PerRequest(string kind)
        {
            var m = Regex.Match(md, $@"\| `{kind}` \| [^|]+ \| ([\d.]+) (KiB|MiB)");
            Assert.True(m.Success, md);
            return double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) * (m.Groups[2].Value == "MiB" ? 1024 : 1);
        }
        Assert.InRange(PerRequest("page"), 1024 * 0.85, 1024 * 1.15);
        Assert.InRange(PerRequest("export"), 6144 * 0.85, 6144 * 1.15);
        Assert.Matches(@"export \([\d.]+% of the requests, \d+ of 48\) accounts for", md);
        // and the run's RSS grew by all of it
        var child = Csv(dir, "samples.csv").Where(c => c[2] == "child").ToList();
        Assert.True(Num(child[^1][3]) - Num(child[0][3]) > 0.8 * 48 * (0.75 * 1024 + 0.25 * 6144), "the child's RSS grew by the leaks");
        string toml = File.ReadAllText(Path.Combine(dir, "scenario.toml"));
        Assert.Contains($"root = \"{_docroot}\"", toml);
    }
}
