using Lab.Core.Fitting;
using Lab.Core.Records;

namespace Lab.Import.Following;

/// <summary>One block replayed as a sample tick: what happened since the previous block, then who was seen.</summary>
/// <param name="NewProcesses">PIDs seen for the first time (ProcessInfo from their first line).</param>
public sealed record FollowedTick(double T, IReadOnlyList<PoolEvent> Events, IReadOnlyList<ProcessInfo> NewProcesses, IReadOnlyList<Sample> Samples);

/// <summary>What following the PIDs across blocks found.</summary>
/// <param name="MasterPids">Every master PID, in order of appearance.</param>
/// <param name="ChildPids">Every child PID, in order of appearance.</param>
/// <param name="Spawns">Children that appeared after the first block.</param>
/// <param name="Replaced">Of the children gone, those that vanished while another appeared in the same block (pm.max_requests looks like that, and so do a crash and an idle kill followed by a spawn: ps cannot tell).</param>
/// <param name="Gone">Children that vanished, the cause unknown (all but those of a master's restart).</param>
/// <param name="Restarts">Blocks where the master's PID changed (a restart of php-fpm).</param>
/// <param name="Lifetimes">Blocks each child was seen in, for children seen both appearing and vanishing.</param>
/// <param name="MinChildren">Fewest children in one block (0 when php-fpm was down in a block).</param>
public sealed record FollowStats(
    IReadOnlyList<int> MasterPids,
    IReadOnlyList<int> ChildPids,
    int Spawns,
    int Replaced,
    int Gone,
    int Restarts,
    IReadOnlyList<int> Lifetimes,
    int MinChildren,
    int MaxChildren,
    long PeakChildRssKb,
    int PeakChildPid,
    long PeakPoolRssKb,
    double LeakKb,
    double LeakStdErrKb,
    long FitPoints,
    double GrowthKb = double.NaN)
{
    /// <summary>The pool's largest summed PSS over the blocks (what the host paid at most); -1 when the log has no PSS (ps).</summary>
    public long PeakPoolPssKb { get; init; } = Sample.Unknown;
    /// <summary>The largest child USS seen; -1 when the log has none.</summary>
    public long PeakChildUssKb { get; init; } = Sample.Unknown;
}

/// <summary>The blocks of a ps log as the samples and events of a run.</summary>
public sealed record FollowedRun(IReadOnlyList<FollowedTick> Ticks, FollowStats Stats)
{
    /// <summary>Sends the run to a sink in the order an engine would: per tick, events, new processes, samples, end of tick.</summary>
    public void Replay(IRunSink sink)
    {
        foreach (var tick in Ticks)
        {
            foreach (var e in tick.Events) sink.Event(e);
            foreach (var p in tick.NewProcesses) sink.Process(p);
            foreach (var s in tick.Samples) sink.Sample(s);
            sink.EndTick(tick.T);
        }
    }
}

/// <summary>How many requests a ps log's snapshots stand for, when the user knows it (import --requests-per-block / --rate).</summary>
/// <param name="RequestsPerBlock">Requests the pool served between two snapshots.</param>
/// <param name="RateRps">Requests per second of log the pool served.</param>
public sealed record RequestRate(double? RequestsPerBlock, double? RateRps)
{
    public static readonly RequestRate Unknown = new(null, null);
    public bool Known => RequestsPerBlock is not null || RateRps is not null;

    /// <summary>Requests the pool served between two snapshots dt seconds apart.</summary>
    public double Between(double dt) => RequestsPerBlock ?? (RateRps ?? 0) * dt;
}

