using Lab.Core.Records;
using Lab.Results.Reading;

namespace Lab.Report.Model;

/// <summary>
/// The pool at each sample tick: total RSS (master and children, as summary.json's
/// peak_pool_rss_kb counts it), the largest child, how many children, and the requests served
/// by the pool so far.
/// </summary>
internal sealed class PoolTicks
{
    public required double[] T { get; init; }
    public required long[] PoolRssKb { get; init; }
    /// <summary>Summed PSS of the processes read at the tick (smaps_rollup); -1 at ticks that did not read it.</summary>
    public required long[] PoolPssKb { get; init; }
    /// <summary>Summed USS of the processes read at the tick; -1 at ticks that did not read it.</summary>
    public required long[] PoolUssKb { get; init; }
    /// <summary>Summed RSS of the same processes as <see cref="PoolPssKb"/> (all of the tick's but one gone before its smaps_rollup was read); -1 likewise.</summary>
    public required long[] PoolRssOfPssKb { get; init; }
    /// <summary>Whether any tick read PSS.</summary>
    public bool HasPss { get; init; }
    /// <summary>0 at a tick without children.</summary>
    public required long[] LargestChildKb { get; init; }
    public required int[] Children { get; init; }
    /// <summary>
    /// Requests served by the pool's children up to the tick: from requests.csv (requests a
    /// child answered, by their end time) when it has them, else from the samples' per-PID
    /// counters (which miss a child's last requests between its last sample and its exit).
    /// </summary>
    public required double[] Served { get; init; }
    public required bool ServedFromRequests { get; init; }

    public int Count => T.Length;

    /// <param name="servedByTick">Requests answered by a child up to each tick, counted from the run's requests (<see cref="ServedCounter"/>); null: count from the samples.</param>
    public static PoolTicks Build(SampleTable s, double[] tickT, int[] tickOfRow, double[]? servedByTick)
    {
        int n = tickT.Length;
        var pool = new long[n];
        var largest = new long[n];
        var children = new int[n];
        var pss = new long[n];
        var uss = new long[n];
        var rssOfPss = new long[n];
        Array.Fill(pss, -1L); Array.Fill(uss, -1L); Array.Fill(rssOfPss, -1L);
        bool anyPss = false;
        for (int i = 0; i < s.Count; i++)
        {
            int k = tickOfRow[i];
            pool[k] += s.RssKb[i];
            if (s.PssKb[i] >= 0)
            {
                if (pss[k] < 0) { pss[k] = 0; uss[k] = 0; rssOfPss[k] = 0; }
                pss[k] += s.PssKb[i];
                uss[k] += Math.Max(0, s.UssKb[i]);
                rssOfPss[k] += s.RssKb[i];
                anyPss = true;
            }
            if (s.Role[i] == ProcessRole.Child)
            {
                children[k]++;
                if (s.RssKb[i] > largest[k]) largest[k] = s.RssKb[i];
            }
        }

        var served = new double[n];
        bool fromRequests = servedByTick is not null;
        if (servedByTick is not null) served = servedByTick;
        else
        {
            var last = new Dictionary<int, long>();
            long total = 0;
            for (int i = 0; i < s.Count; i++)
            {
                if (s.Role[i] != ProcessRole.Child) continue;
                long q = s.Requests[i];
                long before = last.GetValueOrDefault(s.Pid[i]);
                // A counter that falls means a new process under a reused PID: it starts from 0.
                total += q >= before ? q - before : q;
                last[s.Pid[i]] = q;
                served[tickOfRow[i]] = total;
            }
            for (int k = 1; k < n; k++) if (served[k] < served[k - 1]) served[k] = served[k - 1];
        }
        return new PoolTicks
        {
            T = tickT, PoolRssKb = pool, LargestChildKb = largest, Children = children, Served = served, ServedFromRequests = fromRequests,
            PoolPssKb = pss, PoolUssKb = uss, PoolRssOfPssKb = rssOfPss, HasPss = anyPss,
        };
    }

    /// <summary>
    /// Counts the requests answered by a child (a PID, a finite end) up to each tick, from the
    /// run's requests streamed once (a request ending at the tick's instant — the files keep 6 and
    /// 3 decimals — counts at that tick), or, for records = "summary", from the seconds' served
    /// counts, each at the end of its second.
    /// </summary>
    internal sealed class ServedCounter(double[] tickT)
    {
        private readonly double[] _at = new double[tickT.Length + 1]; // _at[k]: ended after tick k-1, by tick k
        private long _any;

        private int TickOf(double end)
        {
            int i = Array.BinarySearch(tickT, end - 1e-6);
            return i >= 0 ? i : ~i;
        }

        public void Add(in RequestRecord r)
        {
            if (r.Pid == 0 || !double.IsFinite(r.TEnd)) return;
            _at[TickOf(r.TEnd)]++;
            _any++;
        }

        public void Add(BySecondTable seconds)
        {
            foreach (var r in seconds.Rows) { _at[TickOf(r.T + 1)] += r.Served; _any += r.Served; }
        }

        /// <summary>Served up to each tick; null when no request was answered by a child (count from the samples then).</summary>
        public double[]? Finish()
        {
            if (_any == 0) return null;
            var served = new double[tickT.Length];
            double total = 0;
            for (int k = 0; k < served.Length; k++) served[k] = total += _at[k];
            return served;
        }
    }

    /// <summary>The last tick that read PSS, -1 if none.</summary>
    public int LastPssTick()
    {
        for (int k = Count - 1; k >= 0; k--) if (PoolPssKb[k] >= 0) return k;
        return -1;
    }

    /// <summary>Requests served by the last tick at or before t (0 before the first tick).</summary>
    public double ServedAt(double t)
    {
        int i = TickAtOrBefore(t);
        return i < 0 ? 0 : Served[i];
    }

    /// <summary>The index of the last tick at or before t, -1 if none.</summary>
    public int TickAtOrBefore(double t)
    {
        int i = Array.BinarySearch(T, t);
        return i >= 0 ? i : ~i - 1;
    }
}
