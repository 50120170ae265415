using Lab.Core.Records;
using Lab.Results;

namespace Lab.Analysis.Calibration;

/// <summary>A request a child served (or failed on memory_limit: it counts towards the child's requests too).</summary>
public readonly record struct ServedRequest(long Id, long LeakKb, long TransientKb, double TEnd);

/// <summary>
/// One reading of a child: its RSS (and VSZ) after it had served <paramref name="Served"/> requests —
/// a sample, or the end of a request that carried the child's own RSS (requests.csv's rss_kb:
/// exact, right after that request; its VSZ is not known, -1).
/// </summary>
/// <param name="Busy">
/// A request of this child was in flight at the sample (between its send and its answer): the
/// RSS then holds part of the next request (its leak, its transient memory). Fits and boundaries
/// use the samples between requests only, where the sim and the real run are in the same state
/// (a sim's tick may fall on the very instant a request arrives).
/// </param>
/// <param name="FromRequest">A request's rss_kb (else a sample).</param>
public readonly record struct ChildSample(double T, long Served, long RssKb, long VszKb, bool Busy = false, bool FromRequest = false);

/// <summary>
/// One child's life in a run, as the results folder tells it: the requests it served, in the
/// order they ended (requests.csv), its samples (samples.csv), and how it ended (events.csv).
/// </summary>
/// <param name="ExitT">When it exited (null: alive at the end of the run).</param>
/// <param name="ExitWhy">The why of its exit event ("max_requests", "shutdown", ...), null if none.</param>
public sealed record ChildHistory(int Pid, IReadOnlyList<ServedRequest> Requests, IReadOnlyList<ChildSample> Samples,
    double? ExitT, string? ExitWhy)
{
    public bool Recycled => ExitWhy == "max_requests";

    /// <summary>Whether the child's requests carried its RSS (rss_kb): its states after each request are then exact.</summary>
    public bool HasReadings => Samples.Any(s => s.FromRequest);

    /// <summary>
    /// Every child of a run, in the order they were first seen. A request counts for the child
    /// that answered it with 200 or 500 (memory_limit), as the engines count served requests.
    /// A child that requests.csv knows nothing of but whose samples count requests (a recording
    /// of a pool the lab did not drive: ./run.sh record) gets that many requests, each asking
    /// <paramref name="assumedLeakKb"/> (the scenario's leak), ending when its count first showed them.
    /// </summary>
    public static IReadOnlyList<ChildHistory> Of(RunFolder run, double assumedLeakKb = 0)
    {
        var requests = new Dictionary<int, List<ServedRequest>>();
        var inFlight = new Dictionary<int, InFlight>();
        var readings = new Dictionary<int, List<(double T, long Id, long RssKb)>>();
        var r = run.Requests;
        for (int i = 0; i < r.Count; i++)
        {
            if (r.Pid[i] != 0 && r.RssKb[i] >= 0 && r.Status[i] is RequestStatus.Ok or RequestStatus.MemoryLimit)
            {
                if (!readings.TryGetValue(r.Pid[i], out var rl)) readings[r.Pid[i]] = rl = new();
                rl.Add((r.TEnd[i], r.Id[i], r.RssKb[i]));
            }
            if (r.Pid[i] == 0) continue;
            if (!inFlight.TryGetValue(r.Pid[i], out var spans)) inFlight[r.Pid[i]] = spans = new();
            spans.Add(r.TStart[i], r.TEnd[i]);
            if (r.Status[i] is not (RequestStatus.Ok or RequestStatus.MemoryLimit)) continue;
            if (!requests.TryGetValue(r.Pid[i], out var list)) requests[r.Pid[i]] = list = new();
            list.Add(new ServedRequest(r.Id[i], r.LeakKb[i], r.TransientKb[i], r.TEnd[i]));
        }
        foreach (var list in requests.Values) list.Sort((a, b) => a.TEnd != b.TEnd ? a.TEnd.CompareTo(b.TEnd) : a.Id.CompareTo(b.Id));
        foreach (var spans in inFlight.Values) spans.Seal();

        var exits = new Dictionary<int, (double T, string Why)>();
        foreach (var e in run.Events)
        {
            if (e.Event != EventNames.Exit || e.Pid == 0) continue;
            exits[e.Pid] = (e.T, SummaryBuilder.ExitWhy(e));
        }

        var order = new List<int>();
        var samples = new Dictionary<int, List<ChildSample>>();
        var s = run.Samples;
        for (int i = 0; i < s.Count; i++)
        {
            if (s.Role[i] != ProcessRole.Child) continue;
            if (!samples.TryGetValue(s.Pid[i], out var list)) { samples[s.Pid[i]] = list = new(); order.Add(s.Pid[i]); }
            bool busy = inFlight.TryGetValue(s.Pid[i], out var spans) && spans.Covers(s.T[i]);
            list.Add(new ChildSample(s.T[i], s.Requests[i], s.RssKb[i], s.VszKb[i], busy));
        }
        foreach (int pid in requests.Keys.Where(p => !samples.ContainsKey(p)).OrderBy(p => requests[p][0].TEnd)) order.Add(pid);
        foreach (var (pid, list) in samples)
        {
            if (requests.ContainsKey(pid) || list.Count == 0 || list[^1].Served <= 0) continue;
            var counted = new List<ServedRequest>();
            foreach (var sample in list)
                while (counted.Count < sample.Served)
                    counted.Add(new ServedRequest(-(counted.Count + 1), (long)Math.Round(assumedLeakKb), 0, sample.T));
            requests[pid] = counted;
        }
        // Each request's reading: the child's RSS right after its k-th request, in the order they ended.
        foreach (var (pid, rl) in readings)
        {
            rl.Sort((a, b) => a.T != b.T ? a.T.CompareTo(b.T) : a.Id.CompareTo(b.Id));
            if (!samples.TryGetValue(pid, out var list)) samples[pid] = list = new();
            for (int k = 0; k < rl.Count; k++) list.Add(new ChildSample(rl[k].T, k + 1, rl[k].RssKb, -1, Busy: false, FromRequest: true));
            list.Sort((a, b) => a.T.CompareTo(b.T));
        }

        return order.Select(pid => new ChildHistory(pid,
            requests.TryGetValue(pid, out var q) ? q : [],
            samples.TryGetValue(pid, out var ss) ? ss : [],
            exits.TryGetValue(pid, out var x) ? x.T : null,
            exits.TryGetValue(pid, out x) ? x.Why : null)).ToList();
    }

    /// <summary>
    /// A child's requests as (send, answer) spans: is one in flight at time t? Sorted by send
    /// time once, with the latest answer so far, so each sample is one binary search, not a
    /// scan of every request (spans may overlap: a request can wait in the listen queue).
    /// </summary>
    private sealed class InFlight
    {
        private readonly List<(double Start, double End)> _spans = new();
        private double[] _start = [], _latestEnd = [];

        public void Add(double start, double end)
        {
            if (!double.IsNaN(start) && !double.IsNaN(end)) _spans.Add((start, end)); // unsent or unanswered: covers nothing
        }

        public void Seal()
        {
            _spans.Sort((a, b) => a.Start.CompareTo(b.Start));
            _start = new double[_spans.Count];
            _latestEnd = new double[_spans.Count];
            double latest = double.NegativeInfinity;
            for (int i = 0; i < _spans.Count; i++)
            {
                _start[i] = _spans[i].Start;
                latest = Math.Max(latest, _spans[i].End);
                _latestEnd[i] = latest;
            }
        }

        /// <summary>Some span has Start ≤ t ≤ End.</summary>
        public bool Covers(double t)
        {
            // the last span sent at or before t (the first of equal starts past it, minus one)
            int lo = 0, hi = _start.Length;
            while (lo < hi)
            {
                int mid = (lo + hi) >>> 1;
                if (_start[mid] <= t) lo = mid + 1; else hi = mid;
            }
            return lo > 0 && t <= _latestEnd[lo - 1];
        }
    }
}
