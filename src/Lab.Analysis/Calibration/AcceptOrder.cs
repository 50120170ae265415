using Lab.Core.Records;
using Lab.Results;
using Lab.Results.Reading;

namespace Lab.Analysis.Calibration;

/// <summary>How often a request was served out of its turn, and how many turns were compared.</summary>
public sealed record AcceptTurns(int OutOfTurn, int Compared);

/// <summary>
/// Counts the requests a pool served out of first-in-first-out turn. The kernel hands a
/// connection to the child that has waited longest in accept(); a child finishing its request
/// while the woken one has not run yet takes it instead (memory.accept_wakeup in the simulator),
/// and the woken one waits again behind the others. Read from requests.csv alone, the same way on
/// a real run and on the sim: at each request's start, the children idle then (their last request
/// ended before it) are the queue, the one idle longest is its turn; a request served by another
/// child is out of turn. A new child joins the queue behind every child idle before it was forked
/// (its spawn event): its first request is out of turn if one of those was still waiting. A child
/// leaves the queue after its last request (it exits, or the run ends).
/// </summary>
public static class AcceptOrder
{
    /// <summary>The run's requests, with its spawn events for new children's places in the queue.</summary>
    public static AcceptTurns Count(RunFolder run) => Count(run.Requests, SpawnTimes(run.Events));

    /// <summary>pid → when it was forked (its first spawn event).</summary>
    public static Dictionary<int, double> SpawnTimes(IEnumerable<PoolEvent> events)
    {
        var spawned = new Dictionary<int, double>();
        foreach (var e in events)
            if (e.Kind == PoolEventKind.Spawn) spawned.TryAdd(e.Pid, e.T);
        return spawned;
    }

    /// <param name="spawnedAt">pid → when it was forked; a child not in it is not compared on its first request.</param>
    public static AcceptTurns Count(RequestTable r, IReadOnlyDictionary<int, double>? spawnedAt = null)
    {
        var served = Enumerable.Range(0, r.Count)
            .Where(i => r.Pid[i] > 0 && SummaryBuilder.IsAnswered(r.Status[i]) && double.IsFinite(r.TStart[i]) && double.IsFinite(r.TEnd[i]))
            .ToList();
        var last = new Dictionary<int, double>();                   // pid → start of its last request
        foreach (int i in served) last[r.Pid[i]] = Math.Max(last.GetValueOrDefault(r.Pid[i], double.NegativeInfinity), r.TStart[i]);

        // every start and end, in time order; at one instant ends first (a child back in accept() can take the connection)
        var moments = new List<(double T, bool Start, int I)>(served.Count * 2);
        foreach (int i in served) { moments.Add((r.TStart[i], true, i)); moments.Add((r.TEnd[i], false, i)); }
        moments.Sort((a, b) => a.T != b.T ? a.T.CompareTo(b.T) : a.Start.CompareTo(b.Start));

        var idleSince = new Dictionary<int, double>();              // known children waiting in accept()
        var busy = new Dictionary<int, int>();                      // known children's requests in flight
        int outOfTurn = 0, compared = 0;
        foreach (var (t, start, i) in moments)
        {
            int pid = r.Pid[i];
            if (start)
            {
                bool known = busy.ContainsKey(pid);
                bool waited = idleSince.TryGetValue(pid, out double since);
                if (!known && idleSince.Count > 0 && spawnedAt is not null && spawnedAt.TryGetValue(pid, out double forked))
                {
                    // a new child's first request: the children idle since before its fork were ahead of it
                    compared++;
                    if (idleSince.Values.Any(w => w < forked)) outOfTurn++;
                }
                else if (known && idleSince.Count > 0)
                {
                    compared++;
                    // a child still busy (its previous request ended after this one began) took a connection
                    // others waited for; an idle one is in turn if none of the others had waited longer
                    if (!waited || idleSince.Any(w => w.Key != pid && w.Value < since)) outOfTurn++;
                }
                idleSince.Remove(pid);
                busy[pid] = busy.GetValueOrDefault(pid) + 1;
            }
            else
            {
                int left = busy[pid] - 1;
                busy[pid] = left;
                if (left == 0 && r.TStart[i] < last[pid]) idleSince[pid] = t;
            }
        }
        return new AcceptTurns(outOfTurn, compared);
    }
}
