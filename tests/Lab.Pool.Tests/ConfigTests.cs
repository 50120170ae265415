using System.Diagnostics;
using Lab.Core.Paths;
using Lab.Core.Php;
using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.Pool.Config;

namespace Lab.Pool.Tests;

public class ConfigTests
{
    private static readonly FpmPaths Paths = new("/run/x.pid", "/tmp/x.log", "/tmp/x.sock", SlowLog: "/tmp/x.slow.log");

    [Theory]
    [InlineData(ProcessManagerStyle.Static)]
    [InlineData(ProcessManagerStyle.Dynamic)]
    [InlineData(ProcessManagerStyle.Ondemand)]
    public void What_FpmConfig_renders_parses_back_into_the_same_pool_settings(ProcessManagerStyle pm)
    {
        var settings = new PoolSettings
        {
            Pm = pm, MaxChildren = 7, StartServersSetting = pm == ProcessManagerStyle.Dynamic ? 3 : null, MinSpareServers = 2, MaxSpareServers = 4,
            MaxSpawnRate = 16, ProcessIdleTimeout = TimeSpan.FromSeconds(7), MaxRequests = 5, RequestTerminateTimeout = TimeSpan.FromSeconds(30),
            RequestSlowlogTimeout = TimeSpan.FromSeconds(2), ListenBacklog = 64, MemoryLimitBytes = 256L << 20,
            ProcessControlTimeout = TimeSpan.FromSeconds(5), EmergencyRestartThreshold = 3, EmergencyRestartInterval = TimeSpan.FromSeconds(60),
        };
        var config = FpmConfigFile.Parse(FpmConfig.Render(settings, Paths, FpmLogLevel.Notice), "php-fpm.conf");
        var p = config.Pool.Settings;
        Assert.Equal(settings.Pm, p.Pm);
        Assert.Equal(settings.MaxChildren, p.MaxChildren);
        Assert.Equal(settings.MaxRequests, p.MaxRequests);
        Assert.Equal(settings.RequestTerminateTimeout, p.RequestTerminateTimeout);
        Assert.Equal(settings.RequestSlowlogTimeout, p.RequestSlowlogTimeout);
        Assert.Equal(settings.ListenBacklog, p.ListenBacklog);
        Assert.Equal(settings.MemoryLimitBytes, p.MemoryLimitBytes);
        if (pm == ProcessManagerStyle.Dynamic)
        {
            Assert.Equal(3, p.StartServers);
            Assert.Equal(2, p.MinSpareServers);
            Assert.Equal(4, p.MaxSpareServers);
            Assert.Equal(16, p.MaxSpawnRate);
        }
        if (pm == ProcessManagerStyle.Ondemand) Assert.Equal(settings.ProcessIdleTimeout, p.ProcessIdleTimeout);
        Assert.Equal("/tmp/x.sock", config.Pool.Listen);
        Assert.True(config.Pool.IsUnixSocket);
        Assert.Equal("/status", config.Pool.StatusPath);
        Assert.Equal(FpmLogLevel.Notice, config.Global.LogLevel);
        Assert.Equal("/tmp/x.log", config.Global.ErrorLog);
        Assert.Equal(TimeSpan.FromSeconds(5), p.ProcessControlTimeout);
        Assert.Equal(3, p.EmergencyRestartThreshold);
        Assert.Equal(TimeSpan.FromSeconds(60), p.EmergencyRestartInterval);
        Assert.Equal("/tmp/x.slow.log", config.Pool.SlowLog);
        Assert.Empty(config.Notices);
    }

    [Fact]
    public void The_defaults_are_php_fpm_8_2_s_and_refusals_are_its_own()
    {
        var d = FpmConfigFile.Parse("[global]\nerror_log = /tmp/x.log\n[www]\nlisten = /tmp/x.sock\npm = dynamic\npm.max_children = 5\npm.min_spare_servers = 1\npm.max_spare_servers = 3\n", "f.conf");
        Assert.Equal(TimeSpan.Zero, d.Pool.Settings.ProcessControlTimeout);
        Assert.Equal(0, d.Pool.Settings.EmergencyRestartThreshold);
        Assert.Equal(-1, d.Pool.Settings.ListenBacklog); // listen(2) takes it as somaxconn
        Assert.Equal("[pool www] pm.start_servers is not set. It's been set to 2.", Assert.Single(d.Notices));
        Assert.Equal(2, d.Pool.Settings.StartServers);

        var noSlowlog = Assert.Throws<FpmConfigException>(() => FpmConfigFile.Parse(
            "[www]\nlisten = /tmp/x.sock\npm = static\npm.max_children = 1\nrequest_slowlog_timeout = 1s\n", "f.conf"));
        Assert.Equal("[pool www] 'slowlog' must be specified for use with 'request_slowlog_timeout'", noSlowlog.Message);
        var longer = Assert.Throws<FpmConfigException>(() => FpmConfigFile.Parse(
            "[www]\nlisten = /tmp/x.sock\npm = static\npm.max_children = 1\nslowlog = /tmp/s\nrequest_slowlog_timeout = 5s\nrequest_terminate_timeout = 2s\n", "f.conf"));
        Assert.Equal("[pool www] 'request_slowlog_timeout' (5) can't be greater than 'request_terminate_timeout' (2)", longer.Message);
    }

    [Fact]
    public void Unknown_php_only_keys_are_ignored_with_a_notice()
    {
        var text = FpmConfig.Render(new PoolSettings(), Paths, extraPoolLines: ["php_admin_value[error_log] = /tmp/php.log", "pm.frobnicate = 3"]);
        var config = FpmConfigFile.Parse(text, "f.conf");
        Assert.Contains(config.Notices, n => n.Contains("php_admin_value[error_log]") && n.StartsWith("[f.conf:"));
        Assert.Contains(config.Notices, n => n.Contains("unknown entry 'pm.frobnicate'"));
    }

    [Theory]
    [InlineData("pm.max_children = 0", "pm.max_children must be a positive value")]
    [InlineData("pm = sometimes", "invalid process manager")]
    [InlineData("pm.max_requests = lots", "unable to parse value for entry 'pm.max_requests'")]
    [InlineData("pm.max_spare_servers = 1\npm.min_spare_servers = 2", "must not be less than pm.min_spare_servers")]
    [InlineData("request_terminate_timeout = 5y", "unknown time unit")]
    public void Bad_values_are_config_errors_in_php_fpm_s_words(string lines, string message)
    {
        var text = FpmConfig.Render(new PoolSettings(), Paths) + lines + "\n";
        var e = Assert.Throws<FpmConfigException>(() => FpmConfigFile.Parse(text, "f.conf"));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void The_master_exits_78_on_a_bad_configuration()
    {
        TestPool.RequireBinaries();
        string dir = Directory.CreateTempSubdirectory("lab-pool-conf-").FullName;
        try
        {
            string conf = Path.Combine(dir, "bad.conf");
            File.WriteAllText(conf, FpmConfig.Render(new PoolSettings(), new FpmPaths(Path.Combine(dir, "p"), Path.Combine(dir, "l"), Path.Combine(dir, "s"))) + "pm.max_children = -2\n");
            var psi = new ProcessStartInfo(LabPaths.PoolMaster) { ArgumentList = { "--fpm-config", conf, "-F" }, RedirectStandardError = true, RedirectStandardOutput = true };
            using var p = Process.Start(psi)!;
            string err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.Equal(78, p.ExitCode);
            Assert.Contains("ERROR: [pool www] pm.max_children must be a positive value", err);
            Assert.Contains("ERROR: FPM initialization failed", err);
        }
        finally { Directory.Delete(dir, true); }
    }
}
