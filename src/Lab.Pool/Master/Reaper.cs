using Lab.Scoreboard.Interop;

namespace Lab.Pool.Master;

/// <summary>
/// Reaps children on a dedicated thread (php-fpm: SIGCHLD → fpm_children_bury): a blocking
/// waitpid(-1) that hands each (pid, status) to the callback. With no child it waits for
/// <see cref="ChildSpawned"/>.
/// </summary>
internal sealed class Reaper : IDisposable
{
    private readonly Action<int, int> _onExit;
    private readonly AutoResetEvent _spawned = new(false);
    private readonly Thread _thread;
    private volatile bool _stopping;

    public Reaper(Action<int, int> onExit)
    {
        _onExit = onExit;
        _thread = new Thread(Loop) { IsBackground = true, Name = "reaper" };
        _thread.Start();
    }

    public void ChildSpawned() => _spawned.Set();

    private void Loop()
    {
        while (!_stopping)
        {
            int pid = Native.waitpid(-1, out int status, Native.WUNTRACED); // stops too, as fpm_children_bury
            if (pid > 0) { _onExit(pid, status); continue; }
            int e = Native.Errno;
            if (e == Native.EINTR) continue;
            _spawned.WaitOne(200); // ECHILD: nothing to wait for yet
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _spawned.Set();
    }
}
