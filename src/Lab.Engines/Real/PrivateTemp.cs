namespace Lab.Engines.Real;

/// <summary>
/// The run's private temporary folder (sockets, configs, pid and log files): a fresh random
/// name under /tmp, traversable but not listable by others (nginx and php-fpm workers running
/// as www-data must reach the socket), removed when the run ends.
/// </summary>
public sealed class PrivateTemp : IDisposable
{
    public string Path { get; }

    public PrivateTemp(string prefix = "leaklab-")
    {
        Path = Directory.CreateTempSubdirectory(prefix).FullName;
        File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
    }

    public string PathOf(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
