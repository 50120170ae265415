namespace Lab.Linux.Processes;

/// <summary>The files of a run are the run's own: written mode 0600, whatever the umask, so no other local user reads or rewrites them.</summary>
public static class PrivateFiles
{
    public const UnixFileMode Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Writes (or rewrites) a file, mode 0600: created so, and set so when it existed.</summary>
    public static void Write(string path, string text)
    {
        using (var stream = new FileStream(path, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = Mode }))
        using (var writer = new StreamWriter(stream))
            writer.Write(text);
        File.SetUnixFileMode(path, Mode);
    }
}
