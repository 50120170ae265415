using System.Globalization;
using Lab.Core.Logging;
using Lab.Core.ProcessManager;
using Lab.Core.Records;
using Lab.Scoreboard.Interop;

namespace Lab.Pool.Master;

// Recycling: php-fpm's pm.max_requests (the child's own rule) and the lab's [recycle] rules,
// which php-fpm does not have (Lab.Core's Recycling, handed over in LAB_RECYCLE by the lab). The
// child applies the request limit and max_rss / max_uss after each request (Lab.Worker); the
// master gives each child its life number (its jitter draw), names the rule when a child ended
// by a memory rule, and checks kill_rss and pool_budget on its own timer.
public sealed partial class FpmMaster
{
    /// <summary>The rules: php-fpm's alone unless the lab set LAB_RECYCLE.</summary>
    private readonly Recycling _recycling = RecycleEnvironment.Parse(Environment.GetEnvironmentVariable(RecycleEnvironment.Variable));
    /// <summary>Forks so far: the next child's life number.</summary>
    private long _lives;

    private static readonly long PageKb = Environment.SystemPageSize / 1024;

    /// <summary>A new child's life number and request limit (the child draws the same from LAB_FPM_LIFE).</summary>
    private (long Life, long Limit) NextLife(int slot)
    {
        long life = _lives++;
        return (life, _recycling.RequestLimit(Settings.MaxRequests, slot + 1, life));
    }

    /// <summary>
    /// A child exited with code 0 by itself, before its request limit, while the [recycle] rules
    /// have the child read its memory: it was max_rss or max_uss (the request counter is the
    /// scoreboard's). The lab's line names the rule before php-fpm's "exited with code 0" line.
    /// With both max_rss and max_uss set, the rule named is max_rss.
    /// </summary>
    private void NoteChildRecycle(ChildProc child, bool exited, int code)
    {
        if (!exited || code != 0 || child.IdleKill || child.LabRecycled || !_control.CanSpawn) return;
        if (!_recycling.ChildReadsRss && !_recycling.ChildReadsUss) return;
        long served = child.Board.ReadSlot(child.Slot).Requests;
        if (child.Limit > 0 && served >= child.Limit) return;
        var why = _recycling.ChildReadsRss ? ExitCause.MaxRss : ExitCause.MaxUss;
        _log.Emit(FpmLogLevel.Notice, FpmLogFact.LabRecycled(PoolName, child.Pid, PoolEvent.CauseName(why)));
    }

    /// <summary>The master's check (kill_rss, pool_budget): the children's RSS from /proc, the decision from Lab.Core.</summary>
    private void CheckRecycling()
    {
        var views = new List<RecycleView>(_children.Count);
        foreach (var c in _children.Values)
            if (RssKb(c.Pid) is long rss and >= 0) views.Add(new RecycleView(c.Pid, c.StartedNs / 1e9, rss, c.LabRecycled || c.IdleKill));
        foreach (var kill in _recycling.Check(views, Math.Max(0, RssKb(_pid))))
        {
            if (!_children.TryGetValue(kill.Pid, out var victim)) continue;
            victim.LabRecycled = true;
            _log.Emit(FpmLogLevel.Notice, FpmLogFact.LabRecycled(PoolName, victim.Pid, PoolEvent.CauseName(kill.Why)));
            Native.kill(victim.Pid, kill.Signal);
        }
    }

    /// <summary>A process's RSS in KiB from /proc/PID/statm (resident pages), -1 when it is gone.</summary>
    private static long RssKb(int pid)
    {
        try
        {
            string text = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/statm");
            var parts = text.Split(' ', 3);
            return parts.Length >= 2 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long pages) ? pages * PageKb : -1;
        }
        catch (IOException) { return -1; }
        catch (UnauthorizedAccessException) { return -1; }
    }
}
