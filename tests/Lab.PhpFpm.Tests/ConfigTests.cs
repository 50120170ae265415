using Lab.Core.Paths;
using Lab.Core.Scenarios;
using Lab.Engines.Nginx;
using Lab.Nginx;
using Lab.Linux.Processes;

namespace Lab.PhpFpm.Tests;

/// <summary>The generated php.ini, php-fpm configuration and nginx configuration.</summary>
public class ConfigTests
{
    internal static readonly PoolSettings Pool = new()
    {
        Pm = ProcessManagerStyle.Static, MaxChildren = 1, MaxRequests = 5, MemoryLimitBytes = 64L << 20,
    };

    [Fact]
    public void Php_ini_loads_ffi_turns_opcache_off_and_takes_memory_limit_from_the_pool()
    {
        string ini = PhpFpmFiles.RenderPhpIni(Pool);
        Assert.Contains("extension = ffi\n", ini);
        Assert.Contains("ffi.enable = 1\n", ini);
        Assert.Contains("opcache.enable = 0\n", ini);
        Assert.Contains("memory_limit = 64M\n", ini);
        Assert.Contains("log_errors = On\n", ini);
        Assert.Contains("display_errors = Off\n", ini);
        Assert.DoesNotContain("error_log", ini.Split('\n').Where(l => !l.StartsWith(';') && !l.StartsWith('#')));
        Assert.Contains("memory_limit = -1\n", PhpFpmFiles.RenderPhpIni(Pool with { MemoryLimitBytes = -1 }));
    }

    [Fact]
    public void The_pool_config_keeps_every_file_in_the_run_folder_and_drops_children_to_the_unprivileged_user()
    {
        var files = new PhpFpmFiles("/tmp/leaklab-x");
        string conf = files.RenderConfig(Pool, new UnprivilegedUser("www-data", "www-data"));
        Assert.Contains("pid = /tmp/leaklab-x/php-fpm.pid\n", conf);
        Assert.Contains("error_log = /proc/self/fd/2\n", conf);
        Assert.Contains("log_level = debug\n", conf);
        Assert.Contains("daemonize = no\n", conf);
        Assert.Contains("listen = /tmp/leaklab-x/php-fpm.sock\n", conf);
        Assert.Contains("listen.mode = 0660\n", conf);
        Assert.Contains("user = www-data\n", conf);
        Assert.Contains("group = www-data\n", conf);
        Assert.Contains("listen.owner = www-data\n", conf);
        Assert.Contains("pm.max_requests = 5\n", conf);
        Assert.Contains("pm.status_path = /status\n", conf);
        Assert.Contains("php_admin_value[memory_limit] = 64M\n", conf);
        Assert.Contains("slowlog = /tmp/leaklab-x/php-fpm.slow.log\n", conf);
        Assert.Contains("catch_workers_output = yes\n", conf);
        // not root: no user lines (php-fpm would ignore them with a notice)
        string plain = files.RenderConfig(Pool, null);
        Assert.DoesNotContain("user = ", plain);
        Assert.DoesNotContain("listen.owner", plain);
        Assert.Equal("/tmp/leaklab-x/php/leak.php", files.ScriptFilename("/leak.php"));
    }

