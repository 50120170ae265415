using Lab.Core.Randomness;
using Lab.Core.Records;
using Lab.Core.Scenarios;

namespace Lab.Core.ProcessManager;

/// <summary>A child as the master's recycling check reads it: its RSS now, its age, whether it is already on its way out.</summary>
public readonly record struct RecycleView(int Pid, double StartedAt, long RssKb, bool Ending = false);

/// <summary>A child the master's recycling check ends: the signal (SIGKILL for kill_rss, SIGQUIT for pool_budget) and why.</summary>
public readonly record struct RecycleKill(int Pid, int Signal, ExitCause Why);

/// <summary>
/// When a child is recycled: php-fpm's one rule (fpm_main.c's request loop: the child exits with
/// code 0 after its pm.max_requests-th request) and the [recycle] rules of the other pre-fork
/// servers (<see cref="RecycleSettings"/>), written once for the simulator, the dotnet master and
/// the dotnet worker. Without [recycle] it is exactly php-fpm's rule.
/// <list type="bullet">
/// <item>jitter: gunicorn/workers/base.py, Worker.__init__: <c>self.max_requests = cfg.max_requests + randint(0, cfg.max_requests_jitter)</c>, once per worker life (gunicorn PR #862).</item>
/// <item>delta: uWSGI core/utils.c, uwsgi_close_request: <c>delta_requests &gt;= max_requests + (mywid - 1) * max_requests_delta</c>.</item>
/// <item>max_rss / max_uss: uWSGI core/utils.c, uwsgi_close_request: <c>reload_on_rss &amp;&amp; rss &gt;= reload_on_rss</c> → goodbye_cruel_world() (graceful, after the request); php-src issue #17661 (pm.max_memory, proposed).</item>
/// <item>min_lifetime: uWSGI core/utils.c: every check above also needs <c>end_of_request - last_spawn &gt;= min_worker_lifetime</c>.</item>
/// <item>kill_rss: uWSGI core/master_checks.c: <c>rss_size &gt;= evil_reload_on_rss</c> → "*** EVIL RELOAD ON WORKER ... ***", kill(pid, SIGKILL); checked every mem-collector-freq (3 s, core/uwsgi.c).</item>
/// <item>pool_budget: puma_worker_killer (lib/puma_worker_killer/puma_memory.rb, reaper.rb): when master + workers pass the ram budget, term_largest_worker (a graceful TERM; here php-fpm's graceful SIGQUIT).</item>
/// </list>
/// </summary>
public sealed class Recycling
{
    public const int SIGQUIT = 3, SIGKILL = 9;

    private readonly RecycleSettings _rules;
    private readonly ulong _seed;

    public Recycling(RecycleSettings rules, ulong seed)
    {
        _rules = rules;
        _seed = seed;
    }

    /// <summary>php-fpm's own recycling: pm.max_requests, nothing else.</summary>
    public static readonly Recycling PhpFpm = new(new RecycleSettings(), 0);

    public RecycleSettings Rules => _rules;

    /// <summary>
    /// The request limit of one child's life: pm.max_requests (0 = unlimited stays unlimited, as in
    /// gunicorn and uWSGI), + (worker − 1) × delta, + a jitter drawn from the seed for this life.
    /// <paramref name="worker"/> is 1-based (scoreboard slot + 1, uWSGI's mywid); <paramref name="life"/>
    /// numbers the pool's forks from 0, so every engine draws the same limits in the same order.
    /// </summary>
    public long RequestLimit(int maxRequests, int worker, long life)
    {
        if (maxRequests <= 0) return 0;
        long limit = maxRequests + (long)Math.Max(0, worker - 1) * _rules.Delta;
        if (_rules.Jitter > 0)
            limit += (long)(LabRandom.Hash(_seed, LabRandom.Streams.RecycleJitter, (ulong)life) % (ulong)(_rules.Jitter + 1));
        return limit;
    }

    /// <summary>Does the child need its RSS (or USS) after each request?</summary>
    public bool ChildReadsRss => _rules.MaxRssBytes > 0;
    public bool ChildReadsUss => _rules.MaxUssBytes > 0;

    /// <summary>
    /// A child has finished a request (its <paramref name="served"/>-th, <paramref name="ageSeconds"/> after
    /// its fork; <paramref name="rssKb"/>/<paramref name="ussKb"/> read after it, -1 = not read): does it exit
    /// now with code 0, and by which rule? <see cref="ExitCause.None"/>: it serves on.
    /// </summary>
    public ExitCause AfterRequest(long served, long limit, double ageSeconds, long rssKb = -1, long ussKb = -1)
    {
        if (_rules.MinLifetime > TimeSpan.Zero && ageSeconds < _rules.MinLifetime.TotalSeconds) return ExitCause.None;
        if (limit > 0 && served >= limit) return ExitCause.MaxRequests;
        if (_rules.MaxRssBytes > 0 && rssKb >= 0 && rssKb * 1024 >= _rules.MaxRssBytes) return ExitCause.MaxRss;
        if (_rules.MaxUssBytes > 0 && ussKb >= 0 && ussKb * 1024 >= _rules.MaxUssBytes) return ExitCause.MaxUss;
        return ExitCause.None;
    }

    /// <summary>The master's timer checks (kill_rss, pool_budget); null when none is set.</summary>
    public TimeSpan? CheckInterval => _rules.MasterChecks ? _rules.CheckInterval : null;

    /// <summary>
    /// The master's check: every child at or past kill_rss is SIGKILLed (uWSGI's evil reload, not held
    /// back by min_lifetime); then, if the pool's total (master + children not already ending) still
    /// passes pool_budget, the largest remaining child is ended gracefully (one per check, as
    /// puma_worker_killer's reaper does).
    /// </summary>
    public List<RecycleKill> Check(IReadOnlyList<RecycleView> children, long masterRssKb)
    {
        var kills = new List<RecycleKill>();
        long totalKb = masterRssKb;
        foreach (var c in children) if (!c.Ending) totalKb += c.RssKb;
        if (_rules.KillRssBytes > 0)
            foreach (var c in children)
                if (!c.Ending && c.RssKb * 1024 >= _rules.KillRssBytes)
                {
                    kills.Add(new RecycleKill(c.Pid, SIGKILL, ExitCause.KillRss));
                    totalKb -= c.RssKb;
                }
        if (_rules.PoolBudgetBytes > 0 && totalKb * 1024 > _rules.PoolBudgetBytes)
        {
            RecycleView? largest = null;
            foreach (var c in children)
                if (!c.Ending && !kills.Exists(k => k.Pid == c.Pid) && (largest is null || c.RssKb > largest.Value.RssKb)) largest = c;
            if (largest is { } victim) kills.Add(new RecycleKill(victim.Pid, SIGQUIT, ExitCause.PoolBudget));
        }
        return kills;
    }
}
