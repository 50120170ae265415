namespace Lab.Cli;

public static class HelpText
{
    public const string Text = """
Leak Lab: php-fpm memory growth, reproducible and visible.

Usage:
  ./run.sh <scenario> [key=value ...] [--out DIR]   run a scenario (a name in scenarios/ or a path to a .toml)
  ./run.sh compare DIR DIR ... [--out DIR]          overlay plots + side-by-side table + report of several runs
  ./run.sh report DIR [--x time|requests]           (re)make the plots and reports of a run (also an incomplete one)
  ./run.sh sweep <scenario> key=v1,v2,... [key2=...] [key=value ...] [--out DIR] [--jobs N]
                                                    the scenario once per combination (sim unless engine=): sweep.csv, plots, compare, report
  ./run.sh advise DIR [ram=2G] [max_children=N] [margin=20%] [--per-block] [--out DIR]
                                                    fit a run's leak; pm.max_requests (and max_children) for the RAM, verified on the sim
                                                    (an import without a request rate: only with --per-block, counted in ps snapshots)
  ./run.sh calibrate DIR [--out DIR]                fit the simulator to a real run (engine php-fpm or dotnet) and compare them
  ./run.sh lessons                                  rebuild every figure of the course in lab/ (start at lab/README.md)
  ./run.sh list                                     the scenarios, with their titles
  ./run.sh import FILE [--interval 1s] [--requests-per-block N | --rate R] [--out DIR]
                                                    a pasted `ps aux | grep php` log → results folder and report;
                                                    N or R (requests per second) turn its snapshots into requests
  ./run.sh test [filter]                            the whole test suite (or the tests matching a dotnet-test filter)
  ./run.sh bench [filter]                           the BenchmarkDotNet benchmarks, e.g. '*Sim*' (no filter: list them)
  ./run.sh --help                                   this text

Overrides change any setting of the scenario for this run:
  max_requests=5            a unique leaf name (here pool.max_requests)
  pool.max_requests=5       the dotted form
  engine=sim|dotnet|php-fpm front=fastcgi|nginx  seed=7  duration=30s  memory_limit=256M  leak=8M
  load.phases.2.rate=10     a load phase (1-based), actions.1.at=20s an action
  Every key, its default and its unit: scenarios/README.md.

A run writes results/<scenario>-<UTC time>/ (or --out DIR): scenario.toml (rerun it with
./run.sh results/<run>/scenario.toml), manifest.json, samples.csv, events.csv, requests.csv,
ps.log, fpm.log, latency.hgrm, summary.json, the plots (rss-per-pid, pool-rss, latency as PNG
and SVG) and report.html / report.md. requests.csv carries each request's child RSS right after
it (rss_kb), so no peak is lost between two samples. The last line printed is the report's path.

Examples:
  ./run.sh article-max-requests                  the article's third experiment on the dotnet engine
  ./run.sh article-max-requests engine=sim       the same in the simulator (instant, reproducible)
  ./run.sh article-max-requests engine=php-fpm front=nginx   the article's own stack: nginx + php-fpm
  ./run.sh compare results/A results/B           two runs side by side
  ./run.sh article-growth max_requests=50 seed=3 --out /tmp/growth50

Exit codes: 0 complete; 1 failed; 2 bad input (nothing written); 3 incomplete (stopped by the
memory guard or Ctrl-C; what was measured is kept).

""";
}
