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
/// <item><term>LAB_FPM_SCOREBOARD, LAB_FPM_SLOT</term><description>the scoreboard file and this child's slot</description></item>
/// <item><term>LAB_FPM_MASTER_PID</term><description>the master; the child exits at once if its parent is already another process</description></item>
/// <item><term>LAB_FPM_CODE</term><description>the shared code file the master created (request.code; empty: none)</description></item>
/// <item><term>LAB_FPM_UID, LAB_FPM_GID</term><description>drop to this user/group (master running as root with user/group set)</description></item>
/// </list>
/// </summary>
internal sealed record WorkerSettings
{
    public const int ListenFd = 3;

    public int MaxRequests { get; init; }
    public long MemoryLimitBytes { get; init; } = 128L * 1024 * 1024;
    public string StatusPath { get; init; } = "";
    public string? Scoreboard { get; init; }
    public int Slot { get; init; }
    public int MasterPid { get; init; }
    public string? Code { get; init; }
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
            Scoreboard = Env("LAB_FPM_SCOREBOARD"),
            Slot = (int)Long("LAB_FPM_SLOT", 0),
            MasterPid = (int)Long("LAB_FPM_MASTER_PID", 0),
            Code = Env("LAB_FPM_CODE"),
            Uid = Env("LAB_FPM_UID") is not null ? (uint)Long("LAB_FPM_UID", 0) : null,
            Gid = Env("LAB_FPM_GID") is not null ? (uint)Long("LAB_FPM_GID", 0) : null,
        };
    }
}
