using Lab.Core.Scenarios;
using Lab.Core.Status;

namespace Lab.Sim.Pool;

/// <summary>
/// The pool's scoreboard counters (php-src fpm_scoreboard.c): what php-fpm's status page shows
/// beside its processes. One per master incarnation: a restart starts a new master, a reload
/// re-executes the master, and both begin a fresh scoreboard, as php-fpm does. Its listen-queue
/// fields stay 0: php-fpm reads them from TCP_INFO, and the pool listens on a Unix socket
/// (Lab.Core.Sockets.ListenBacklog).
/// </summary>
internal sealed class Scoreboard(long startedAt)
{
    /// <summary>When this master (incarnation) started (µs of virtual time).</summary>
    public long StartedAt { get; } = startedAt;
    public long AcceptedConn { get; private set; }
    public int MaxActiveProcesses { get; private set; }
    public long SlowRequests { get; set; }

    /// <summary>A child accepted a connection; <paramref name="active"/> children are now serving.</summary>
    public void Accepted(int active)
    {
        AcceptedConn++;
        if (active > MaxActiveProcesses) MaxActiveProcesses = active;
    }

    /// <summary>The scoreboard with these slots; <paramref name="extraAccepted"/>: connections counted on top (a status request being served).</summary>
    public ScoreboardSnapshot Snapshot(PoolSettings pool, DateTime epochUtc, IReadOnlyList<SlotSnapshot> slots, long extraAccepted, long maxChildrenReached) =>
        new(pool.Name, pool.Pm, new DateTimeOffset(epochUtc.AddTicks(StartedAt * 10), TimeSpan.Zero).ToUnixTimeSeconds(),
            AcceptedConn + extraAccepted, ListenQueue: 0, MaxListenQueue: 0, ListenQueueLen: 0,
            MaxActiveProcesses, (int)maxChildrenReached, SlowRequests, slots);
}
