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

    public static PoolTicks Build(SampleTable s, double[] tickT, int[] tickOfRow, RequestTable requests)
    {
        int n = tickT.Length;
        var pool = new long[n];
        var largest = new long[n];
        var children = new int[n];
        for (int i = 0; i < s.Count; i++)
        {
            int k = tickOfRow[i];
            pool[k] += s.RssKb[i];
            if (s.Role[i] == ProcessRole.Child)
            {
                children[k]++;
                if (s.RssKb[i] > largest[k]) largest[k] = s.RssKb[i];
            }
        }

        var served = new double[n];
        var ends = ServedEndTimes(requests);
        bool fromRequests = ends.Length > 0;
        if (fromRequests)
        {
            // Both sorted: one merge pass. A small tolerance: a request ending at the tick's
            // instant (the files keep 6 and 3 decimals) counts at that tick.
            int j = 0;
            for (int k = 0; k < n; k++)
            {
                while (j < ends.Length && ends[j] <= tickT[k] + 1e-6) j++;
                served[k] = j;
            }
        }
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
        return new PoolTicks { T = tickT, PoolRssKb = pool, LargestChildKb = largest, Children = children, Served = served, ServedFromRequests = fromRequests };
    }

    /// <summary>End times of the requests a child answered (a PID, a finite end), sorted.</summary>
    private static double[] ServedEndTimes(RequestTable r)
    {
        int count = 0;
        for (int i = 0; i < r.Count; i++) if (r.Pid[i] != 0 && double.IsFinite(r.TEnd[i])) count++;
        var ends = new double[count];
        int j = 0;
        for (int i = 0; i < r.Count; i++) if (r.Pid[i] != 0 && double.IsFinite(r.TEnd[i])) ends[j++] = r.TEnd[i];
        Array.Sort(ends);
        return ends;
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
