namespace Lab.Import.Parsing;

/// <summary>
/// The master among processes the log gives no title for (a smaps_rollup dump without commands,
/// smem showing only the Name column): php-fpm's master starts first and forks every child after
/// itself, and outlives them, so the master is taken to be the lowest PID of the whole log when
/// that PID is in every snapshot; every other PID is a child. When no PID is both (the master
/// restarted, or was not in the paste), no master is named and every process counts as a child.
/// The rule can be wrong (PIDs wrapped around, two pools in one paste): the import says so in its
/// notes, and how to give the titles.
/// </summary>
public static class UntitledRoles
{
    /// <summary>The master's PID by that rule, or null.</summary>
    /// <param name="snapshots">The PIDs of each snapshot.</param>
    public static int? Master(IReadOnlyList<IReadOnlyCollection<int>> snapshots)
    {
        if (snapshots.Count == 0) return null;
        int lowest = int.MaxValue;
        foreach (var s in snapshots)
            foreach (int pid in s) lowest = Math.Min(lowest, pid);
        if (lowest == int.MaxValue) return null;
        return snapshots.All(s => s.Contains(lowest)) ? lowest : null;
    }

    /// <summary>The note the import prints on the roles it decided this way.</summary>
    public static string Note(int? master, string what, string howToGiveTitles) => master is int m
        ? $"roles: {what} has no process title; PID {m}, the lowest and in every snapshot, is taken as the master (php-fpm forks its children after itself) and the others as children — {howToGiveTitles}"
        : $"roles: {what} has no process title and no PID is both the lowest and in every snapshot (a restart?): no master is named, every process counts as a child — {howToGiveTitles}";
}
