namespace Lab.Cli;

public static class HelpText
{
    public const string Text = """
Leak Lab: php-fpm memory growth, reproducible and visible.

Usage:
  ./run.sh <scenario> [key=value ...] [--out DIR]   run a scenario (a name in scenarios/ or a path to a .toml)
  ./run.sh compare DIR DIR ... [--out DIR]          overlay plots + side-by-side table + report of several runs
  ./run.sh report DIR [--x time|requests] [--memory rss|uss]  (re)make the plots and reports of a run (--memory uss: each child's private memory)
  ./run.sh sweep <scenario> key=v1,v2,... [key2=...] [key=value ...] [--out DIR] [--jobs N]
                                                    the scenario once per combination (sim unless engine=): sweep.csv, plots, compare, report
  ./run.sh advise DIR [ram=2G] [max_children=N] [margin=20%] [--per-block] [--out DIR]
                                                    fit a run's leak; pm.max_requests (and max_children) for the RAM, verified on the sim
                                                    (an import without a request rate: only with --per-block, counted in snapshots of the log: ps, smem or smaps_rollup)
  ./run.sh calibrate DIR [--out DIR]                fit the simulator to a real run (engine php-fpm or dotnet) and compare them
  ./run.sh conform [--engines php-fpm,dotnet,sim] [--out DIR]
                                                    the conformance suite: php-fpm's rules, each engine against php-fpm 8.2
                                                    (conformance.md / .html; exit 0 when every rule is the same)
  ./run.sh lessons                                  rebuild every figure of the course in lab/ (start at lab/README.md)
  ./run.sh list                                     the scenarios, with their titles
  ./run.sh clean [--results]                        remove killed runs' temporary folders; list stale results (--results: remove them)
  ./run.sh import FILE [--interval 1s] [--requests-per-block N | --rate R] [--out DIR]
                                                    a pasted `ps aux | grep php` log → results folder and report;
                                                    also repeated `smem -P php-fpm` (with or without -k) or concatenated
                                                    /proc/PID/smaps_rollup dumps: PSS, USS and swap beside RSS;
                                                    N or R (requests per second) turn its snapshots into requests
  ./run.sh record [--pid MASTER_PID] [--pool NAME] [duration=10m] [interval=1s] [pss_interval=1s] [--status PATH] [--out DIR]
                                                    attach to a running php-fpm (started without the lab) and record it: nothing is changed
  ./run.sh test [filter]                            the whole test suite (or the tests matching a dotnet-test filter)
  ./run.sh bench [filter]                           the BenchmarkDotNet benchmarks, e.g. '*Sim*' (no filter: list them)
  ./run.sh --help                                   this text; ./run.sh COMMAND --help: one command's options

Overrides change any setting of the scenario for this run:
  max_requests=5            a unique leaf name (here pool.max_requests)
  pool.max_requests=5       the dotted form
  engine=sim|dotnet|php-fpm front=fastcgi|nginx  seed=7  duration=30s  memory_limit=256M  leak=8M
  load.phases.2.rate=10     a load phase (1-based), actions.1.at=20s an action
  pool.from=/etc/php/8.2/fpm/pool.d/www.conf      your pool file as [pool] (keys you set win)
  php.root=../app/public script=/index.php query=page=2   your own code on engine php-fpm
  request.kinds.2.leak=50M  a request kind (1-based); php.ini.opcache.enable=1 a php.ini directive
  records=summary           keep per-second and per-PID aggregates instead of every request (huge runs)
  Every key, its default and its unit: scenarios/README.md.
  A run that would write more than 2 GB says how much and needs --yes (or records=summary).

A run writes results/<scenario>-<UTC time>/ (or --out DIR): scenario.toml (rerun it with
./run.sh results/<run>/scenario.toml), manifest.json, samples.csv, events.csv, requests.csv,
ps.log, fpm.log, latency.hgrm, summary.json, the plots (rss-per-pid, pool-rss, latency as PNG
and SVG; rss-by-slot past 40 children) and report.html / report.md. requests.csv carries each
request's child RSS right after it (rss_kb), so no peak is lost between two samples. Runs past
64 MB of CSV write requests.csv, samples.csv and ps.log gzipped (.gz; pandas and DuckDB read them
as they are). The last line printed is the report's path.

Examples:
  ./run.sh article-max-requests                  the article's third experiment on the dotnet engine
  ./run.sh article-max-requests engine=sim       the same in the simulator (instant, reproducible)
  ./run.sh article-max-requests engine=php-fpm front=nginx   the article's own stack: nginx + php-fpm
  ./run.sh compare results/A results/B           two runs side by side
  ./run.sh article-growth max_requests=50 seed=3 --out /tmp/growth50
  ./run.sh rare-heavy-request engine=sim         1 % of the requests leak 50M: which kind leaks
  ./run.sh record --pid 1234 duration=5m         your running pool, recorded

Exit codes: 0 complete; 1 failed (a file or folder could not be written: a full disk, a
read-only results/); 2 bad input (nothing written); 3 incomplete (stopped by the memory guard,
Ctrl-C, SIGTERM or SIGHUP when the terminal closes; what was measured is kept, the report made).

""";
}
