using Lab.Core.ProcessManager;
using Lab.Core.Records;
using Lab.Core.Scenarios;

namespace Lab.Core.Tests;

/// <summary>Lab.Core's Recycling: php-fpm's pm.max_requests and the [recycle] rules of gunicorn, uWSGI and puma_worker_killer.</summary>
public class RecyclingTests
{
    [Fact]
    public void Without_recycle_rules_it_is_php_fpms_max_requests()
    {
        var r = Recycling.PhpFpm;
        Assert.Equal(5, r.RequestLimit(5, worker: 3, life: 17));
        Assert.Equal(0, r.RequestLimit(0, 1, 0));
        Assert.Equal(ExitCause.None, r.AfterRequest(4, 5, 0.1));
        Assert.Equal(ExitCause.MaxRequests, r.AfterRequest(5, 5, 0.1));
        Assert.Equal(ExitCause.None, r.AfterRequest(1_000_000, 0, 0.1)); // 0 = unlimited
        Assert.Null(r.CheckInterval);
        Assert.Empty(r.Check([new RecycleView(1, 0, 1 << 30)], 1 << 20));
    }

    [Fact]
    public void Jitter_is_drawn_once_per_life_from_the_seed_uniform_over_0_to_jitter()
    {
        var r = new Recycling(new RecycleSettings { Jitter = 250 }, seed: 7);
        var limits = Enumerable.Range(0, 20_000).Select(life => r.RequestLimit(375, 1, life)).ToList();
        Assert.All(limits, l => Assert.InRange(l, 375, 625));
        Assert.Equal(251, limits.Distinct().Count());
        Assert.Equal(500, limits.Average(), 3.0);                               // the same mean as max_requests = 500
        Assert.Equal(limits, Enumerable.Range(0, 20_000).Select(life => new Recycling(new RecycleSettings { Jitter = 250 }, 7).RequestLimit(375, 1, life)));
        Assert.NotEqual(limits, Enumerable.Range(0, 20_000).Select(life => new Recycling(new RecycleSettings { Jitter = 250 }, 8).RequestLimit(375, 1, life)));
        Assert.Equal(0, r.RequestLimit(0, 1, 3)); // unlimited stays unlimited (gunicorn: max_requests 0 disables it)
    }

    [Fact]
    public void Delta_adds_worker_minus_one_times_delta()
    {
        var r = new Recycling(new RecycleSettings { Delta = 30 }, 1);
        Assert.Equal([100, 130, 160, 190], Enumerable.Range(1, 4).Select(w => r.RequestLimit(100, w, life: w * 7)));
    }

    [Fact]
    public void Max_rss_and_max_uss_exit_after_the_request_and_min_lifetime_holds_every_child_rule()
    {
        var r = new Recycling(new RecycleSettings { MaxRssBytes = 100L << 20, MaxUssBytes = 80L << 20, MinLifetime = TimeSpan.FromSeconds(10) }, 1);
        Assert.Equal(ExitCause.None, r.AfterRequest(3, 0, 11, rssKb: 99 * 1024, ussKb: 79 * 1024));
        Assert.Equal(ExitCause.MaxRss, r.AfterRequest(3, 0, 11, rssKb: 100 * 1024, ussKb: 10));
        Assert.Equal(ExitCause.MaxUss, r.AfterRequest(3, 0, 11, rssKb: 10, ussKb: 80 * 1024));
        Assert.Equal(ExitCause.None, r.AfterRequest(3, 0, 9.9, rssKb: 200 * 1024, ussKb: 200 * 1024)); // too young
        Assert.Equal(ExitCause.None, r.AfterRequest(50, 5, 9.9));                                          // too young for max_requests too
        Assert.Equal(ExitCause.MaxRequests, r.AfterRequest(50, 5, 10));
        Assert.Equal(ExitCause.None, r.AfterRequest(3, 0, 11, rssKb: -1, ussKb: -1));                    // not read: no decision
        Assert.True(r.ChildReadsRss && r.ChildReadsUss);
    }

    [Fact]
    public void The_masters_check_sigkills_past_kill_rss_and_ends_the_largest_gracefully_past_the_budget()
    {
        var r = new Recycling(new RecycleSettings { KillRssBytes = 50L << 20, PoolBudgetBytes = 100L << 20 }, 1);
        Assert.Equal(TimeSpan.FromSeconds(3), r.CheckInterval); // uWSGI's mem-collector-freq
        RecycleView C(int pid, long mb, bool ending = false) => new(pid, 0, mb * 1024, ending);

        var kills = r.Check([C(1, 20), C(2, 60), C(3, 30), C(4, 35)], masterRssKb: 10 * 1024);
        // 2 is past kill_rss: SIGKILL; without it the pool is 10 + 20 + 30 + 35 = 95 M ≤ 100 M: nothing else
        Assert.Equal([new RecycleKill(2, Recycling.SIGKILL, ExitCause.KillRss)], kills);

        kills = r.Check([C(1, 20), C(2, 40), C(3, 30), C(4, 35)], masterRssKb: 10 * 1024);
        // 135 M > 100 M: the largest (2) gets SIGQUIT, one a check
        Assert.Equal([new RecycleKill(2, Recycling.SIGQUIT, ExitCause.PoolBudget)], kills);

        // a child already on its way out neither counts nor is chosen again
        kills = r.Check([C(1, 20), C(2, 40, ending: true), C(3, 30), C(4, 35)], masterRssKb: 10 * 1024);
        Assert.Empty(kills);
    }

    [Fact]
    public void The_environment_carries_the_rules_and_seed_to_the_dotnet_processes()
    {
        var rules = new RecycleSettings { Jitter = 3, Delta = 4, MaxRssBytes = 5, MaxUssBytes = 6, KillRssBytes = 7, PoolBudgetBytes = 8,
            CheckInterval = TimeSpan.FromMilliseconds(1500), MinLifetime = TimeSpan.FromSeconds(2) };
        var back = RecycleEnvironment.Parse(RecycleEnvironment.Format(rules, 99));
        Assert.Equal(rules, back.Rules);
        var direct = new Recycling(rules, 99);
        Assert.Equal(Enumerable.Range(0, 50).Select(l => direct.RequestLimit(10, 2, l)), Enumerable.Range(0, 50).Select(l => back.RequestLimit(10, 2, l)));
        Assert.Same(Recycling.PhpFpm, RecycleEnvironment.Parse(null));
        Assert.Throws<FormatException>(() => RecycleEnvironment.Parse("jitter=1;bogus=2"));
    }
}
