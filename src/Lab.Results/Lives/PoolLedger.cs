using Lab.Core.Records;

namespace Lab.Results.Lives;

/// <summary>
/// The one place a run's children are counted and their memory followed, fed the run's records
/// as they come (events, request records, samples): which child lives are running, every life
/// that ever ran, how each ended, the requests each served, each one's last known RSS, and the
/// pool's total RSS — the master(s) and the last known RSS of every live child — at any moment,
/// in particular at each request's end (exact on the sim; on real engines from each child's own
/// latest reading). summary.json's counts (SummaryBuilder) and the report's lives (drawn PIDs,
/// exit markers) both come from here, so the terminal, the files and the plots agree.
/// <para>Robust to the order records of one instant arrive in: a child seen before its spawn is
/// logged is the same life; a request answered just after the child's exit was logged (a real
/// engine's log and responses race) still belongs to the life that served it.</para>
/// </summary>
public sealed class PoolLedger
{
    /// <summary>A reading this long after its PID's logged exit with no new spawn still belongs to the ended life.</summary>
    public const double LateReadingS = 5;

    private readonly bool _keep;
    private readonly Dictionary<int, ChildLife> _live = new();
    private readonly Dictionary<int, ChildLife> _ended = new(); // recently ended, by PID (late readings)
    private readonly Queue<(double T, int Pid, ChildLife Life)> _endedOrder = new();
    private readonly Dictionary<int, long> _masters = new();
    private readonly List<ChildLife>? _all;
    private long _liveRss, _masterRss;
    private int _lives, _unmeasuredEnded;

    /// <param name="keepLives">Keep every life and its readings (a report); else only the running ones (a run's summary, constant memory).</param>
    public PoolLedger(bool keepLives = false)
    {
        _keep = keepLives;
        if (keepLives) _all = new List<ChildLife>();
    }

    /// <summary>Called when a life ends (its exit, or a new spawn under its PID).</summary>
    public Action<ChildLife>? Ended { get; set; }

    /// <summary>Child lives seen so far (started, running or ended).</summary>
    public int Lives => _lives;
    /// <summary>Lives with no RSS reading at all (no sample caught them, they answered no request with rss_kb).</summary>
    public int Unmeasured
    {
        get
        {
            int n = _unmeasuredEnded;
            foreach (var l in _live.Values) if (!l.Measured) n++;
            foreach (var e in _endedOrder) if (!e.Life.Measured) n++;
            return n;
        }
    }

    /// <summary>Every life in order of appearance (keepLives only).</summary>
    public IReadOnlyList<ChildLife> All => _all ?? throw new InvalidOperationException("the ledger keeps no lives (keepLives: false)");
    public IReadOnlyCollection<ChildLife> Running => _live.Values;

    /// <summary>The running life of pid, null if none.</summary>
    public ChildLife? Current(int pid) => _live.GetValueOrDefault(pid);

    /// <summary>The pool's total RSS now: the masters' and every running child's last known RSS (KiB).</summary>
    public long PoolRssKb => _masterRss + _liveRss;

    /// <summary>Running children with no RSS reading yet: the pool's total counts them as 0 (a lower bound) until one comes.</summary>
    public int RunningUnmeasured
    {
        get
        {
            int n = 0;
            foreach (var l in _live.Values) if (l.LastRssKb < 0) n++;
            return n;
        }
    }

    /// <summary>The largest running child's last known RSS (KiB), 0 if none.</summary>
    public long LargestRunningChildKb
    {
        get
        {
            long m = 0;
            foreach (var l in _live.Values) if (l.LastRssKb > m) m = l.LastRssKb;
            return m;
        }
    }

