using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.Results;

namespace Lab.Analysis.Calibration;

/// <summary>
/// memory.shared, memory.shared_others and memory.master_pss fitted to a real run's smaps_rollup
/// readings. In the sim a child's RSS holds the shared part S in full, its USS none of it, its PSS
/// S / (n + k) with n live children and k other processes mapping the same pages. So S is a
/// child's RSS − USS (the median over the children's readings), and k what makes the children's
/// summed PSS − USS, n × S / (n + k), the real one at each tick that read them (their median).
/// The baseline and VSZ the RSS fit found hold S: it is taken out of them. master_pss: the
/// master's PSS, its median. Null when the run read no PSS (RSS only).
/// </summary>
public sealed record SharedFitResult(Estimate Shared, Estimate Others, Estimate MasterPss, int Ticks)
{
    /// <summary>Applies the fit to a model whose baseline and VSZ came from the RSS fit (they hold S).</summary>
    public MemoryModel Apply(MemoryModel m)
    {
        long s = Math.Max(0, (long)Math.Round(Math.Min(Shared.Value, m.ChildBaselineKb - 1)));
        return m with
        {
            SharedKb = s,
            SharedOthers = Math.Round(Others.Value, 3),
            ChildBaselineKb = m.ChildBaselineKb - s,
            ChildVszKb = Math.Max(1, m.ChildVszKb - s),
            MasterPssKb = (long)Math.Round(MasterPss.Value),
        };
    }

    public static SharedFitResult? Of(RunFolder run)
    {
        var s = run.Samples;
        if (!s.HasPss) return null;
        var sharedPerChild = new List<double>();
        var master = new List<double>();
        var ticks = new List<(int Children, double PaidKb)>();
        int i = 0;
        while (i < s.Count)
        {
            int j = i, children = 0;
            double paid = 0;
            for (; j < s.Count && s.T[j] == s.T[i]; j++)
            {
                if (s.PssKb[j] < 0) continue;
                if (s.Role[j] == ProcessRole.Master) { master.Add(s.PssKb[j]); continue; }
                sharedPerChild.Add(s.RssKb[j] - s.UssKb[j]);
                paid += s.PssKb[j] - s.UssKb[j];
                children++;
            }
            if (children > 0 && paid > 0) ticks.Add((children, paid));
            i = j;
        }
        if (sharedPerChild.Count == 0 || ticks.Count == 0) return null;
        double shared = Stats.Median(sharedPerChild);
        var others = ticks.Select(t => Math.Max(0, t.Children * shared / t.PaidKb - t.Children)).ToList();
        double Spread(List<double> v) => v.Count > 1 ? Stats.StdDev(v) : double.NaN;
        return new SharedFitResult(
            new Estimate(shared, Spread(sharedPerChild), $"median RSS − USS of {sharedPerChild.Count} child readings of smaps_rollup: the pages a child shares"),
            new Estimate(Stats.Median(others), Spread(others),
                $"what makes the children's summed PSS − USS, n × shared / (n + others), the real one at {ticks.Count} ticks (median): the shared pages are mapped by processes outside the children too"),
            new Estimate(master.Count > 0 ? Stats.Median(master) : 0, Spread(master), $"median PSS of the master's {master.Count} readings"),
            ticks.Count);
    }
}
