using System.Globalization;
using Lab.Core.Scenarios;

namespace Lab.Probe;

/// <summary>The guard's limits in KiB, resolved from the scenario's guard settings and the host.</summary>
/// <param name="MaxRssKb">The run's total RSS (master + children) must stay under this.</param>
/// <param name="MinAvailableKb">The host's MemAvailable must stay above this.</param>
public sealed record GuardLimits(long MaxRssKb, long MinAvailableKb)
{
    /// <summary>True when MaxRssKb is the default (half of MemAvailable at the start), not guard.max_rss.</summary>
    public bool MaxRssIsDefault { get; init; }
    /// <summary>True when MinAvailableKb is the default (min(1 GiB, 10% of MemTotal)), not guard.min_available.</summary>
    public bool MinAvailableIsDefault { get; init; }
}

/// <summary>
/// A leak lab must never take its host down. The engine feeds the guard the run's total RSS and
/// the host's MemInfo at every sample tick; the first non-null answer is the reason to stop the
/// load, end the pool and mark the run incomplete.
/// </summary>
public sealed class MemoryGuard(GuardLimits limits)
{
    private const long OneGiBKb = 1024 * 1024;

    public GuardLimits Limits { get; } = limits;

    /// <summary>
    /// The limits: guard.max_rss, else half of MemAvailable now; guard.min_available, else the
    /// smaller of 1 GiB and 10% of MemTotal.
    /// </summary>
    public static GuardLimits Resolve(GuardSettings settings, MemInfo now)
    {
        bool rssDefault = settings.MaxRssBytes is null;
        bool floorDefault = settings.MinAvailableBytes is null;
        long maxRss = settings.MaxRssBytes is { } b ? b / 1024 : now.MemAvailableKb / 2;
        long floor = settings.MinAvailableBytes is { } f ? f / 1024 : Math.Min(OneGiBKb, now.MemTotalKb / 10);
        return new GuardLimits(maxRss, floor) { MaxRssIsDefault = rssDefault, MinAvailableIsDefault = floorDefault };
    }

    /// <summary>The run's total RSS: the sum over a tick's samples.</summary>
    public static long TotalRssKb(IReadOnlyList<ProcSample> samples)
    {
        long sum = 0;
        for (int i = 0; i < samples.Count; i++) sum += samples[i].RssKb;
        return sum;
    }

    /// <summary>Null while fine; else why the run must stop, in words a user can act on.</summary>
    public string? Check(long totalRssKb, MemInfo now)
    {
        if (totalRssKb >= Limits.MaxRssKb)
            return $"the pool's RSS reached {FormatKb(totalRssKb)}, over guard.max_rss = {FormatKb(Limits.MaxRssKb)}"
                + (Limits.MaxRssIsDefault ? " (the default: half of MemAvailable at the start; set guard.max_rss to change it)" : "");
        if (now.MemAvailableKb < Limits.MinAvailableKb)
            return $"the host's MemAvailable fell to {FormatKb(now.MemAvailableKb)}, under guard.min_available = {FormatKb(Limits.MinAvailableKb)}"
                + (Limits.MinAvailableIsDefault ? " (the default: the smaller of 1 GiB and 10% of MemTotal)" : "");
        return null;
    }

    /// <summary>KiB as ps-reading humans say it: "2 GiB", "2.3 GiB", "512 MiB", "900 KiB".</summary>
    public static string FormatKb(long kb)
    {
        static string Num(double v) => v == Math.Floor(v)
            ? v.ToString("0", CultureInfo.InvariantCulture)
            : v.ToString("0.0", CultureInfo.InvariantCulture);
        if (kb >= OneGiBKb) return Num(kb / (double)OneGiBKb) + " GiB";
        if (kb >= 1024) return Num(kb / 1024.0) + " MiB";
        return kb.ToString(CultureInfo.InvariantCulture) + " KiB";
    }
}
