using System.Globalization;

namespace Lab.Worker;

/// <summary>
/// What the master tells a child, through its environment (php-fpm's children inherit this from
/// the fork; ours get it at exec):
/// <list type="table">
/// <item><term>LISTEN_FDS</term><description>1: the pool's listening socket is fd 3 (systemd style; LISTEN_PID is checked when present)</description></item>
/// <item><term>LAB_FPM_MAX_REQUESTS</term><description>pm.max_requests; 0 = unlimited</description></item>
/// <item><term>LAB_FPM_MEMORY_LIMIT</term><description>memory_limit in bytes; -1 = unlimited</description></item>
/// <item><term>LAB_FPM_STATUS_PATH</term><description>pm.status_path (empty: no status page)</description></item>
/// <item><term>LAB_FPM_SCOREBOARD_FD, LAB_FPM_SLOT</term><description>the scoreboard (a descriptor inherited from the master, 4) and this child's slot</description></item>
/// <item><term>LAB_FPM_MASTER_PID</term><description>the master; the child exits at once if its parent is already another process</description></item>
/// <item><term>LAB_FPM_LIFE</term><description>the pool's fork number of this child (its [recycle] jitter draw)</description></item>
/// <item><term>LAB_RECYCLE</term><description>the lab's [recycle] rules and seed (Lab.Core's RecycleEnvironment); absent: php-fpm's pm.max_requests alone</description></item>
/// <item><term>LAB_FPM_CODE_FD</term><description>"5;BYTES": the shared code the master made (request.code), a descriptor inherited as 5, and its size (absent: none)</description></item>
/// <item><term>LAB_FPM_UID, LAB_FPM_GID</term><description>drop to this user/group (master running as root with user/group set)</description></item>
/// </list>
/// </summary>
internal sealed record WorkerSettings
{
    public const int ListenFd = 3;

    public int MaxRequests { get; init; }
    public long MemoryLimitBytes { get; init; } = 128L * 1024 * 1024;
    public string StatusPath { get; init; } = "";
    /// <summary>The inherited scoreboard descriptor; null: none (a worker run by hand).</summary>
    public int? ScoreboardFd { get; init; }
    public int Slot { get; init; }
    /// <summary>The pool's fork number of this child.</summary>
    public long Life { get; init; }
    /// <summary>The recycling rules (php-fpm's pm.max_requests, and the lab's [recycle] when set).</summary>
    public Lab.Core.ProcessManager.Recycling Recycling { get; init; } = Lab.Core.ProcessManager.Recycling.PhpFpm;
    public int MasterPid { get; init; }
    public int? CodeFd { get; init; }
    public long CodeBytes { get; init; }
    public uint? Uid { get; init; }
    public uint? Gid { get; init; }

    public static WorkerSettings FromEnvironment()
    {
        static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;
        static long Long(string name, long fallback) =>
            Env(name) is { } v && long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long x) ? x : fallback;

        if (Env("LISTEN_FDS") is { } fds && fds != "1")
            throw new InvalidOperationException($"LISTEN_FDS={fds}: exactly one listening socket (fd 3) is expected");
        return new WorkerSettings
        {
            MaxRequests = (int)Long("LAB_FPM_MAX_REQUESTS", 0),
            MemoryLimitBytes = Long("LAB_FPM_MEMORY_LIMIT", 128L * 1024 * 1024),
            StatusPath = Env("LAB_FPM_STATUS_PATH") ?? "",
            ScoreboardFd = Env("LAB_FPM_SCOREBOARD_FD") is not null ? (int)Long("LAB_FPM_SCOREBOARD_FD", -1) : null,
            Slot = (int)Long("LAB_FPM_SLOT", 0),
            Life = Long("LAB_FPM_LIFE", 0),
            Recycling = Lab.Core.ProcessManager.RecycleEnvironment.Parse(Env(Lab.Core.ProcessManager.RecycleEnvironment.Variable)),
            MasterPid = (int)Long("LAB_FPM_MASTER_PID", 0),
            CodeFd = Env("LAB_FPM_CODE_FD") is { } c && int.TryParse(c.Split(';')[0], NumberStyles.None, CultureInfo.InvariantCulture, out int cfd) ? cfd : null,
            CodeBytes = Env("LAB_FPM_CODE_FD") is { } cb && cb.Split(';') is [_, var bytes] && long.TryParse(bytes, NumberStyles.None, CultureInfo.InvariantCulture, out long b) ? b : 0,
            Uid = Env("LAB_FPM_UID") is not null ? (uint)Long("LAB_FPM_UID", 0) : null,
            Gid = Env("LAB_FPM_GID") is not null ? (uint)Long("LAB_FPM_GID", 0) : null,
        };
    }
}
