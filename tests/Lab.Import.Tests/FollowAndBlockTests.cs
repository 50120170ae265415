using Lab.Core.Records;
using Lab.Import.Following;

namespace Lab.Import.Tests;

/// <summary>How blocks are told apart, and what following PIDs across them finds.</summary>
public class FollowAndBlockTests
{
    private static string M(int pid, long rss = 16008) => $"root     {pid,5}  0.0  0.1  60284 {rss,5} ?        Ss   04:32   0:00 php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)";
    private static string C(int pid, long rss) => $"www-data {pid,5}  0.0  0.1  62364 {rss,5} ?        S    04:32   0:00 php-fpm: pool www";
    private const string Prompt = "[root@lab ~]# ps aux | grep php";

    private static string Log(params string[][] blocks) => string.Join("\n", blocks.SelectMany(b => new[] { Prompt }.Concat(b))) + "\n";

    private static List<PoolEvent> Events(FollowedRun run) => run.Ticks.SelectMany(t => t.Events).ToList();

    [Fact]
    public void A_child_that_vanishes_without_replacement_is_gone()
    {
        var run = Imports.FromText(Log([M(900), C(901, 9000), C(902, 9100)], [M(900), C(901, 9500)], [M(900), C(901, 9900)])).Run;
        Assert.Equal([new PoolEvent(1, EventNames.Exit, 902, "unknown;gone")], Events(run));
        Assert.Equal(1, run.Stats.Gone);
        Assert.Equal(0, run.Stats.Replaced);
        Assert.Equal((1, 2), (run.Stats.MinChildren, run.Stats.MaxChildren));
    }

    [Fact]
    public void The_pool_s_settings_are_unknown_not_inferred_and_the_file_still_parses()
    {
        var imported = Imports.FromText(Log([M(900), C(901, 9000), C(902, 9100)], [M(900), C(901, 9500)], [M(900), C(901, 9900), C(903, 7000), C(904, 7000)]));
        Lab.Scenarios.ScenarioLoader.Parse(imported.ScenarioToml, "scenario.toml", imported.Name, []); // runnable (defaults stand in)
        Assert.Contains("# pm: unknown (the log does not say)", imported.ScenarioToml);
        Assert.Contains("# max_children: unknown (the log does not say)", imported.ScenarioToml);
        Assert.Contains("# max_requests: unknown (the log does not say)", imported.ScenarioToml);
        Assert.DoesNotContain("\nmax_requests = ", imported.ScenarioToml);
        Assert.Contains("pool.max_requests", imported.Info.Unknown);
        Assert.Contains("pool.pm", imported.Info.Unknown);
    }

    [Fact]
    public void Two_children_replaced_in_one_block_are_gone_cause_unknown_the_third_new_one_appeared()
    {
        var run = Imports.FromText(Log([M(900), C(901, 9000), C(902, 9100)], [M(900), C(910, 7000), C(911, 7100), C(912, 7200)])).Run;
        Assert.Equal(
        [
            new PoolEvent(1, EventNames.Exit, 901, "unknown;gone"),
            new PoolEvent(1, EventNames.Exit, 902, "unknown;gone"),
            new PoolEvent(1, EventNames.Spawn, 910, "respawn"),
            new PoolEvent(1, EventNames.Spawn, 911, "respawn"),
            new PoolEvent(1, EventNames.Spawn, 912, "appeared"),
        ], Events(run));
        Assert.Equal((2, 2), (run.Stats.Gone, run.Stats.Replaced));
        Assert.Equal(3, run.Stats.Spawns);
    }

    [Fact]
    public void A_new_master_is_a_restart_and_its_children_are_not_recycles()
    {
        var run = Imports.FromText(Log([M(900), C(901, 30000)], [M(950, 15000), C(951, 3000)], [M(950, 15000), C(951, 6000)])).Run;
        Assert.Equal(
        [
            new PoolEvent(1, EventNames.Stop, 900, "unknown;gone"),
            new PoolEvent(1, EventNames.Exit, 901, "unknown;restart"),
            new PoolEvent(1, EventNames.Restart, 950, "master 900 replaced by 950"),
            new PoolEvent(1, EventNames.Start, 950, "restart"),
            new PoolEvent(1, EventNames.Spawn, 951, "restart"),
        ], Events(run));
        Assert.Equal((1, 0, 0), (run.Stats.Restarts, run.Stats.Replaced, run.Stats.Gone));
        Assert.Equal([900, 950], run.Stats.MasterPids);
        var child = run.Ticks[1].NewProcesses.Single(p => p.Pid == 951);
        Assert.Equal(950, child.ParentPid);
    }

