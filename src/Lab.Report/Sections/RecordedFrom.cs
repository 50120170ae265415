using Lab.Core.Fitting;
using Lab.Core.Records;
using Lab.Report.Model;
using Lab.Report.Output;
using Lab.Results.Reading;

namespace Lab.Report.Sections;

/// <summary>
/// The report's "Recorded from" section, for a folder made by ./run.sh record (manifest.json has
/// a source): what was attached to, and, when the pool had no status page to count requests, the
/// leak fitted per second instead of per request.
/// </summary>
public static class RecordedFrom
{
    public const string Anchor = "source";

    internal static IReadOnlyList<Block> Blocks(RunModel m)
    {
        if (m.Folder.Manifest.Source is not { } source) return [];
        var blocks = new List<Block>
        {
            new Heading(2, "Recorded from", Anchor),
            new Para("A php-fpm pool that ran without the lab, recorded by ./run.sh record: nothing was started or changed. " +
                     "The samples are its master and children as /proc showed them; the requests column is the status page's per-child counter " +
                     "(the lab's own status requests left out)."),
            new TableBlock(["source", "value"], source.Select(kv => (IReadOnlyList<Cell>)[new Cell(kv.Key, Mono: true), kv.Value]).ToList()),
        };
        if (HasRequestCounts(m.Folder.Samples))
            blocks.Add(new Para($"The status page counted {Fmt.Int(ServedDuring(m.Folder.Samples))} requests served during the recording. A recording sees " +
                                "each child's count, not single requests: requests.csv is empty, and so are the latency figures."));
        if (!HasRequestCounts(m.Folder.Samples) && LeakPerSecond(m.Folder.Samples) is { } perSecond)
            blocks.Add(new Para($"No request was counted (no status page), so the leak is fitted per second of each child's life instead: " +
                                $"{Fmt.Size(perSecond.SlopeKb)}/s" + (double.IsFinite(perSecond.StdErrKb) ? $" ± {Fmt.Size(perSecond.StdErrKb)}" : "") +
                                $" per child ({Fmt.Int(perSecond.Points)} samples)."));
        return blocks;
    }

    /// <summary>Requests the children finished during a recording: each child's last count minus its count at the first tick (a child born since: its last).</summary>
    public static long ServedDuring(SampleTable s)
    {
        var first = new Dictionary<int, long>();
        var last = new Dictionary<int, long>();
        for (int i = 0; i < s.Count; i++)
        {
            if (s.Role[i] != ProcessRole.Child) continue;
            first.TryAdd(s.Pid[i], s.T[i] <= s.T[0] ? s.Requests[i] : 0);
            last[s.Pid[i]] = s.Requests[i];
        }
        return last.Sum(kv => Math.Max(0, kv.Value - first[kv.Key]));
    }

    /// <summary>Did any child sample count a request?</summary>
    public static bool HasRequestCounts(SampleTable s)
    {
        for (int i = 0; i < s.Count; i++)
            if (s.Role[i] == ProcessRole.Child && s.Requests[i] > 0) return true;
        return false;
    }

    /// <summary>Each child's RSS against time, the slopes pooled (RssGrowthFit, seconds for requests); null when nothing can be fitted.</summary>
    public static (double SlopeKb, double StdErrKb, long Points)? LeakPerSecond(SampleTable s)
    {
        var fit = new RssGrowthFit();
        for (int i = 0; i < s.Count; i++)
            if (s.Role[i] == ProcessRole.Child) fit.Add(s.Pid[i], s.T[i], s.RssKb[i]);
        var r = fit.Result();
        return double.IsFinite(r.SlopeKb) ? r : null;
    }
}
