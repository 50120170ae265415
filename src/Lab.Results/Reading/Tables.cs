using Lab.Core.Records;

namespace Lab.Results.Reading;

/// <summary>A growable column (array + count), trimmed to its length when done.</summary>
internal struct Column<T>
{
    private T[] _items;
    public int Count;

    public Column(int capacity) { _items = new T[Math.Max(capacity, 16)]; Count = 0; }

    public void Add(T item)
    {
        if (Count == _items.Length) Array.Resize(ref _items, _items.Length * 2);
        _items[Count++] = item;
    }

    public T[] ToArray()
    {
        if (_items.Length != Count) Array.Resize(ref _items, Count);
        return _items;
    }
}

/// <summary>
/// samples.csv in columns: one array per column, all of <see cref="Count"/> elements, row i
/// across them (arrays are shared, not copied: do not modify them).
/// </summary>
public sealed class SampleTable
{
    public int Count { get; }
    public double[] T { get; }
    public int[] Pid { get; }
    public ProcessRole[] Role { get; }
    public long[] RssKb { get; }
    public long[] VszKb { get; }
    public double[] CpuS { get; }
    public char[] State { get; }
    public long[] Requests { get; }
    /// <summary>smaps_rollup's Pss, USS (Private_Clean + Private_Dirty) and Swap; -1 where not read (and in folders written before these columns).</summary>
    public long[] PssKb { get; }
    public long[] UssKb { get; }
    public long[] SwapKb { get; }
    /// <summary>Whether any row has a PSS reading.</summary>
    public bool HasPss { get; }

    public SampleTable(double[] t, int[] pid, ProcessRole[] role, long[] rssKb, long[] vszKb, double[] cpuS, char[] state, long[] requests,
        long[]? pssKb = null, long[]? ussKb = null, long[]? swapKb = null)
    {
        Count = t.Length;
        pssKb ??= Unknown(Count); ussKb ??= Unknown(Count); swapKb ??= Unknown(Count);
        if (pid.Length != Count || role.Length != Count || rssKb.Length != Count || vszKb.Length != Count
            || cpuS.Length != Count || state.Length != Count || requests.Length != Count
            || pssKb.Length != Count || ussKb.Length != Count || swapKb.Length != Count)
            throw new ArgumentException("every column must have the same length");
        T = t; Pid = pid; Role = role; RssKb = rssKb; VszKb = vszKb; CpuS = cpuS; State = state; Requests = requests;
        PssKb = pssKb; UssKb = ussKb; SwapKb = swapKb;
        HasPss = Array.Exists(pssKb, v => v >= 0);
    }

    internal static long[] Unknown(int n)
    {
        var a = new long[n];
        Array.Fill(a, -1L);
        return a;
    }

    public static SampleTable Empty { get; } = new([], [], [], [], [], [], [], []);

    /// <summary>Row i as a record.</summary>
    public Sample this[int i] => new(T[i], Pid[i], Role[i], RssKb[i], VszKb[i], CpuS[i], State[i], Requests[i], PssKb[i], UssKb[i], SwapKb[i]);

    /// <summary>The rows of one PID, in file (time) order.</summary>
    public IEnumerable<int> RowsOf(int pid)
    {
        for (int i = 0; i < Count; i++) if (Pid[i] == pid) yield return i;
    }

    /// <summary>The PIDs in order of first appearance.</summary>
    public IReadOnlyList<int> Pids()
    {
        var seen = new HashSet<int>();
        var order = new List<int>();
        for (int i = 0; i < Count; i++) if (seen.Add(Pid[i])) order.Add(Pid[i]);
        return order;
    }
}

/// <summary>
/// requests.csv in columns. A dropped request (status 0) has NaN start, end and latency and
/// PID 0. Arrays are shared, not copied: do not modify them.
/// </summary>
public sealed class RequestTable
{
    public int Count { get; }
    public long[] Id { get; }
    public double[] TIntended { get; }
    public double[] TStart { get; }
    public double[] TEnd { get; }
    public int[] Pid { get; }
    public int[] Status { get; }
    public double[] LatencyMs { get; }
    public long[] LeakKb { get; }
    public long[] TransientKb { get; }
    /// <summary>The serving child's RSS right after the request; -1 where unknown (and in folders written before this column).</summary>
    public long[] RssKb { get; }
    /// <summary>The request kind's name (interned); null where the scenario had no kinds.</summary>
    public string?[] Kind { get; }
    /// <summary>Whether any row carries the child's RSS.</summary>
    public bool HasRss { get; }

    public RequestTable(long[] id, double[] tIntended, double[] tStart, double[] tEnd, int[] pid, int[] status,
        double[] latencyMs, long[] leakKb, long[] transientKb, long[]? rssKb = null, string?[]? kind = null)
    {
        Count = id.Length;
        rssKb ??= SampleTable.Unknown(Count);
        kind ??= new string?[Count];
        if (tIntended.Length != Count || tStart.Length != Count || tEnd.Length != Count || pid.Length != Count
            || status.Length != Count || latencyMs.Length != Count || leakKb.Length != Count || transientKb.Length != Count
            || rssKb.Length != Count || kind.Length != Count)
            throw new ArgumentException("every column must have the same length");
        Id = id; TIntended = tIntended; TStart = tStart; TEnd = tEnd; Pid = pid; Status = status; LatencyMs = latencyMs;
        LeakKb = leakKb; TransientKb = transientKb; RssKb = rssKb; Kind = kind;
        HasRss = Array.Exists(rssKb, v => v >= 0);
    }

    public static RequestTable Empty { get; } = new([], [], [], [], [], [], [], [], []);

    /// <summary>Row i as a record.</summary>
    public RequestRecord this[int i] =>
        new(Id[i], TIntended[i], TStart[i], TEnd[i], Pid[i], Status[i], LatencyMs[i], LeakKb[i], TransientKb[i], RssKb[i], Kind[i]);
}