    [Fact]
    public void A_block_with_only_the_grep_line_means_php_fpm_was_down()
    {
        string text = Log([M(900), C(901, 9000)], ["root      990  0.0  0.0   3892  1956 ?        S    04:32   0:00 grep php"], [M(995), C(996, 7000)]);
        var log = Imports.FromText(text).Log;
        Assert.Equal([2, 0, 2], log.Blocks.Select(b => b.Processes.Count));
        var events = Events(Imports.FromText(text).Run);
        Assert.Contains(new PoolEvent(1, EventNames.Stop, 900, "unknown;gone"), events);
        Assert.Contains(new PoolEvent(1, EventNames.Exit, 901, "unknown;gone"), events);
        Assert.Contains(new PoolEvent(2, EventNames.Start, 995, "appeared"), events);
    }

    [Fact]
    public void Without_any_separator_a_repeated_PID_starts_the_next_block()
    {
        string text = string.Join("\n", M(900), C(901, 9000), M(900), C(901, 9400), M(900), C(905, 7000)) + "\n";
        var log = Imports.FromText(text).Log;
        Assert.Equal(3, log.Blocks.Count);
        Assert.Equal(1, Imports.FromText(text).Run.Stats.Replaced);
    }

    [Fact]
    public void A_double_spaced_paste_keeps_its_blocks()
    {
        string text = Log([M(900), C(901, 9000)], [M(900), C(901, 9400)]).Replace("\n", "\n\n");
        var log = Imports.FromText(text).Log;
        Assert.Equal([2, 2], log.Blocks.Select(b => b.Processes.Count));
        Assert.Contains(log.Notes, n => n.Contains("double-spaced", StringComparison.Ordinal));
    }

    [Fact]
    public void Blank_lines_separate_blocks_of_a_loop()
    {
        string text = string.Join("\n", C(901, 9000), "", C(901, 9400), "", C(902, 7000)) + "\n";
        var log = Imports.FromText(text).Log;
        Assert.Equal(3, log.Blocks.Count);
    }

    [Fact]
    public void A_ps_prompt_that_printed_nothing_is_no_snapshot()
    {
        // The next command being typed when the log was copied; a ps that only printed an error.
        string text = Log([M(900), C(901, 9000)]) + "$ ps -o pid,rsss -C php-fpm\nerror: unknown user-defined format specifier \"rsss\"\n"
            + Log([M(900), C(901, 9400)]) + Prompt + "\n";
        var log = Imports.FromText(text).Log;
        Assert.Equal(2, log.Blocks.Count);
        Assert.Equal(0, Imports.FromText(text).Run.Stats.Gone);
        Assert.Contains(log.Notes, n => n.StartsWith("2 ps prompt(s) printed no process line (line 4, 9)", StringComparison.Ordinal));
    }

    [Fact]
    public void A_ps_ef_block_between_two_readable_ones_is_skipped_with_a_note()
    {
        string text = Log([M(900), C(901, 9000)]) + """
            $ ps -ef
            UID          PID    PPID  C STIME TTY          TIME CMD
            root         900       1  0 04:32 ?        00:00:00 php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)
            www-data     901     900  0 04:32 ?        00:00:00 php-fpm: pool www

            """ + Log([M(900), C(901, 9400)]);
        var imported = Imports.FromText(text);
        Assert.Equal([9000L, 9400], imported.Log.Blocks.Select(b => b.Processes.Single(p => p.Role == ProcessRole.Child).Line.RssKb));
        Assert.Equal(0, imported.Run.Stats.Gone);
        Assert.Contains(imported.Log.Notes, n => n.Contains("has no RSS column", StringComparison.Ordinal));
        Assert.Equal(2, imported.Log.Counts.TextLines);
    }

    [Fact]
    public void A_warning_between_prompt_and_header_does_not_make_an_empty_block()
    {
        string text = """
            $ ps -o pid,rss,vsz,cmd -C php-fpm
            Warning: bad ps syntax, perhaps a bogus '-'?
                PID   RSS    VSZ CMD
                900 16008  60284 php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)
                901 11188  62364 php-fpm: pool www
            """;
        var log = Imports.FromText(text).Log;
        var b = Assert.Single(log.Blocks);
        Assert.Equal([(900, 16008L, (long?)60284), (901, 11188L, 62364)], b.Processes.Select(p => (p.Pid, p.Line.RssKb, p.Line.VszKb)));
        Assert.Equal(1, log.Counts.TextLines);
    }

    [Fact]
    public void Requests_count_the_blocks_a_PID_was_seen_in_before_and_feed_the_leak_fit()
    {
        var run = Imports.FromText(Log([M(900), C(901, 1000)], [M(900), C(901, 1500)], [M(900), C(901, 2000)], [M(900), C(902, 800)], [M(900), C(902, 1300)])).Run;
        var child = run.Ticks.Select(t => t.Samples.Single(s => s.Role == ProcessRole.Child)).ToList();
        Assert.Equal([0L, 1, 2, 0, 1], child.Select(s => s.Requests));
        Assert.Equal(500, run.Stats.GrowthKb, 9);     // 901: 1,500 → 2,000 KiB from its first observation to its second
        Assert.True(double.IsNaN(run.Stats.LeakKb));  // one step of one child: too little to tell a leak from the retention
    }
}
