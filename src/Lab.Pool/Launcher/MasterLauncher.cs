namespace Lab.Pool.Launcher;

/// <summary>
/// Starts the lab's master as php-fpm would be started: `ps` shows "lab-fpm: master process
/// (CONFIG)", it leads its own process group, and it dies with the lab (see <see cref="MasterProcess"/>).
/// </summary>
public static class MasterLauncher
{
    public static MasterProcess Start(MasterLaunchOptions options) => MasterProcess.Start(options);

    /// <summary>Starts the master with the configuration file and the published binaries (LabPaths).</summary>
    public static MasterProcess Start(string configPath, string? outputPath = null) =>
        MasterProcess.Start(new MasterLaunchOptions { ConfigPath = configPath, OutputPath = outputPath });
}