    public void Event(in PoolEvent e)
    {
        Prune(e.T);
        switch (e.Event)
        {
            case EventNames.Spawn:
                if (_live.TryGetValue(e.Pid, out var current))
                {
                    if (!current.Spawned)
                    {
                        // seen before its spawn was logged: the same child
                        current.Spawned = true;
                        if (e.T < current.FirstT) current.FirstT = e.T;
                        return;
                    }
                    End(current, null, null); // its PID came back without an exit in between
                }
                _ended.Remove(e.Pid);
                var life = Begin(e.Pid, e.T);
                life.Spawned = true;
                break;
            case EventNames.Exit:
                if (!_live.TryGetValue(e.Pid, out var ending))
                {
                    // an exit with nothing seen of the child: it still was one
                    ending = Begin(e.Pid, e.T);
                }
                End(ending, e.Detail ?? "", e.T);
                break;
            case EventNames.Stop:
                if (_masters.Remove(e.Pid, out long rss)) _masterRss -= rss;
                break;
        }
    }

    /// <summary>
    /// A request record: a request the child answered (200, 500) counts as served, and its
    /// rss_kb is a reading. Returns the serving life (null when no child served it).
    /// </summary>
    /// <param name="row">The row in requests.csv (a report keeps it with the reading).</param>
    public ChildLife? Request(in RequestRecord r, int row = -1)
    {
        if (r.Pid == 0 || r.Dropped) return null;
        bool served = r.Status is RequestStatus.Ok or RequestStatus.MemoryLimit;
        if (!served && !r.HasRss) return null;
        double t = double.IsFinite(r.TEnd) ? r.TEnd : r.TIntended;
        Prune(t);
        var life = LifeFor(r.Pid, t);
        if (served) life.Served++;
        if (r.HasRss) Reading(life, t, life.Served, r.RssKb, fromRequest: true, row);
        return life;
    }

    /// <summary>A sample: a child's is a reading of its life; a master's sets that master's RSS.</summary>
    public ChildLife? Sample(in Sample s, int row = -1)
    {
        Prune(s.T);
        if (s.Role == ProcessRole.Master)
        {
            _masterRss += s.RssKb - _masters.GetValueOrDefault(s.Pid);
            _masters[s.Pid] = s.RssKb;
            return null;
        }
        var life = LifeFor(s.Pid, s.T);
        Reading(life, s.T, s.Requests, s.RssKb, fromRequest: false, row);
        return life;
    }

    private ChildLife LifeFor(int pid, double t)
    {
        if (_live.TryGetValue(pid, out var life)) return life;
        if (_ended.TryGetValue(pid, out var ended) && ended.ExitT is { } x && t <= x + LateReadingS) return ended;
        _ended.Remove(pid);
        return Begin(pid, t);
    }

    private ChildLife Begin(int pid, double t)
    {
        var life = new ChildLife(_lives++, pid, t) { LastT = t };
        if (_keep)
        {
            life.Points = new List<LifePoint>();
            _all!.Add(life);
        }
        _live[pid] = life;
        return life;
    }

    private void Reading(ChildLife life, double t, long served, long rssKb, bool fromRequest, int row)
    {
        bool running = _live.TryGetValue(life.Pid, out var l) && ReferenceEquals(l, life);
        if (running) _liveRss += rssKb - Math.Max(0, life.LastRssKb);
        life.LastRssKb = rssKb;
        if (rssKb > life.PeakRssKb) life.PeakRssKb = rssKb;
        life.Readings++;
        if (t > life.LastT) life.LastT = t;
        life.Points?.Add(new LifePoint(t, served, rssKb, fromRequest, row));
    }

    private void End(ChildLife life, string? detail, double? t)
    {
        _live.Remove(life.Pid);
        if (life.LastRssKb > 0) _liveRss -= life.LastRssKb;
        life.ExitDetail = detail;
        life.ExitT = t;
        if (t is { } at)
        {
            _ended[life.Pid] = life;
            _endedOrder.Enqueue((at, life.Pid, life));
        }
        else if (!life.Measured) _unmeasuredEnded++;
        Ended?.Invoke(life);
    }

    /// <summary>Lets go of ended lives no late reading can reach any more.</summary>
    private void Prune(double t)
    {
        while (_endedOrder.TryPeek(out var e) && e.T + LateReadingS < t)
        {
            _endedOrder.Dequeue();
            if (_ended.TryGetValue(e.Pid, out var l) && ReferenceEquals(l, e.Life)) _ended.Remove(e.Pid);
            if (!e.Life.Measured) _unmeasuredEnded++;
        }
    }
}
