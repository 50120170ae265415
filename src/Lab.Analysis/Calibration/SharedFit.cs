using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.Results;

namespace Lab.Analysis.Calibration;

/// <summary>
/// memory.shared, memory.shared_code, memory.shared_others and memory.master_pss fitted to a real
/// run's smaps_rollup readings. In the sim a child's RSS holds S (memory.shared) from its start and
/// C (memory.shared_code) from its first request on, in full; its USS none of them; its PSS a share
/// of each (S among all n children and k others, C among those that ran a request and k others).
/// So S is a fresh child's RSS − USS (its first reading, before any request; median), C what a child that ran requests shares more
/// (median), and k what makes the children's summed PSS − USS the real one at each tick that read
/// them (median). The RSS fit's baseline and VSZ hold S (taken out of them); its growth must not
/// hold C (<see cref="WithoutCode"/>). master_pss: the master's PSS, its median. Null when the
/// run read no PSS (RSS only).
/// </summary>
public sealed record SharedFitResult(Estimate Shared, Estimate SharedCode, Estimate Others, Estimate MasterPss, int Ticks)
{
    /// <summary>Applies the fit to a model whose baseline and VSZ came from the RSS fit (they hold S).</summary>
    public MemoryModel Apply(MemoryModel m)
    {
        long s = Math.Max(0, (long)Math.Round(Math.Min(Shared.Value, m.ChildBaselineKb - 1)));
        return m with
        {
            SharedKb = s,
            SharedCodeKb = Math.Max(0, (long)Math.Round(SharedCode.Value)),
            SharedOthers = Math.Round(Others.Value, 3),
            ChildBaselineKb = m.ChildBaselineKb - s,
            ChildVszKb = Math.Max(1, m.ChildVszKb - s),
            MasterPssKb = (long)Math.Round(MasterPss.Value),
        };
    }

    /// <summary>The children's readings with the shared code taken out of those after a request: what the RSS fit sees as private growth.</summary>
    public IReadOnlyList<ChildHistory> WithoutCode(IReadOnlyList<ChildHistory> children)
    {
        long c = (long)Math.Round(SharedCode.Value);
        if (c <= 0) return children;
        return children.Select(h => h with { Samples = h.Samples.Select(x => x.Served >= 1 ? x with { RssKb = Math.Max(1, x.RssKb - c) } : x).ToList() }).ToList();
    }

    public static SharedFitResult? Of(RunFolder run)
    {
        var s = run.Samples;
        if (!s.HasPss) return null;
        var fresh = new List<double>();
        var ran = new List<double>();
        var seen = new HashSet<int>();
        var master = new List<double>();
        var ticks = new List<(int All, int Ran, double PaidKb)>();
        int i = 0;
        while (i < s.Count)
        {
            int j = i, all = 0, withRequests = 0;
            double paid = 0;
            for (; j < s.Count && s.T[j] == s.T[i]; j++)
            {
                if (s.PssKb[j] < 0) continue;
                if (s.Role[j] == ProcessRole.Master) { master.Add(s.PssKb[j]); continue; }
                double shared = s.RssKb[j] - s.UssKb[j];
                // fresh: a child's first reading, before any request (a later one at 0 requests may
                // have run one whose answer had not come back yet: its code already touched)
                bool first = seen.Add(s.Pid[j]);
                if (s.Requests[j] == 0) { if (first) fresh.Add(shared); }
                else { ran.Add(shared); withRequests++; }
                paid += s.PssKb[j] - s.UssKb[j];
                all++;
            }
            if (all > 0 && paid > 0) ticks.Add((all, withRequests, paid));
            i = j;
        }
        if (fresh.Count + ran.Count == 0 || ticks.Count == 0) return null;
        double sharedKb = fresh.Count > 0 ? Stats.Median(fresh) : Stats.Median(ran);
        double codeKb = fresh.Count > 0 && ran.Count > 0 ? Math.Max(0, Stats.Median(ran) - sharedKb) : 0;
        // paid = n·S/(n+k) + r·C/(r+k): k by bisection (paid falls as k grows)
        var others = ticks.Select(t => SolveOthers(t.All, t.Ran, sharedKb, codeKb, t.PaidKb)).ToList();
        double Spread(List<double> v) => v.Count > 1 ? Stats.StdDev(v) : double.NaN;
        return new SharedFitResult(
            new Estimate(sharedKb, Spread(fresh.Count > 0 ? fresh : ran), $"median RSS − USS of {(fresh.Count > 0 ? fresh.Count + " fresh child" : ran.Count + " child")} readings of smaps_rollup: the pages a child shares from its start"),
            new Estimate(codeKb, Spread(ran), fresh.Count > 0 && ran.Count > 0
                ? $"median RSS − USS of {ran.Count} readings of children that ran requests, less a fresh child's: the shared pages requests touch (code, opcache)"
                : "not told: no reading of both a fresh child and one that ran requests"),
            new Estimate(Stats.Median(others), Spread(others),
                $"what makes the children's summed PSS − USS the real one at {ticks.Count} ticks (median): processes outside the children mapping the same pages"),
            new Estimate(master.Count > 0 ? Stats.Median(master) : 0, Spread(master), $"median PSS of the master's {master.Count} readings"),
            ticks.Count);
    }

    private static double SolveOthers(int all, int ran, double s, double c, double paid)
    {
        double Paid(double k) => all * s / (all + k) + (ran > 0 ? ran * c / (ran + k) : 0);
        if (Paid(0) <= paid) return 0;
        double lo = 0, hi = 1;
        while (Paid(hi) > paid && hi < 1e6) hi *= 2;
        for (int it = 0; it < 60; it++)
        {
            double mid = (lo + hi) / 2;
            if (Paid(mid) > paid) lo = mid; else hi = mid;
        }
        return (lo + hi) / 2;
    }
}
