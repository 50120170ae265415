namespace Lab.Import.Parsing;

/// <summary>
/// When each snapshot of a pasted log was taken, whatever printed the snapshots (ps, smem, a
/// smaps_rollup loop): from the timestamps next to them, else snapshot index × the interval
/// (--interval, default 1s) — one rule for every format the import reads.
/// </summary>
public static class BlockTimes
{
    private static readonly System.Globalization.CultureInfo Inv = System.Globalization.CultureInfo.InvariantCulture;

    /// <summary>
    /// Each block's time: the lab's "# t=" lines as they are; else timestamps (`date` lines)
    /// when every block has one — before it (leading) or, failing that, after it (trailing) —
    /// counted from the first; else block index × interval.
    /// </summary>
    public static (double[] Times, TimeSource Source, DateTime? Epoch) Resolve(IReadOnlyList<(TimeMark? Leading, TimeMark? Trailing)> blocks, TimeSpan interval, List<string> notes)
    {
        int n = blocks.Count;
        double step = interval.TotalSeconds;
        double[] ByInterval() => Enumerable.Range(0, n).Select(i => i * step).ToArray();
        string intervalText = FormatSeconds(step);

        int leading = blocks.Count(b => b.Leading is not null), trailing = blocks.Count(b => b.Trailing is not null);
        if (leading == 0 && trailing == 0)
        {
            notes.Add($"times: block index × {intervalText} (the log has no timestamps; --interval sets the spacing)");
            return (ByInterval(), TimeSource.Interval, null);
        }
        bool useLeading = leading >= trailing;
        var marks = blocks.Select(b => useLeading ? b.Leading : b.Trailing).ToArray();
        int have = marks.Count(m => m is not null);
        if (have < n)
        {
            notes.Add($"timestamps were found for only {have} of {n} blocks: times are block index × {intervalText} instead");
            return (ByInterval(), TimeSource.Interval, null);
        }

        if (marks.All(m => m!.RunT is not null))
        {
            var t = marks.Select(m => m!.RunT!.Value).ToArray();
            for (int i = 1; i < n; i++)
                if (t[i] < t[i - 1])
                {
                    notes.Add($"the \"# t=\" times go backwards at line {marks[i]!.LineNumber}: times are block index × {intervalText} instead");
                    return (ByInterval(), TimeSource.Interval, null);
                }
            notes.Add("times: the lab's own \"# t=\" lines (seconds since the run's start)");
            return (t, TimeSource.LabPsLog, LabEpoch(marks!));
        }

        if (marks.Any(m => m!.Wall is null))
        {
            notes.Add($"timestamps are of mixed kinds: times are block index × {intervalText} instead");
            return (ByInterval(), TimeSource.Interval, null);
        }
        bool dated = marks.All(m => m!.HasDate);
        var times = new double[n];
        DateTime first = marks[0]!.Wall!.Value;
        double dayShift = 0;
        for (int i = 0; i < n; i++)
        {
            var w = marks[i]!.Wall!.Value;
            double t = (dated ? (w - first).TotalSeconds : (w.TimeOfDay - first.TimeOfDay).TotalSeconds) + dayShift;
            if (i > 0 && t < times[i - 1])
            {
                if (!dated && t + 86400 >= times[i - 1]) { dayShift += 86400; t += 86400; } // a time of day past midnight
                else
                {
                    notes.Add($"the timestamps go backwards at line {marks[i]!.LineNumber}: times are block index × {intervalText} instead");
                    return (ByInterval(), TimeSource.Interval, null);
                }
            }
            times[i] = t;
        }
        notes.Add($"times: the timestamp {(useLeading ? "before" : "after")} each block (line {marks[0]!.LineNumber} is t = 0)");
        return (times, TimeSource.Timestamps, dated ? first : null);
    }

    /// <summary>
    /// The run's epoch from ps.log's lines ("# t=12.250s 2026-01-01 00:00:12 UTC": the date is the
    /// epoch + t, cut to the second): the latest lower bound, moved up to a whole second when that
    /// stays within every line's bound (the simulator's epoch is a whole second).
    /// </summary>
    private static DateTime? LabEpoch(TimeMark[] marks)
    {
        double lo = double.NegativeInfinity, hi = double.PositiveInfinity;
        var origin = DateTime.UnixEpoch;
        foreach (var m in marks)
        {
            if (m.Wall is not DateTime w) return null;
            double s = (w - origin).TotalSeconds - m.RunT!.Value;
            lo = Math.Max(lo, s);
            hi = Math.Min(hi, s + 1);
        }
        double whole = Math.Ceiling(lo - 1e-9);
        double epoch = whole < hi ? whole : lo;
        return origin.AddTicks((long)Math.Round(epoch * TimeSpan.TicksPerSecond));
    }

    public static string FormatSeconds(double s) =>
        s >= 1 && s == Math.Floor(s) ? s.ToString("0", Inv) + "s" : (s * 1000).ToString("0.###", Inv) + "ms";
}
