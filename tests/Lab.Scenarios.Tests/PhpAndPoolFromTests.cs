using Lab.Core.Scenarios;
using static Lab.Scenarios.Tests.Helpers;

namespace Lab.Scenarios.Tests;

/// <summary>[php] (root, ini, extensions) and pool.from (a php-fpm pool file as [pool] keys).</summary>
public class PhpAndPoolFromTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("leaklab-scenarios-test-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>A scenario file in the temporary folder, loaded as ./run.sh loads one (files checked).</summary>
    private Scenario Load(string body, params string[] overrides) => ScenarioLoader.Load(Write("s.toml", body + "\n" + OnePhase), overrides, _dir);

    private ScenarioException LoadBad(string body, params string[] overrides) =>
        Assert.Throws<ScenarioException>(() => Load(body, overrides));

    [Fact]
    public void Php_root_ini_and_extensions_are_read_relative_paths_from_the_files_folder()
    {
        Write("app/public/index.php", "<?php echo 1;");
        var s = Load("""
            engine = "php-fpm"
            [request]
            script = "/index.php"
            query = "page=2"
            [php]
            root = "app/public"
            ini = { "opcache.enable" = 1, opcache = { memory_consumption = "256M" }, "display_errors" = false }
            extensions = ["php8.2-opcache", "ctype"]
            """);
        Assert.Equal(Path.Combine(_dir, "app", "public"), s.Php.Root);
        Assert.Equal([new("opcache.enable", "1"), new("opcache.memory_consumption", "256M"), new KeyValuePair<string, string>("display_errors", "0")], s.Php.Ini);
        Assert.Equal(["php8.2-opcache", "ctype"], s.Php.Extensions);
        Assert.False(s.SendsLabParameters);
        // written out and read back: the same
        string toml = ScenarioWriter.ToToml(s);
        Assert.Contains($"root = \"{Path.Combine(_dir, "app", "public")}\"", toml);
        var again = ScenarioLoader.Parse(toml, "scenario.toml", "s", []);
        Assert.Equal(s.Php, again.Php);
        Assert.Equal(toml, ScenarioWriter.ToToml(again));
        // overrides: a directive, the list, the root from the current folder
        var o = Load("[php]\n", "php.ini.precision=20", "php.extensions=redis,apcu", $"php.root={_dir}/app/public", "engine=sim", "script=/index.php");
        Assert.Equal([new KeyValuePair<string, string>("precision", "20")], o.Php.Ini);
        Assert.Equal(["redis", "apcu"], o.Php.Extensions);
        Assert.True(o.SendsLabParameters); // the sim and the dotnet engine run the lab's handler whatever the docroot
    }

    [Fact]
    public void A_missing_docroot_or_script_is_an_error_at_its_line_when_the_scenario_is_about_to_run()
    {
        var e = LoadBad("[php]\nroot = \"nowhere\"\n");
        Assert.Matches(@"s\.toml:2: php\.root = ""nowhere"": no such folder", e.Message);
        Write("app/index.php", "<?php");
        var s = LoadBad("[request]\nscript = \"/missing.php\"\n[php]\nroot = \"app\"\n");
        Assert.Matches(@"s\.toml:2: request\.script = ""/missing\.php"": there is no /missing\.php in .*app; its \.php files: /index\.php", s.Message);
        var kind = LoadBad("[php]\nroot = \"app\"\n[request]\nscript = \"/index.php\"\n[[request.kinds]]\nname = \"x\"\nscript = \"/x.php\"\n");
        Assert.Contains("s.toml:7: request.kinds.1.script = \"/x.php\": there is no /x.php", kind.Message);
        var lab = LoadBad("engine = \"php-fpm\"\n[request]\nscript = \"/nope.php\"\n");
        Assert.Contains("there is no /nope.php in the lab's scripts", lab.Message);
        // read back from a results folder (a report), nothing is checked: the docroot may be gone since
        Assert.Equal("/gone/away", ScenarioLoader.Parse("[php]\nroot = \"/gone/away\"\n" + OnePhase, "scenario.toml", "x", []).Php.Root);
    }

    [Theory]
    [InlineData("[php]\nini = { memory_limit = \"1G\" }\n", "memory_limit is the pool's: set pool.memory_limit")]
    [InlineData("[php]\nini = { extension = \"redis.so\" }\n", "load extensions with php.extensions")]
    [InlineData("[php]\nini = { \"a b\" = 1 }\n", "is not a php.ini directive name")]
    [InlineData("[php]\nini = 5\n", "must be an inline table of php.ini directives")]
    [InlineData("[php]\nextensions = [\"Redis!\"]\n", "lower-case letters")]
    public void Bad_php_settings_are_errors(string body, string expected) => Assert.Contains(expected, Bad(body + OnePhase).Message);

    private const string WwwConf = """
        ; a pool of your own
        [www]
        user = www-data
        group = www-data
        listen = /run/php/php8.2-fpm.sock
        pm = dynamic
        pm.max_children = 12
        pm.start_servers = 3
        pm.min_spare_servers = 2
        pm.max_spare_servers = 4
        pm.max_requests = 500
        pm.process_idle_timeout = 20
        request_terminate_timeout = 2m
        php_admin_value[memory_limit] = 256M
        pm.status_path = /status
        """;

    [Fact]
    public void Pool_from_takes_every_directive_the_lab_knows_explicit_keys_win_and_the_rest_is_one_notice()
    {
        string conf = Write("www.conf", WwwConf);
        var notices = new List<string>();
        var s = ScenarioLoader.Parse($"[pool]\nfrom = \"{conf}\"\nmax_requests = 50\n" + OnePhase, Source, "x", [], notice: notices.Add);
        var p = s.Pool;
        Assert.Equal("www", p.Name);
        Assert.Equal(ProcessManagerStyle.Dynamic, p.Pm);
        Assert.Equal((12, 3, 2, 4), (p.MaxChildren, p.StartServers, p.MinSpareServers, p.MaxSpareServers));
        Assert.Equal(50, p.MaxRequests); // the scenario's own key wins over the file's 500
        Assert.Equal(TimeSpan.FromSeconds(20), p.ProcessIdleTimeout);
        Assert.Equal(TimeSpan.FromMinutes(2), p.RequestTerminateTimeout);
        Assert.Equal(256L << 20, p.MemoryLimitBytes);
        var notice = Assert.Single(notices);
        Assert.StartsWith($"pool.from {conf}: the lab does not model 4 of its directives, left out: user ({conf}:3), group ({conf}:4), listen ({conf}:5), pm.status_path ({conf}:15)", notice);
        // the command line wins too, and the written scenario holds the values, not the file
        var o = ScenarioLoader.Parse(OnePhase, Source, "x", [$"pool.from={conf}", "max_children=3", "pm.max_spare_servers=3"]);
        Assert.Equal((3, 500), (o.Pool.MaxChildren, o.Pool.MaxRequests));
        string toml = ScenarioWriter.ToToml(o);
        Assert.DoesNotContain("from", toml.Split('\n').Where(l => !l.StartsWith('#')).Select(l => l.Split('=')[0].Trim()));
        Assert.Contains("max_requests = 500", toml);
    }

    [Fact]
    public void A_wrong_pool_file_is_reported_line_by_line()
    {
        string conf = Write("bad.conf", """
            [www]
            pm = dynamic
            pm.max_children = lots
            pm.start_servers = 2
            pm.max_requests = -5
            request_terminate_timeout = 10x
            """);
        var e = Bad($"[pool]\nfrom = \"{conf}\"\n" + OnePhase);
        var lines = e.Message.Split('\n');
        Assert.StartsWith($"pool.from {conf}: 3 of its directives are wrong:", lines[0]);
        Assert.Contains(lines, l => l.Trim().StartsWith($"{conf}:3: pm.max_children = lots (pool.max_children): must be a positive integer"));
        Assert.Contains(lines, l => l.Trim().StartsWith($"{conf}:5: pm.max_requests = -5 (pool.max_requests): must be 0 (unlimited) or a positive integer"));
        Assert.Contains(lines, l => l.Trim().StartsWith($"{conf}:6: request_terminate_timeout = 10x (pool.request_terminate_timeout):"));
        Assert.Equal(conf, e.File);
        Assert.Equal(3, e.Line);

        // across keys, php-fpm's own check, at the file's line
        string cross = Write("cross.conf", "[www]\npm = dynamic\npm.max_children = 5\npm.min_spare_servers = 4\npm.max_spare_servers = 2\n");
        var c = Bad($"[pool]\nfrom = \"{cross}\"\n" + OnePhase);
        Assert.StartsWith($"{cross}:4: pm.min_spare_servers(4) must not be greater than pm.max_spare_servers(2)", c.Message);

        string syntax = Write("syntax.conf", "[www]\npm dynamic\n");
        Assert.StartsWith($"{syntax}:2: syntax error: expected directive = value", Bad($"[pool]\nfrom = \"{syntax}\"\n" + OnePhase).Message);
        Assert.Contains("no such file", Bad("[pool]\nfrom = \"/no/such/www.conf\"\n" + OnePhase).Message);
        string two = Write("two.conf", "[a]\npm = static\n[b]\npm = static\n");
        var t = Bad($"[pool]\nfrom = \"{two}\"\n" + OnePhase);
        Assert.Contains("defines 2 pools, [a]", t.Message);
        Assert.Equal("b", ScenarioLoader.Parse($"[pool]\nfrom = \"{two}\"\nname = \"b\"\n" + OnePhase, Source, "x", []).Pool.Name);
        var inSet = Bad($"duration = \"20s\"\n[[actions]]\nat = \"5s\"\naction = \"reload\"\nset = {{ from = \"{two}\" }}\n" + OnePhase);
        Assert.Contains("pool.from belongs in [pool]", inSet.Message);
    }

    [Fact]
    public void A_php_fpm_conf_with_includes_and_the_distributions_www_conf_read()
    {
        Write("pool.d/a.conf", "[shop]\npm = static\npm.max_children = 7\nlisten = /run/$pool.sock\n");
        string main = Write("php-fpm.conf", $"[global]\nerror_log = /var/log/x.log\nprocess_control_timeout = 10\nemergency_restart_threshold = 3\nemergency_restart_interval = 1m\ninclude = {_dir}/pool.d/*.conf\n");
        var notices = new List<string>();
        var s = ScenarioLoader.Parse($"[pool]\nfrom = \"{main}\"\n" + OnePhase, Source, "x", [], notice: notices.Add);
        Assert.Equal(("shop", 7), (s.Pool.Name, s.Pool.MaxChildren));
        // [global]'s process control, modelled as [pool] keys
        Assert.Equal((TimeSpan.FromSeconds(10), 3, TimeSpan.FromMinutes(1)),
            (s.Pool.ProcessControlTimeout, s.Pool.EmergencyRestartThreshold, s.Pool.EmergencyRestartInterval));
        Assert.DoesNotContain("process_control_timeout", notices[0]);
        Assert.Contains("listen (", notices[0]);
        Assert.Contains("error_log (", notices[0]);
        var file = Lab.Scenarios.PoolFiles.FpmIniFile.Read(main);
        Assert.Equal("/run/shop.sock", file.Find("shop", "listen")!.Value); // $pool expanded, as php-fpm does

        // the distribution's own pool file (php8.2-fpm is installed for the real-stack tests)
        const string debian = "/etc/php/8.2/fpm/pool.d/www.conf";
        Assert.True(File.Exists(debian), "php8.2-fpm is not installed: sudo apt-get install -y php8.2-fpm");
        var d = ScenarioLoader.Parse($"[pool]\nfrom = \"{debian}\"\n" + OnePhase, Source, "x", []);
        Assert.Equal(("www", ProcessManagerStyle.Dynamic, 5, 2), (d.Pool.Name, d.Pool.Pm, d.Pool.MaxChildren, d.Pool.StartServers));
    }
}
