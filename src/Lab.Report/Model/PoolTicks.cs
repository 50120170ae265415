using Lab.Core.Records;
using Lab.Results.Lives;
using Lab.Results;
using Lab.Results.Reading;

namespace Lab.Report.Model;

/// <summary>
/// The pool over the run, at every moment its memory is known: each sample tick (the tick's own
/// sums, as summary.json counts them) and each request's end that carried the serving child's
/// RSS (the master and every running child at its last known RSS: <see cref="PoolLedger"/>), so
/// a peak between two ticks is drawn. Each moment has the pool's total RSS, its largest child,
/// how many children, and the requests served by the pool so far.
/// </summary>
internal sealed class PoolTicks
{
    public required double[] T { get; init; }
    public required long[] PoolRssKb { get; init; }
    /// <summary>Summed PSS of the processes read at the tick (smaps_rollup); -1 at moments that did not read it.</summary>
    public required long[] PoolPssKb { get; init; }
    /// <summary>Summed USS of the processes read at the tick; -1 at ticks that did not read it.</summary>
    public required long[] PoolUssKb { get; init; }
    /// <summary>Summed RSS of the same processes as <see cref="PoolPssKb"/> (all of the tick's but one gone before its smaps_rollup was read); -1 likewise.</summary>
    public required long[] PoolRssOfPssKb { get; init; }
    /// <summary>Whether any tick read PSS.</summary>
    public bool HasPss { get; init; }
    /// <summary>0 at a moment without children.</summary>
    public required long[] LargestChildKb { get; init; }
    public required int[] Children { get; init; }
    /// <summary>Requests served by the pool's children up to the moment (see <see cref="ServedCounter"/>).</summary>
    public required double[] Served { get; init; }
    /// <summary>Whether the moment is a sample tick (else a request's end).</summary>
    public required bool[] IsTick { get; init; }

    public int Count => T.Length;

    /// <summary>The last tick that read PSS, -1 if none.</summary>
    public int LastPssTick()
    {
        for (int k = Count - 1; k >= 0; k--) if (PoolPssKb[k] >= 0) return k;
        return -1;
    }

    /// <summary>Requests served by the last moment at or before t (0 before the first).</summary>
    public double ServedAt(double t)
    {
        int i = TickAtOrBefore(t);
        return i < 0 ? 0 : Served[i];
    }

    /// <summary>The index of the last moment at or before t, -1 if none.</summary>
    public int TickAtOrBefore(double t)
    {
        int i = Array.BinarySearch(T, t);
        if (i >= 0)
        {
            while (i + 1 < T.Length && T[i + 1] == t) i++;
            return i;
        }
        return ~i - 1;
    }

    /// <summary>The moments being collected, in time order.</summary>
    internal sealed class Builder
    {
        private readonly List<double> _t = new(), _served = new();
        private readonly List<long> _pool = new(), _largest = new(), _pss = new(), _uss = new(), _rssOfPss = new();
        private bool _anyPss;
        private readonly List<int> _children = new();
        private readonly List<bool> _tick = new();

        /// <param name="pss">Summed PSS, USS and the RSS of the same processes at a tick that read smaps_rollup; -1 at other moments.</param>
        public void Add(double t, long pool, long largest, int children, double served, bool tick, long pss = -1, long uss = -1, long rssOfPss = -1)
        {
            _t.Add(t); _pool.Add(pool); _largest.Add(largest); _children.Add(children); _served.Add(served); _tick.Add(tick);
            _pss.Add(pss); _uss.Add(uss); _rssOfPss.Add(rssOfPss);
            _anyPss |= pss >= 0;
        }

        public PoolTicks Build() => new()
        {
            T = _t.ToArray(), PoolRssKb = _pool.ToArray(), LargestChildKb = _largest.ToArray(), Children = _children.ToArray(),
            Served = _served.ToArray(), IsTick = _tick.ToArray(),
            PoolPssKb = _pss.ToArray(), PoolUssKb = _uss.ToArray(), PoolRssOfPssKb = _rssOfPss.ToArray(), HasPss = _anyPss,
        };
    }
}

/// <summary>
/// Requests served by the pool up to a moment: from requests.csv (requests a child answered, by
/// their end time) when it has them, else from the samples' per-PID counters (which miss a
/// child's last requests between its last sample and its exit).
/// </summary>
internal sealed class ServedCounter
{
    private readonly double[] _ends;
    private readonly double[]? _tickT, _tickServed;

    public bool FromRequests { get; }

    /// <summary>From the folder's requests (streamed: 8 bytes a request kept), else its samples.</summary>
    public ServedCounter(SampleTable s, RunFolder folder)
    {
        var ends = new List<double>();
        folder.ForEachRequest(r =>
        {
            if (r.Pid != 0 && double.IsFinite(r.TEnd) && r.Status is RequestStatus.Ok or RequestStatus.MemoryLimit) ends.Add(r.TEnd);
        });
        _ends = ends.ToArray();
        Array.Sort(_ends);
        int count = _ends.Length;
        FromRequests = count > 0;
        if (FromRequests) return;

        // From the samples: each PID's counter, summed (a counter that falls is a new process under a reused PID).
        var tickT = new List<double>();
        var served = new List<double>();
        var last = new Dictionary<int, long>();
        long total = 0;
        for (int i = 0; i < s.Count; i++)
        {
            if (i == 0 || s.T[i] != s.T[i - 1]) { tickT.Add(s.T[i]); served.Add(total); }
            if (s.Role[i] != ProcessRole.Child) continue;
            long q = s.Requests[i];
            long before = last.GetValueOrDefault(s.Pid[i]);
            total += q >= before ? q - before : q;
            last[s.Pid[i]] = q;
            served[^1] = total;
        }
        _tickT = tickT.ToArray();
        _tickServed = served.ToArray();
    }

    /// <summary>Requests served up to time t (a request ending at the instant counts; the files keep 6 and 3 decimals).</summary>
    public double At(double t)
    {
        if (FromRequests) return UpperBound(_ends, t + 1e-6);
        int i = UpperBound(_tickT!, t + 1e-9) - 1;
        return i < 0 ? 0 : _tickServed![i];
    }

    private static int UpperBound(double[] a, double v)
    {
        int lo = 0, hi = a.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (a[mid] <= v) lo = mid + 1; else hi = mid;
        }
        return lo;
    }
}
