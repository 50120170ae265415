using Lab.Core.Records;

namespace Lab.Results.Reading;

/// <summary>What a step of a folder's replay is: a sample row, the end of a tick, an event, a request row.</summary>
public enum ReplayKind { Sample, EndTick, Event, Request }

/// <summary>
/// A results folder's records in the order they happened, as an engine gave them to its sink:
/// samples by tick (each tick closed by an EndTick), events, and requests at their end (a dropped
/// one at its intended time). At one instant: requests first (a child answers, then exits), then
/// events, then the tick — the order the simulator gives them in (PoolLedger is robust to others). Used to compute a summary from the files and to build a
/// report's lives, so both see what the run's own summary saw.
/// </summary>
public static class RunReplay
{
    /// <summary>The steps (kind, row) in time order.</summary>
    public static IEnumerable<(ReplayKind Kind, int Row)> Steps(RunFolder f)
    {
        var s = f.Samples;
        var ev = f.Events;
        var r = f.Requests;
        // requests by their end (stable: ties keep the file's order)
        var order = new int[r.Count];
        var ends = new double[r.Count];
        for (int i = 0; i < r.Count; i++)
        {
            order[i] = i;
            ends[i] = RequestTime(r, i);
        }
        var keys = (double[])ends.Clone();
        Array.Sort(keys, order); // not stable: fix ties below
        for (int a = 0; a < order.Length;)
        {
            int b = a + 1;
            while (b < order.Length && keys[b] == keys[a]) b++;
            if (b - a > 1) Array.Sort(order, a, b - a);
            a = b;
        }
        // events in file order (they are written in time order)
        int si = 0, ei = 0, ri = 0;
        while (si < s.Count || ei < ev.Count || ri < order.Length)
        {
            double ts = si < s.Count ? s.T[si] : double.PositiveInfinity;
            double te = ei < ev.Count ? ev[ei].T : double.PositiveInfinity;
            double tr = ri < order.Length ? keys[ri] : double.PositiveInfinity;
            if (tr <= te && tr <= ts) { yield return (ReplayKind.Request, order[ri++]); continue; }
            if (te <= ts) { yield return (ReplayKind.Event, ei++); continue; }
            // one tick: its samples, then its end
            double t = ts;
            while (si < s.Count && s.T[si] == t) yield return (ReplayKind.Sample, si++);
            yield return (ReplayKind.EndTick, si - 1);
        }
    }

    /// <summary>When a request's record was made: its end, or its intended time when it has none (dropped).</summary>
    public static double RequestTime(RequestTable r, int i) =>
        double.IsFinite(r.TEnd[i]) ? r.TEnd[i] : r.TIntended[i];

    /// <summary>Requests held back to put them in time order while they stream in (the engines write them nearly in order).</summary>
    public const int ReorderWindow = 1 << 16;

    /// <summary>When a request's record was made: its end, or its intended time when it has none (dropped).</summary>
    public static double RequestTime(in RequestRecord r) => double.IsFinite(r.TEnd) ? r.TEnd : r.TIntended;

    /// <summary>
    /// The same order as <see cref="Steps"/>, with the requests streamed from the file (a big
    /// run's are never all in memory): each request waits in a window of
    /// <see cref="ReorderWindow"/> requests to be put in time order; <paramref name="request"/>
    /// gets its place in the file.
    /// </summary>
    public static void Visit(RunFolder f, Action<int> sample, Action<int> endTick, Action<int> ev, Action<RequestRecord, int> request)
    {
        var s = f.Samples;
        var events = f.Events;
        int si = 0, ei = 0, seq = 0;
        var held = new PriorityQueue<(RequestRecord R, int Seq), (double T, int Seq)>(Comparer<(double T, int Seq)>.Create(
            (a, b) => a.T != b.T ? a.T.CompareTo(b.T) : a.Seq.CompareTo(b.Seq)));
        void Before(double tr)
        {
            while (true)
            {
                double ts = si < s.Count ? s.T[si] : double.PositiveInfinity;
                double te = ei < events.Count ? events[ei].T : double.PositiveInfinity;
                if (tr <= te && tr <= ts) return;
                if (te <= ts) { ev(ei++); continue; }
                double t = ts;
                while (si < s.Count && s.T[si] == t) sample(si++);
                endTick(si - 1);
            }
        }
        void Next()
        {
            var (r, q) = held.Dequeue();
            Before(RequestTime(r));
            request(r, q);
        }
        f.ForEachRequest(r =>
        {
            held.Enqueue((r, seq), (RequestTime(r), seq));
            seq++;
            if (held.Count > ReorderWindow) Next();
        });
        while (held.Count > 0) Next();
        Before(double.PositiveInfinity);
    }

    /// <summary>Replays the folder into a sink (requests streamed).</summary>
    public static void Into(RunFolder f, IRunSink sink) =>
        Visit(f, row => sink.Sample(f.Samples[row]), row => sink.EndTick(f.Samples.T[row]), row => sink.Event(f.Events[row]), (r, _) => sink.Request(r));
}