/// <summary>
/// Follows PIDs across the blocks of a ps log:
/// <list type="bullet">
/// <item>a sample per process per block; requests: ps does not show requests served. Without a
/// rate, the number of earlier blocks the PID was seen in (0, 1, 2, ...: observations, and the
/// leak fit is per observation); with one (<see cref="RequestRate"/>), the requests the pool
/// served between two blocks shared evenly by the children present in both, summed per child
/// (rounded to whole requests);</item>
/// <item>a child PID that appears after the first block: spawn; one that vanishes: exit
/// "unknown;gone" — gone, the cause unknown: ps cannot tell pm.max_requests from an idle kill
/// or a crash — or "unknown;restart" when the master changed in that block;</item>
/// <item>a master that vanishes: stop; one that appears after the first block: start, and
/// restart when it replaces one in the same block.</item>
/// </list>
/// Processes present in the first block were started before the log: no event.
/// </summary>
public static class PidFollower
{
    public static FollowedRun Follow(PsLog log, RequestRate? rate = null)
    {
        rate ??= RequestRate.Unknown;
        var ticks = new List<FollowedTick>(log.Blocks.Count);
        var alive = new Dictionary<int, Alive>();
        var masters = new List<int>();
        var children = new List<int>();
        var seenEver = new HashSet<int>();
        var lifetimes = new List<int>();
        var fit = new LeakFit();
        int spawns = 0, replaced = 0, gone = 0, restarts = 0;
        int minChildren = int.MaxValue, maxChildren = 0;
        long peakChild = 0, peakPool = 0, peakPoolPss = Sample.Unknown, peakChildUss = Sample.Unknown;
        int peakChildPid = 0;

        for (int bi = 0; bi < log.Blocks.Count; bi++)
        {
            var block = log.Blocks[bi];
            double t = block.T;
            var events = new List<PoolEvent>();
            var newProcesses = new List<ProcessInfo>();
            var samples = new List<Sample>(block.Processes.Count);
            var present = block.Processes.ToDictionary(p => p.Pid);

            // Who vanished, who appeared (a PID seen again with another role is a new process).
            var vanished = alive.Values.Where(a => !present.TryGetValue(a.Pid, out var now) || now.Role != a.Role)
                .OrderBy(a => a.Pid).ToList();
            foreach (var v in vanished) alive.Remove(v.Pid);
            var appeared = block.Processes.Where(p => !alive.ContainsKey(p.Pid)).ToList();

            if (bi > 0)
            {
                var goneMasters = vanished.Where(v => v.Role == ProcessRole.Master).ToList();
                var newMasters = appeared.Where(p => p.Role == ProcessRole.Master).ToList();
                bool restart = goneMasters.Count > 0 && newMasters.Count > 0;
                var goneChildren = vanished.Where(v => v.Role == ProcessRole.Child).ToList();
                var newChildren = appeared.Where(p => p.Role == ProcessRole.Child).ToList();
                int pairs = restart ? 0 : Math.Min(goneChildren.Count, newChildren.Count);

                foreach (var m in goneMasters) events.Add(PoolEvent.Of(t, PoolEventKind.Stop, m.Pid, "unknown;gone"));
                for (int i = 0; i < goneChildren.Count; i++)
                {
                    var c = goneChildren[i];
                    // the log says why only when the master went too (a restart); else: gone, cause unknown
                    events.Add(PoolEvent.Exit(t, c.Pid, ExitStatus.Unknown, restart ? ExitCause.Restart : ExitCause.Gone));
                    if (restart) continue;
                    gone++;
                    if (i < pairs) replaced++;
                    if (c.AppearedInLog) lifetimes.Add(c.Seen);
                }
                if (restart)
                {
                    restarts++;
                    events.Add(PoolEvent.Of(t, PoolEventKind.Restart, newMasters[0].Pid, $"master {goneMasters[0].Pid} replaced by {newMasters[0].Pid}"));
                }
                foreach (var m in newMasters) events.Add(PoolEvent.Of(t, PoolEventKind.Start, m.Pid, restart ? "restart" : "appeared"));
                for (int i = 0; i < newChildren.Count; i++)
                    events.Add(PoolEvent.Spawn(t, newChildren[i].Pid, restart ? SpawnCause.Restart : i < pairs ? SpawnCause.Respawn : SpawnCause.Appeared));
                spawns += newChildren.Count;
            }

            int masterPid = 0;
            var blockMasters = block.Processes.Where(p => p.Role == ProcessRole.Master).ToList();
            if (blockMasters.Count == 1) masterPid = blockMasters[0].Pid;
            foreach (var p in appeared)
            {
                alive[p.Pid] = new Alive(p.Pid, p.Role, appearedInLog: bi > 0);
                var line = p.Line;
                int parent = p.Role == ProcessRole.Child ? line.Ppid ?? masterPid : line.Ppid ?? 0;
                newProcesses.Add(new ProcessInfo(p.Pid, p.Role, line.User ?? "?", line.Command.Length > 0 ? line.Command : "?", t, parent));
                if (seenEver.Add(p.Pid)) (p.Role == ProcessRole.Master ? masters : children).Add(p.Pid);
            }

            long poolRss = 0, poolPss = Sample.Unknown;
            int childCount = 0;
            // with a request rate: what the pool served since the previous block, shared by the children present in both
            if (rate.Known && bi > 0)
            {
                var stayed = block.Processes.Where(p => p.Role == ProcessRole.Child && alive[p.Pid].Seen > 0).ToList();
                double share = stayed.Count > 0 ? rate.Between(t - log.Blocks[bi - 1].T) / stayed.Count : 0;
                foreach (var p in stayed) alive[p.Pid].Requests += share;
            }
            foreach (var p in block.Processes)
            {
                var a = alive[p.Pid];
                var l = p.Line;
                long requests = p.Role != ProcessRole.Child ? 0 : rate.Known ? (long)Math.Round(a.Requests) : a.Seen;
                samples.Add(new Sample(t, p.Pid, p.Role, l.RssKb, l.VszKb ?? 0, l.CpuS ?? double.NaN, l.State, requests, l.PssKb, l.UssKb, l.SwapKb));
                a.Seen++;
                poolRss += l.RssKb;
                if (l.PssKb >= 0) { poolPss = Math.Max(0, poolPss) + l.PssKb; }
                if (p.Role == ProcessRole.Child && l.UssKb > peakChildUss) peakChildUss = l.UssKb;
                if (p.Role == ProcessRole.Child)
                {
                    childCount++;
                    fit.AddSample(p.Pid, requests, l.RssKb); // as SummaryBuilder: from the first observation after a fresh one
                    if (l.RssKb > peakChild) { peakChild = l.RssKb; peakChildPid = p.Pid; }
                }
            }
            peakPool = Math.Max(peakPool, poolRss);
            peakPoolPss = Math.Max(peakPoolPss, poolPss);
            minChildren = Math.Min(minChildren, childCount);
            maxChildren = Math.Max(maxChildren, childCount);
            ticks.Add(new FollowedTick(t, events, newProcesses, samples));
        }

        var result = fit.Result();
        // a leak the log's lives are too short to tell from the retention is not given as one (as in summary.json)
        var (slope, se, points) = result.Determined ? (result.LeakKb, result.StdErrKb, result.Points) : (double.NaN, double.NaN, result.Points);
        var stats = new FollowStats(masters, children, spawns, replaced, gone, restarts, lifetimes,
            minChildren == int.MaxValue ? 0 : minChildren, maxChildren, peakChild, peakChildPid, peakPool, slope, se, points, result.GrowthKb)
        {
            PeakPoolPssKb = peakPoolPss,
            PeakChildUssKb = peakChildUss,
        };
        return new FollowedRun(ticks, stats);
    }

    private sealed class Alive(int pid, ProcessRole role, bool appearedInLog)
    {
        public int Pid { get; } = pid;
        public ProcessRole Role { get; } = role;
        /// <summary>First seen after the first block: its whole life may be in the log.</summary>
        public bool AppearedInLog { get; } = appearedInLog;
        /// <summary>Blocks this PID was seen in so far.</summary>
        public int Seen;
        /// <summary>Requests it served so far, estimated from the rate given (not rounded).</summary>
        public double Requests;
    }
}
