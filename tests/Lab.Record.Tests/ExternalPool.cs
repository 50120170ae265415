using System.Diagnostics;
using System.Globalization;
using Lab.PhpFpm;
using Lab.Linux.Proc;

namespace Lab.Record.Tests;

/// <summary>
/// A php-fpm pool started outside the lab, as an operator runs one: the distribution's php-fpm
/// with a configuration of its own (a php-fpm.conf including a pool file), a docroot with a
/// script that leaks through FFI (1 MiB per request, every page touched), its error log in a
/// file; driven by an ordinary FastCGI client written in PHP (Assets/fcgi-client.php), not by the
/// lab. Stopped and deleted on Dispose.
/// </summary>
public sealed class ExternalPool : IDisposable
{
    public const int LeakKb = 1024;

    private readonly Process _fpm;

    public ExternalPool(string name = "app", string pm = "static", int maxChildren = 2, int maxRequests = 0, bool statusPage = true)
    {
        string bin = PhpFpmInstall.Locate() ?? throw new InvalidOperationException("php-fpm is not installed: sudo apt-get install -y php8.2-fpm php8.2-cli");
        Dir = Directory.CreateTempSubdirectory("leaklab-external-pool-").FullName;
        File.SetUnixFileMode(Dir, (UnixFileMode)Convert.ToInt32("755", 8));
        Directory.CreateDirectory(Path.Combine(Dir, "pool.d"));
        Directory.CreateDirectory(DocRoot);
        File.SetUnixFileMode(DocRoot, (UnixFileMode)Convert.ToInt32("755", 8));
        File.WriteAllText(Script, $$"""
            <?php
            // leaks {{LeakKb}} KiB per request through FFI: malloc'd, every page touched, never freed
            $libc = FFI::cdef('void *malloc(size_t size); void *memset(void *s, int c, size_t n);');
            $p = $libc->malloc({{LeakKb * 1024}});
            $libc->memset($p, 1, {{LeakKb * 1024}});
            echo "ok ", getmypid(), "\n";
            """);
        File.SetUnixFileMode(Script, (UnixFileMode)Convert.ToInt32("644", 8));
        File.WriteAllText(Config, $"""
            [global]
            pid = {Dir}/php-fpm.pid
            error_log = {ErrorLog}
            log_level = notice
            daemonize = no
            include = {Dir}/pool.d/*.conf
            """);
        string user = Environment.UserName == "root" ? "user = www-data\ngroup = www-data\n" : "";
        File.WriteAllText(PoolFile, $"""
            ; the operator's pool
            [{name}]
            {user}listen = {Socket}
            listen.mode = 0666
            pm = {pm}
            pm.max_children = {maxChildren}
            pm.start_servers = 1
            pm.min_spare_servers = 1
            pm.max_spare_servers = {maxChildren}
            pm.max_requests = {maxRequests}
            {(statusPage ? "pm.status_path = /fpm-status" : "; no status page")}
            php_admin_value[memory_limit] = 64M
            """);
        File.WriteAllText(PhpIni, "extension = ffi\nffi.enable = 1\n");
        var psi = new ProcessStartInfo(bin) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in new[] { "-F", "-y", Config, "-c", PhpIni }) psi.ArgumentList.Add(a);
        psi.Environment["PHP_INI_SCAN_DIR"] = "";
        _fpm = Process.Start(psi)!;
        _fpm.StandardInput.Close();
        _ = _fpm.StandardOutput.ReadToEndAsync();
        _ = _fpm.StandardError.ReadToEndAsync();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!(File.Exists(ErrorLog) && File.ReadAllText(ErrorLog).Contains("ready to handle connections")) || Children().Count < (pm == "static" ? maxChildren : 1))
        {
            if (_fpm.HasExited || DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"php-fpm did not start: {(File.Exists(ErrorLog) ? File.ReadAllText(ErrorLog) : "no log")}");
            Thread.Sleep(50);
        }
    }

    public string Dir { get; }
    public string Config => Path.Combine(Dir, "php-fpm.conf");
    public string PoolFile => Path.Combine(Dir, "pool.d", "pool.conf");
    public string PhpIni => Path.Combine(Dir, "php.ini");
    public string Socket => Path.Combine(Dir, "php-fpm.sock");
    public string ErrorLog => Path.Combine(Dir, "php-fpm.log");
    public string DocRoot => Path.Combine(Dir, "www");
    public string Script => Path.Combine(DocRoot, "leak.php");

    /// <summary>php-fpm -F is the master itself.</summary>
    public int MasterPid => _fpm.Id;
    public bool Running => !_fpm.HasExited;

    /// <summary>The master's children now, from /proc.</summary>
    public IReadOnlyList<int> Children() => Proc.Descendants(MasterPid).OrderBy(p => p).ToList();

    /// <summary>Sends requests with the PHP FastCGI client; returns the number answered 200.</summary>
    public Task<int> DriveAsync(int requests, double ratePerSecond) => Task.Run(() =>
    {
        var psi = new ProcessStartInfo(PhpCli(), [Path.Combine(AppContext.BaseDirectory, "Assets", "fcgi-client.php"), Socket, Script,
            requests.ToString(CultureInfo.InvariantCulture), ratePerSecond.ToString(CultureInfo.InvariantCulture)])
        { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.Environment["PHP_INI_SCAN_DIR"] = "";
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return output.Split('\n').Count(l => l.EndsWith(" 200", StringComparison.Ordinal));
    });

    private static string PhpCli()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':').Append("/usr/bin"))
            foreach (var name in new[] { "php8.2", "php" })
                if (File.Exists(Path.Combine(dir, name))) return Path.Combine(dir, name);
        throw new InvalidOperationException("php (the CLI) is not installed: sudo apt-get install -y php8.2-cli");
    }

    public void Dispose()
    {
        var children = Running ? Children() : [];
        try
        {
            if (!_fpm.HasExited)
            {
                Signal("TERM", _fpm.Id); // php-fpm's own shutdown: it ends its children
                if (!_fpm.WaitForExit(15_000)) _fpm.Kill();
                _fpm.WaitForExit(5_000);
            }
        }
        catch (InvalidOperationException) { }
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (children.Any(p => Directory.Exists($"/proc/{p}") && !SafeRead($"/proc/{p}/stat").Contains(") Z ")) && DateTime.UtcNow < deadline) Thread.Sleep(50);
        foreach (int p in children.Where(p => Directory.Exists($"/proc/{p}") && SafeRead($"/proc/{p}/cmdline").StartsWith("php-fpm: pool", StringComparison.Ordinal)))
            Signal("KILL", p);
        _fpm.Dispose();
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>kill -SIG pid (one of this pool's own processes).</summary>
    public static void Signal(string signal, int pid)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", [$"-{signal}", pid.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false });
        kill?.WaitForExit(5_000);
    }

    private static string SafeRead(string path)
    {
        try { return File.ReadAllText(path); } catch (IOException) { return ""; } catch (UnauthorizedAccessException) { return ""; }
    }
}
