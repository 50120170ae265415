namespace Lab.Core.Scenarios;

/// <summary>
/// The scenario's [recycle] section: recycling rules php-fpm does NOT have, taken from the other
/// pre-fork servers so they can be put side by side with php-fpm's one rule (pm.max_requests,
/// which stays in [pool]). The simulator and the dotnet engine carry them out; the php-fpm
/// engine refuses them (Lab.Scenarios). Each rule's decision is Lab.Core's
/// <see cref="ProcessManager.Recycling"/>. Sizes in bytes, 0 = off.
/// </summary>
public sealed record RecycleSettings
{
    /// <summary>gunicorn's max_requests_jitter: each child's limit is max_requests + a random 0..jitter, drawn once per life.</summary>
    public int Jitter { get; init; }
    /// <summary>uWSGI's max-requests-delta: worker i's limit is max_requests + (i − 1) × delta (i = its scoreboard slot + 1).</summary>
    public int Delta { get; init; }
    /// <summary>uWSGI's reload-on-rss (php-src #17661's pm.max_memory): after a request, a child whose RSS is at least this exits (graceful: the request completed).</summary>
    public long MaxRssBytes { get; init; }
    /// <summary>As <see cref="MaxRssBytes"/>, on the child's USS (its private memory).</summary>
    public long MaxUssBytes { get; init; }
    /// <summary>uWSGI's evil-reload-on-rss: every <see cref="CheckInterval"/> the master SIGKILLs a child whose RSS is at least this (its request in flight fails).</summary>
    public long KillRssBytes { get; init; }
    /// <summary>puma_worker_killer's ram: every <see cref="CheckInterval"/>, when the pool's total RSS (master and children) passes this, the master ends the largest child gracefully (SIGQUIT).</summary>
    public long PoolBudgetBytes { get; init; }
    /// <summary>How often the master checks kill_rss and pool_budget (uWSGI's mem-collector-freq, 3 s when evil reloads are on).</summary>
    public TimeSpan CheckInterval { get; init; } = TimeSpan.FromSeconds(3);
    /// <summary>uWSGI's min-worker-lifetime: a child younger than this is not recycled by max_requests, max_rss or max_uss (it serves on); 0 = off.</summary>
    public TimeSpan MinLifetime { get; init; }

    /// <summary>Any rule set (the php-fpm engine refuses a scenario that sets one).</summary>
    public bool Any => Jitter > 0 || Delta > 0 || MaxRssBytes > 0 || MaxUssBytes > 0 || KillRssBytes > 0 || PoolBudgetBytes > 0 || MinLifetime > TimeSpan.Zero;

    /// <summary>A rule the master checks on a timer (kill_rss, pool_budget).</summary>
    public bool MasterChecks => KillRssBytes > 0 || PoolBudgetBytes > 0;

    /// <summary>The child reads its own memory after each request (max_rss, max_uss).</summary>
    public bool ChildChecksMemory => MaxRssBytes > 0 || MaxUssBytes > 0;
}
