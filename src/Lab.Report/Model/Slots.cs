namespace Lab.Report.Model;

/// <summary>
/// The children of a run laid out by scoreboard slot, as php-fpm's scoreboard holds them: a
/// child takes the lowest slot free when it starts, and a slot frees when its child ends; so a
/// static pool of N children has N slots, each holding its successive PIDs one after the other
/// (the sawtooth of one slot), and children recycled together line up across slots (a recycle
/// wave). Rebuilt from the lives the samples show (a child's end is its exit, else its last
/// sample): a slot is free for a child whose first sample comes after the last sample, and not
/// before the exit, of the slot's previous child.
/// </summary>
internal sealed class Slots
{
    /// <summary>The slot of each child life (same order as the lives given).</summary>
    public required int[] SlotOf { get; init; }
    public required int Count { get; init; }

    public static Slots Assign(IReadOnlyList<ProcessLife> children)
    {
        var order = Enumerable.Range(0, children.Count).OrderBy(i => children[i].FirstT).ThenBy(i => children[i].Pid).ToArray();
        var slotOf = new int[children.Count];
        var lastSample = new List<double>(); // each slot's current child: its last sample and its exit
        var exit = new List<double>();
        foreach (int i in order)
        {
            var c = children[i];
            int slot = -1;
            for (int s = 0; s < lastSample.Count; s++)
                if (lastSample[s] <= c.FirstT && exit[s] <= c.FirstT) { slot = s; break; }
            if (slot < 0) { slot = lastSample.Count; lastSample.Add(0); exit.Add(0); }
            slotOf[i] = slot;
            lastSample[slot] = c.LastT;
            exit[slot] = c.ExitT ?? c.LastT;
        }
        return new Slots { SlotOf = slotOf, Count = lastSample.Count };
    }
}
