using Lab.Scoreboard;
using Lab.Scoreboard.Interop;

namespace Lab.Pool.Master;

// The scoreboard and the status counters the master keeps (php-src fpm_scoreboard.c,
// fpm_process_ctl.c's "update status structure", fpm_status.c): a fresh scoreboard per master
// incarnation (start, reload), mode 0600, handed to every child as fd 4; the listen-queue figures
// read as php-fpm 8.2 reads them (TCP_INFO, TCP sockets only: 0 on a Unix socket).
public sealed partial class FpmMaster
{
    private SharedScoreboard? _board;
    private int _generation;

    /// <summary>
    /// A new scoreboard beside the configuration (built aside and renamed into place), and the
    /// children's environment that goes with it. The previous one (a reload: its children are all
    /// gone) is removed.
    /// </summary>
    private void OpenScoreboard()
    {
        CloseScoreboards();
        string dir = Path.GetDirectoryName(Path.GetFullPath(_options.ConfigPath)) ?? Path.GetTempPath();
        string path = Path.Combine(dir, $"{PoolName}.scoreboard.{_pid}.{_generation++}");
        _board = SharedScoreboard.Create(path, PoolName, Settings.Pm, Settings.MaxChildren);
        _childEnv = ChildEnvironment();
    }

    /// <summary>"listen queue", "max listen queue", "listen queue len": TCP_INFO on a TCP socket; left at 0 on a Unix socket.</summary>
    private void UpdateListenQueue()
    {
        if (_listen is not null && ListenQueue.Read(_listen.Fd, _listen.IsUnix) is { } q) _board?.SetListenQueue(q.Queued, q.Size);
    }

    private void CloseScoreboards()
    {
        if (_board is not { } b) return;
        _board = null;
        try { File.Delete(b.Path); } catch (IOException) { }
        b.Dispose();
    }
}
