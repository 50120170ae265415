namespace Lab.Sim.Pool;

/// <summary>
/// The pool's scoreboard (php-src fpm_scoreboard.c): the counters php-fpm's status page shows.
/// One per master incarnation: a restart starts a new master, a reload re-executes the master,
/// and both begin a fresh scoreboard, as php-fpm does.
/// Unlike php-fpm, whose "listen queue" figures come from the socket's TCP_INFO once a second
/// (and are 0 for a Unix socket), the model counts the queue exactly at every connection.
/// </summary>
internal sealed class Scoreboard(long startedAt, int listenQueueLen)
{
    /// <summary>When this master (incarnation) started (µs of virtual time).</summary>
    public long StartedAt { get; } = startedAt;
    public int ListenQueueLen { get; } = listenQueueLen;
    public long AcceptedConn { get; private set; }
    public long MaxListenQueue { get; private set; }
    public long MaxActiveProcesses { get; private set; }
    public long SlowRequests { get; set; }

    /// <summary>A child accepted a connection; <paramref name="active"/> children are now serving.</summary>
    public void Accepted(int active)
    {
        AcceptedConn++;
        if (active > MaxActiveProcesses) MaxActiveProcesses = active;
    }

    public void QueueLength(int length)
    {
        if (length > MaxListenQueue) MaxListenQueue = length;
    }

    /// <summary>
    /// The status page's numeric fields, with php-fpm's names. "max children reached" is the
    /// process manager's own count (ProcessManagerPolicy.MaxChildrenReached), which lives and
    /// resets with this scoreboard (a new master, a reload).
    /// </summary>
    public Dictionary<string, long> Snapshot(DateTime epochUtc, long now, int listenQueue, int idle, int active, int total, long maxChildrenReached) => new()
    {
        ["start time"] = new DateTimeOffset(epochUtc.AddTicks(StartedAt * 10), TimeSpan.Zero).ToUnixTimeSeconds(),
        ["start since"] = (now - StartedAt) / 1_000_000,
        ["accepted conn"] = AcceptedConn,
        ["listen queue"] = listenQueue,
        ["max listen queue"] = MaxListenQueue,
        ["listen queue len"] = ListenQueueLen,
        ["idle processes"] = idle,
        ["active processes"] = active,
        ["total processes"] = total,
        ["max active processes"] = MaxActiveProcesses,
        ["max children reached"] = maxChildrenReached,
        ["slow requests"] = SlowRequests,
    };
}
