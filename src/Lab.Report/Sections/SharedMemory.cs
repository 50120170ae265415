using Lab.Report.Model;
using Lab.Report.Output;

namespace Lab.Report.Sections;

/// <summary>
/// The report's "What the host pays" section, for a run whose samples read smaps_rollup: the
/// pool's summed PSS (what the host pays: the only place the report uses those words) beside its
/// summed RSS (what ps adds up to) and summed USS, at the last tick that read them, and the
/// overcount as a ratio. A run without PSS (an imported ps log, RSS only) says why it has none.
/// </summary>
internal static class SharedMemory
{
    public const string Anchor = "host";

    public static IReadOnlyList<Block> Blocks(RunModel m)
    {
        var k = m.Ticks;
        int last = k.LastPssTick();
        if (last < 0)
        {
            if (k.Count == 0) return [];
            return
            [
                new Heading(2, "What the host pays", Anchor),
                new Para("This run has no PSS or USS (no /proc/PID/smaps_rollup was read: an imported RSS-only log, or another user's processes without root). " +
                         "Its totals are sums of RSS, what ps adds up to: pages shared by the processes (code, libraries, opcache) are counted once per process, so the host may pay much less.", Muted: true),
            ];
        }
        long rss = k.PoolRssOfPssKb[last], pss = k.PoolPssKb[last], uss = k.PoolUssKb[last];
        double ratio = pss > 0 ? (double)rss / pss : double.NaN;
        int children = k.Children[last];
        var blocks = new List<Block>
        {
            new Heading(2, "What the host pays", Anchor),
            new Para($"At the last reading (t = {Fmt.Seconds(k.T[last])}, {Fmt.Count(children, "child", "children")} and the master), the host pays {Fmt.Size(pss)} for the pool: its summed PSS. " +
                     $"ps adds up to {Fmt.Size(rss)} (summed RSS), {Fmt.Ratio(ratio)} that, because every page the processes share is in each one's RSS in full. " +
                     $"Their private memory alone (summed USS, what ending them all would give back) is {Fmt.Size(uss)}; the {Fmt.Size(Math.Max(0, pss - uss))} between USS and PSS is the pool's share of the pages it shares.", Lead: true),
            new TableBlock(["total at the last reading", new Cell("size", Numeric: true), "what it is"],
            [
                ["summed PSS", new Cell(Fmt.Size(pss), Numeric: true), "what the host pays: each shared page divided among the processes mapping it"],
                ["summed RSS", new Cell(Fmt.Size(rss), Numeric: true), "what ps adds up to: each shared page counted once per process"],
                ["summed USS", new Cell(Fmt.Size(uss), Numeric: true), "private pages only: what ending every process would give back"],
                ["RSS / PSS", new Cell(Fmt.Ratio(ratio), Numeric: true), "how many times the sum of RSS overstates the memory used"],
            ]),
            new Para("PSS, USS and swap come from /proc/PID/smaps_rollup, read every pss_interval (samples.csv's pss_kb, uss_kb, swap_kb); RSS from statm at every tick, as ps. " +
                     "A pm.max_children = RAM / RSS rule counts the shared pages once per child; ./run.sh advise budgets them once.", Muted: true),
        };
        return blocks;
    }
}
