namespace Lab.Engines.Real;

/// <summary>
/// The run's private temporary folder (sockets, configs, pid and log files): a fresh random
/// name under /tmp, traversable but not listable by others (nginx and php-fpm workers running
/// as www-data must reach the pool's socket, itself 0660), removed when the run ends. Its files
/// are the run's own: written mode 0600 (<see cref="WriteFile"/>). A lab that was SIGKILLed
/// cannot remove its folder: the next run removes the folders whose owner process is gone.
/// </summary>
public sealed class PrivateTemp : IDisposable
{
    public string Path { get; }

    private const string OwnerFile = ".leaklab-owner";

    public PrivateTemp(string prefix = "leaklab-")
    {
        RemoveAbandoned(prefix);
        Path = Directory.CreateTempSubdirectory(prefix).FullName;
        WriteFile(System.IO.Path.Combine(Path, OwnerFile), $"{Environment.ProcessId} {StartTicks(Environment.ProcessId)}\n");
        File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
    }

    public string PathOf(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Writes a file of the run, mode 0600 (Lab.PhpFpm's PrivateFiles): nobody else reads or writes it.</summary>
    public static void WriteFile(string path, string text) => Lab.Linux.Processes.PrivateFiles.Write(path, text);

    /// <summary>The start time of a process, to tell a reused pid apart; null if it is gone.</summary>
    private static string? StartTicks(int pid) => Lab.Linux.Proc.Proc.StartTicks(pid)?.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Removes earlier runs' folders whose lab process no longer exists (a SIGKILLed lab); returns the folders removed.</summary>
    public static IReadOnlyList<string> RemoveAbandoned(string prefix = "leaklab-")
    {
        var removed = new List<string>();
        try
        {
            foreach (var dir in Directory.EnumerateDirectories(System.IO.Path.GetTempPath(), prefix + "*"))
            {
                string owner = System.IO.Path.Combine(dir, OwnerFile);
                if (!System.IO.File.Exists(owner)) continue;
                var parts = System.IO.File.ReadAllText(owner).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                if (parts.Length < 2 || !int.TryParse(parts[0], out int pid)) continue;
                if (StartTicks(pid) == parts[1]) continue; // still running
                try { Directory.Delete(dir, recursive: true); removed.Add(dir); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return removed;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
