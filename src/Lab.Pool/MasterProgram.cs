using System.Globalization;
using Lab.Core.Logging;
using Lab.Core.Records;
using Lab.Pool.Config;
using Lab.Pool.Interop;
using Lab.Scoreboard.Interop;
using Lab.Pool.Master;

namespace Lab.Pool;

/// <summary>
/// The master's command line, like php-fpm's:
/// <c>Lab.Pool --fpm-config FILE [-F] [-t] [--worker PATH]</c> (also <c>-y FILE</c>).
/// The launcher passes the same through the environment (LAB_FPM_CONFIG, LAB_WORKER,
/// LAB_FPM_PARENT_PID) so that argv is only the title "lab-fpm: master process (FILE)".
/// </summary>
public static class MasterProgram
{
    public const string Usage = """
        Usage: Lab.Pool [-F] [-t] --fpm-config FILE [--worker PATH]

          -y, --fpm-config FILE  the php-fpm configuration (the INI text Lab.Core.Php.FpmConfig.Render writes)
          -F, --nodaemonize      stay in the foreground (the lab's master always does)
          -t, --test             test the configuration and exit
          --worker PATH          the child executable (default: $LAB_WORKER, else Lab.Worker next to this binary)
          -h, --help             this help

        Signals: SIGTERM/SIGINT terminate, SIGQUIT finish gracefully, SIGUSR2 reload the configuration,
        SIGUSR1 reopen the log. Exit codes: 0 ok, 64 usage, 70 software error, 78 configuration error.
        """;

    public static int Run(string[] args)
    {
        string? config = Env("LAB_FPM_CONFIG"), worker = null;
        bool test = false;
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            string? Next() => i + 1 < args.Length ? args[++i] : null;
            switch (a)
            {
                case "-y" or "--fpm-config": config = Next(); break;
                case "--worker": worker = Next(); break;
                case "-F" or "--nodaemonize" or "-D" or "--daemonize": break;
                case "-t" or "--test": test = true; break;
                case "-h" or "--help" or "-?": Console.Out.WriteLine(Usage); return 0;
                default:
                    if (a.StartsWith("--fpm-config=", StringComparison.Ordinal)) config = a["--fpm-config=".Length..];
                    else if (a.StartsWith("--worker=", StringComparison.Ordinal)) worker = a["--worker=".Length..];
                    else { Stderr($"unknown option '{a}'"); Console.Error.WriteLine(Usage); return 64; }
                    break;
            }
        }
        if (config is null) { Stderr("no configuration file: use --fpm-config FILE"); Console.Error.WriteLine(Usage); return 64; }

        // Die with whoever launched us (the lab): SIGTERM on its death, then the race check.
        Native.prctl(Native.PR_SET_PDEATHSIG, Native.SIGTERM, 0, 0, 0);
        int expectedParent = int.TryParse(Env("LAB_FPM_PARENT_PID"), NumberStyles.None, CultureInfo.InvariantCulture, out int pp) ? pp : 0;
        if (expectedParent != 0 && Native.getppid() != expectedParent) return 70;
        // Our own process group: the children are in it, and the lab can end the pool as a group.
        if (Native.getpgrp() != Environment.ProcessId) Native.setpgid(0, 0);
        Native.SetName("lab-fpm");

        FpmConfiguration configuration;
        try { configuration = FpmConfigFile.Load(config); }
        catch (FpmConfigException e)
        {
            Stderr(e.Message);
            Stderr("FPM initialization failed");
            return FpmConfigException.ExitCode;
        }
        if (test)
        {
            Console.Error.WriteLine(FpmMessages.FormatLine(DateTime.Now, FpmLogLevel.Notice, $"configuration file {config} test is successful"));
            return 0;
        }

        worker ??= Env("LAB_WORKER") ?? Path.Combine(Path.GetDirectoryName(Environment.ProcessPath) ?? ".", "Lab.Worker");
        if (!File.Exists(worker))
        {
            Stderr($"the worker executable '{worker}' does not exist (publish src/Lab.Worker, or give --worker PATH)");
            return 70;
        }
        using var master = new FpmMaster(new MasterOptions
        {
            ConfigPath = Path.GetFullPath(config), WorkerPath = Path.GetFullPath(worker), ExpectedParentPid = expectedParent,
        }, configuration);
        return master.Run();
    }

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;

    private static void Stderr(string message) =>
        Console.Error.WriteLine(FpmMessages.FormatLine(DateTime.Now, FpmLogLevel.Error, message));
}