    [Fact]
    public void The_scripts_are_copied_readable_by_the_children()
    {
        string dir = Directory.CreateTempSubdirectory("leaklab-files-test-").FullName;
        try
        {
            var files = new PhpFpmFiles(dir);
            files.Write(Pool, null, Path.Combine(LabPaths.LabDir, "php"));
            Assert.True(File.Exists(files.ScriptFilename("/leak.php")));
            Assert.True(File.Exists(files.ScriptFilename("/hello.php")));
            Assert.True(File.GetUnixFileMode(files.ScriptFilename("/leak.php")).HasFlag(UnixFileMode.OtherRead));
            Assert.True(File.GetUnixFileMode(files.Scripts).HasFlag(UnixFileMode.OtherExecute));
            Assert.True(File.Exists(files.PhpIni) && File.Exists(files.Config));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void The_nginx_template_renders_with_every_placeholder_filled_and_everything_in_the_prefix()
    {
        var nginx = new NginxInstall("/usr/sbin/nginx", "1.22.1", HasScgi: true, HasUwsgi: false);
        var s = new NginxSettings("/tmp/leaklab-y/nginx", 18080, "unix:/tmp/leaklab-y/php-fpm.sock", "/tmp/leaklab-y/php",
            new UnprivilegedUser("www-data", "www-data"), WorkerConnections: 2048);
        string conf = NginxConfig.Render(File.ReadAllText(NginxConfig.TemplatePath), s, nginx);
        Assert.DoesNotContain("{{", conf);
        Assert.Contains("user www-data www-data;", conf);
        Assert.Contains("listen 127.0.0.1:18080;", conf);
        Assert.Contains("root /tmp/leaklab-y/php;", conf);
        Assert.Contains("fastcgi_pass unix:/tmp/leaklab-y/php-fpm.sock;", conf);
        Assert.Contains("location = /status", conf);
        Assert.Contains("location = /ok", conf);
        Assert.Contains("worker_connections 2048;", conf);
        Assert.Contains("pid /tmp/leaklab-y/nginx/nginx.pid;", conf);
        Assert.Contains("scgi_temp_path /tmp/leaklab-y/nginx/scgi_temp;", conf);
        Assert.DoesNotContain("uwsgi_temp_path", conf); // not built in: the directive would be unknown
        foreach (var line in conf.Split('\n').Where(l => l.TrimStart().Contains("_temp_path ")))
            Assert.Contains("/tmp/leaklab-y/nginx/", line);
        Assert.Throws<InvalidOperationException>(() => NginxConfig.Render("listen {{nope}};", s, nginx));
        Assert.Contains("# (no user directive", NginxConfig.Render("{{user}}", s with { User = null }, nginx));
    }

    [Fact]
    public void The_front_opens_as_many_connections_as_the_load_needs()
    {
        var closed = new LoadPlan { Phases = [new LoadPhase { Kind = LoadPhaseKind.KeepConstant, During = TimeSpan.FromSeconds(1), Copies = 7 }] };
        Assert.Equal(7, NginxFront.Connections(closed));
        var open = new LoadPlan { MaxInFlight = 1024, Phases = [new LoadPhase { Kind = LoadPhaseKind.Inject, During = TimeSpan.FromSeconds(1), Rate = 2 }] };
        Assert.Equal(256, NginxFront.Connections(open));
        Assert.Equal(10, NginxFront.Connections(open with { MaxInFlight = 10 }));
        Assert.Equal(1, NginxFront.Connections(new LoadPlan { Phases = [new LoadPhase { Kind = LoadPhaseKind.Pause, During = TimeSpan.FromSeconds(1) }] }));
        Assert.Equal(2 * 600 + 64, NginxSettings.ConnectionsFor(600));
        Assert.Equal(1024, NginxSettings.ConnectionsFor(2));
    }

    [Fact]
    public void The_unprivileged_user_is_www_data_else_nobody_with_its_group()
    {
        string dir = Directory.CreateTempSubdirectory("leaklab-users-").FullName;
        try
        {
            string passwd = Path.Combine(dir, "passwd"), group = Path.Combine(dir, "group");
            File.WriteAllText(passwd, "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
            File.WriteAllText(group, "root:x:0:\nnogroup:x:65534:\n");
            Assert.Equal(new UnprivilegedUser("nobody", "nogroup"), UnprivilegedUser.Find(passwd, group));
            File.AppendAllText(passwd, "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n");
            File.AppendAllText(group, "www-data:x:33:\n");
            Assert.Equal(new UnprivilegedUser("www-data", "www-data"), UnprivilegedUser.Find(passwd, group));
            File.WriteAllText(passwd, "root:x:0:0:root:/root:/bin/bash\n");
            Assert.Null(UnprivilegedUser.Find(passwd, group));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Nginx_workers_run_as_the_user_who_can_open_the_pools_socket()
    {
        var www = UnprivilegedUser.Find("/etc/passwd", "/etc/group");
        Assert.NotNull(www);
        string dir = Directory.CreateTempSubdirectory("leaklab-sock-").FullName;
        try
        {
            string sock = Path.Combine(dir, "pool.sock");
            File.WriteAllText(sock, "");
            File.SetUnixFileMode(sock, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);
            var st = WorkerUser.Owner(sock);
            Assert.NotNull(st);
            Assert.Equal(0x1b0u, st!.Value.Mode); // 0660
            Assert.Null(WorkerUser.For("unix:" + sock, null)); // not root: nginx runs as the lab's user
            Assert.Equal(www, WorkerUser.For("127.0.0.1:9000", www));
            if (IsolatedProcess.IsRoot)
            {
                // the lab's own pool: root's socket, 0660 → the workers run as its owner, root
                Assert.Equal(new UnprivilegedUser("root", "root"), WorkerUser.For("unix:" + sock, www));
                // php-fpm's: listen.owner = www-data → www-data
                var ids = UnprivilegedUser.Ids(www!.User)!.Value;
                Assert.Equal(0, chown(sock, ids.Uid, ids.Gid));
                Assert.Equal(www, WorkerUser.For("unix:" + sock, www));
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int chown(string path, int owner, int group);
}

public class PhpIniAndExtensionsTests
{
    [Fact]
    public void The_runs_php_ini_gets_the_extensions_lines_then_the_scenarios_directives_last()
    {
        var pool = new Lab.Core.Scenarios.PoolSettings();
        var ext = new Lab.PhpFpm.PhpExtensionIni("opcache", "/usr/share/php8.2-opcache/opcache/opcache.ini", 10, ["zend_extension=opcache.so", "opcache.jit=off"]);
        string ini = PhpFpmFiles.RenderPhpIni(pool, new PhpIniAdditions([ext], [new("opcache.enable", "1"), new("error_log", "/tmp/a b.log")]));
        int ffi = ini.IndexOf("extension = ffi", StringComparison.Ordinal);
        int zend = ini.IndexOf("zend_extension=opcache.so", StringComparison.Ordinal);
        int enable = ini.IndexOf("opcache.enable = 1", StringComparison.Ordinal);
        Assert.True(ffi >= 0 && ffi < zend && zend < enable, ini);
        Assert.True(ini.IndexOf("opcache.enable = 0", StringComparison.Ordinal) < enable, "the scenario's directive comes after the lab's default, so it wins");
        Assert.Contains("error_log = \"/tmp/a b.log\"", ini);
    }

    [Fact]
    public void Extensions_are_found_by_package_or_module_name_in_the_distributions_ini_files()
    {
        string share = Directory.CreateTempSubdirectory("leaklab-share-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(share, "php8.2-common", "common"));
            Directory.CreateDirectory(Path.Combine(share, "php8.2-redis", "redis"));
            File.WriteAllText(Path.Combine(share, "php8.2-common", "common", "ctype.ini"), "; configuration for php common module\n; priority=20\nextension=ctype.so\n");
            File.WriteAllText(Path.Combine(share, "php8.2-common", "common", "ffi.ini"), "; priority=20\nextension=ffi.so\n");
            File.WriteAllText(Path.Combine(share, "php8.2-redis", "redis", "redis.ini"), "; priority=25\nextension=redis.so\n");
            File.WriteAllText(Path.Combine(share, "php8.2-redis", "redis", "igbinary.ini"), "; priority=10\nextension=igbinary.so\n");
            var installed = new Lab.Linux.Packages.PackageSetup(new NoCommands(), root: false, aptGet: null, aptCache: null);
            var (modules, problem) = Lab.PhpFpm.PhpExtensions.Resolve(["php8.2-redis", "ctype", "ffi"], "8.2.29", _ => { }, installed, share);
            Assert.Null(problem);
            // Debian's priority order; ffi left out, the lab's php.ini loads it already
            Assert.Equal(["igbinary", "ctype", "redis"], modules.Select(m => m.Name));
            Assert.Equal(["extension=igbinary.so"], modules[0].Lines);
            var (_, missing) = Lab.PhpFpm.PhpExtensions.Resolve(["apcu"], "8.2.29", _ => { }, installed, share);
            Assert.Contains("php.extensions needs the PHP extension apcu, which is not installed", missing);
            Assert.Contains("sudo apt-get install -y php8.2-apcu", missing);
        }
        finally { Directory.Delete(share, recursive: true); }
    }

    private sealed class NoCommands : Lab.Linux.Packages.ICommandRunner
    {
        public Lab.Linux.Packages.CommandResult Run(string program, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? timeout = null) =>
            throw new InvalidOperationException("no command may run here");
    }

    [Fact]
    public void Opcache_on_is_production_like_and_sized_for_the_code_off_is_enable_0()
    {
        string on = PhpFpmFiles.RenderPhpIni(ConfigTests.Pool, new PhpIniAdditions([], [], Opcache: true, CodeKb: 64 * 1024));
        Assert.Contains("opcache.enable = 1\n", on);
        Assert.Contains("opcache.validate_timestamps = 0\n", on);
        Assert.Contains("opcache.file_update_protection = 0\n", on);
        Assert.Contains("opcache.interned_strings_buffer = 144\n", on); // 16 + 2 × 64
        Assert.Contains("opcache.memory_consumption = 464\n", on);   // 64 + 144 + 4 × 64
        Assert.DoesNotContain("opcache.enable = 0", on);
        Assert.Contains("opcache.memory_consumption = 128\n", PhpFpmFiles.RenderPhpIni(ConfigTests.Pool, new PhpIniAdditions([], [], Opcache: true)));
        Assert.Contains("opcache.enable = 0\n", PhpFpmFiles.RenderPhpIni(ConfigTests.Pool, new PhpIniAdditions([], [], Opcache: false)));
        // the scenario's [php] ini comes last and wins
        string mine = PhpFpmFiles.RenderPhpIni(ConfigTests.Pool, new PhpIniAdditions([], [new("opcache.memory_consumption", "512")], Opcache: true));
        Assert.True(mine.LastIndexOf("opcache.memory_consumption = 512", StringComparison.Ordinal) > mine.IndexOf("opcache.memory_consumption = 128", StringComparison.Ordinal));
    }

    [Fact]
    public void Request_code_is_php_classes_of_that_size_run_by_app_php()
    {
        string dir = Directory.CreateTempSubdirectory("lab-code-test").FullName;
        try
        {
            const UnixFileMode file = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
            const UnixFileMode folder = file | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
            int classes = Lab.PhpFpm.GeneratedCode.Write(dir, 300, file, folder);
            Assert.Equal(5, classes); // 300 KiB in 64 KiB files
            var files = Directory.GetFiles(Path.Combine(dir, "lab-code"), "LabCode*.php");
            Assert.Equal(5, files.Length);
            long bytes = files.Sum(f => new FileInfo(f).Length);
            Assert.InRange(bytes, 290 * 1024, 300 * 1024);
            string app = File.ReadAllText(Path.Combine(dir, "lab-code", "app.php"));
            Assert.Contains("$labCode = getmypid();", app); // a runtime seed: opcache cannot fold the code away
            Assert.Contains("LabCode00004::run($labCode)", app);
            // the same code every time
            string again = Directory.CreateTempSubdirectory("lab-code-test").FullName;
            Lab.PhpFpm.GeneratedCode.Write(again, 300, file, folder);
            Assert.Equal(File.ReadAllText(files[0]), File.ReadAllText(Path.Combine(again, "lab-code", Path.GetFileName(files[0]))));
            Directory.Delete(again, true);
            // it runs: php-cli executes app.php
            var psi = new System.Diagnostics.ProcessStartInfo("php", ["-n", "-r", $"require '{dir}/lab-code/app.php'; echo is_int($labCode) ? 'ran' : 'no';"]) { RedirectStandardOutput = true };
            using var p = System.Diagnostics.Process.Start(psi)!;
            Assert.Equal("ran", p.StandardOutput.ReadToEnd());
            p.WaitForExit();
        }
        finally { Directory.Delete(dir, true); }
    }
}
