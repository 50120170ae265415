using Lab.Linux.Packages;

namespace Lab.PhpFpm.Tests;

/// <summary>The set-up of the real stack, with a fake command runner (no package is really installed).</summary>
public class PackageSetupTests
{
    private sealed class FakeApt : ICommandRunner
    {
        public readonly List<string> Commands = new();
        public HashSet<string> Known = new() { "php8.2-fpm", "nginx-light" };
        public bool KnownOnlyAfterUpdate;
        public int InstallExit;
        public Action? OnInstall;
        private bool _updated;

        public CommandResult Run(string program, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? timeout = null)
        {
            string line = Path.GetFileName(program) + " " + string.Join(' ', arguments);
            Commands.Add(line);
            Assert.Equal("noninteractive", environment?["DEBIAN_FRONTEND"]);
            if (arguments[0] == "show") return new CommandResult(Known.Contains(arguments[^1]) && (!KnownOnlyAfterUpdate || _updated) ? 0 : 100, "", "");
            if (arguments[0] == "update") { _updated = true; return new CommandResult(0, "", ""); }
            if (arguments[0] == "install")
            {
                if (InstallExit == 0) OnInstall?.Invoke();
                return new CommandResult(InstallExit, "", InstallExit == 0 ? "" : "E: Unable to locate package");
            }
            throw new InvalidOperationException(line);
        }
    }

    private static PackageNeed Need(string program, string neededBy, string package, Func<bool> present) =>
        new(program, neededBy, [package, program], () => present() ? "/usr/sbin/" + program : null, "on PATH");

    [Fact]
    public void Nothing_to_do_when_everything_is_there()
    {
        var apt = new FakeApt();
        var setup = new PackageSetup(apt, root: true, "/usr/bin/apt-get", "/usr/bin/apt-cache");
        Assert.Null(setup.Ensure([Need("php-fpm", "engine php-fpm", "php8.2-fpm", () => true)], _ => throw new InvalidOperationException()));
        Assert.Empty(apt.Commands);
    }

    [Fact]
    public void Not_root_prints_the_exact_command_and_installs_nothing()
    {
        var apt = new FakeApt();
        var setup = new PackageSetup(apt, root: false, "/usr/bin/apt-get", "/usr/bin/apt-cache");
        string? message = setup.Ensure(
            [Need("php-fpm", "engine php-fpm", "php8.2-fpm", () => false), Need("nginx", "front nginx", "nginx-light", () => false)], _ => { });
        Assert.NotNull(message);
        Assert.Contains("sudo apt-get install -y php8.2-fpm nginx-light", message);
        Assert.Contains("engine php-fpm needs php-fpm", message);
        Assert.Contains("front nginx needs nginx", message);
        Assert.Empty(apt.Commands);
    }

    [Fact]
    public void Without_apt_get_it_prints_the_command()
    {
        var setup = new PackageSetup(new FakeApt(), root: true, aptGet: null, aptCache: null);
        string? message = setup.Ensure([Need("php-fpm", "engine php-fpm", "php8.2-fpm", () => false)], _ => { });
        Assert.Contains("apt-get is not available", message);
        Assert.Contains("sudo apt-get install -y php8.2-fpm", message);
    }

    [Fact]
    public void As_root_it_installs_what_is_missing_with_a_progress_line()
    {
        bool installed = false;
        var apt = new FakeApt { OnInstall = () => installed = true };
        var setup = new PackageSetup(apt, root: true, "/usr/bin/apt-get", "/usr/bin/apt-cache");
        var progress = new List<string>();
        string? message = setup.Ensure(
            [Need("php-fpm", "engine php-fpm", "php8.2-fpm", () => installed), Need("nginx", "front nginx", "nginx-light", () => true)], progress.Add);
        Assert.Null(message);
        Assert.Equal(["installing php8.2-fpm (needed by engine php-fpm) ..."], progress);
        Assert.Equal(["apt-cache show --no-all-versions php8.2-fpm", "apt-get install -y -q php8.2-fpm"], apt.Commands);
    }

    [Fact]
    public void An_unknown_package_gets_apt_get_update_first()
    {
        bool installed = false;
        var apt = new FakeApt { KnownOnlyAfterUpdate = true, OnInstall = () => installed = true };
        var setup = new PackageSetup(apt, root: true, "/usr/bin/apt-get", "/usr/bin/apt-cache");
        var progress = new List<string>();
        Assert.Null(setup.Ensure([Need("nginx", "front nginx", "nginx-light", () => installed)], progress.Add));
        Assert.Contains("apt-get update -q", apt.Commands);
        Assert.True(apt.Commands.IndexOf("apt-get update -q") < apt.Commands.IndexOf("apt-get install -y -q nginx-light"));
        Assert.Equal(2, progress.Count);
    }

    [Fact]
    public void The_distributions_package_is_the_fallback()
    {
        bool installed = false;
        var apt = new FakeApt { Known = ["php-fpm"], OnInstall = () => installed = true };
        var setup = new PackageSetup(apt, root: true, "/usr/bin/apt-get", "/usr/bin/apt-cache");
        Assert.Null(setup.Ensure([Need("php-fpm", "engine php-fpm", "php8.2-fpm", () => installed)], _ => { }));
        Assert.Contains("apt-get install -y -q php-fpm", apt.Commands);
    }

    [Fact]
    public void A_failed_install_says_so_with_the_command_to_run_by_hand()
    {
        var apt = new FakeApt { InstallExit = 100 };
        var setup = new PackageSetup(apt, root: true, "/usr/bin/apt-get", "/usr/bin/apt-cache");
        string? message = setup.Ensure([Need("php-fpm", "engine php-fpm", "php8.2-fpm", () => false)], _ => { });
        Assert.NotNull(message);
        Assert.Contains("failed (exit 100)", message);
        Assert.Contains("Unable to locate package", message);
        Assert.Contains("sudo apt-get install -y php8.2-fpm", message);
    }

    [Fact]
    public void The_real_needs_name_the_debian_packages()
    {
        Assert.Equal("php8.2-fpm", PhpFpmInstall.Need.Packages[0]);
        Assert.Equal("nginx-light", Lab.Nginx.NginxInstall.Need.Packages[0]);
        Assert.Equal("engine php-fpm", PhpFpmInstall.Need.NeededBy);
    }
}
