using System.Globalization;
using System.Text.RegularExpressions;
using Lab.Core.Time;
using Lab.Linux.Proc;

namespace Lab.Probe.Tests;

/// <summary>
/// PSS, USS and swap as the sampler reads them (SmapsSchedule over a Sampler tick) equal what the
/// kernel's /proc/PID/smaps_rollup says at that moment, for processes that really share pages
/// (a perl that touched 48 MiB, then forked: the child shares them copy-on-write).
/// </summary>
public class SmapsTests
{
    /// <summary>The kernel's smaps_rollup, read and parsed here independently of the lab's parser.</summary>
    private static (long Pss, long Uss, long Swap, long Rss) Kernel(int pid)
    {
        string text = File.ReadAllText($"/proc/{pid}/smaps_rollup");
        long Field(string name)
        {
            var m = Regex.Match(text, $@"^{name}:\s+(\d+) kB$", RegexOptions.Multiline);
            Assert.True(m.Success, $"smaps_rollup of {pid} has no {name}:\n{text}");
            return long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        }
        return (Field("Pss"), Field("Private_Clean") + Field("Private_Dirty"), Field("Swap"), Field("Rss"));
    }

    [Fact]
    public void PssUssAndSwapEqualSmapsRollup_ForProcessesSharingPages()
    {
        // 48 MiB touched, then a fork: parent and child share the pages until either writes them.
        using var perl = Spawned.Start("perl", "-e",
            "$| = 1; my $x = 'a' x (48 * 1024 * 1024); my $pid = fork(); if ($pid == 0) { sleep 600; exit 0; } print qq(ready\\n); sleep 600;");
        Assert.Equal("ready", perl.ReadLine());
        Assert.True(Spawned.WaitFor(() => Proc.Descendants(perl.Pid).Count == 1));

        var clock = new RunClock();
        var schedule = new SmapsSchedule(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(100));
        Dictionary<int, SmapsFigures>? read = null;
        IReadOnlyList<ProcSample> procs = [];
        Dictionary<int, (long Pss, long Uss, long Swap, long Rss)> settled = [];
        for (int attempt = 0; attempt < 20; attempt++)
        {
            // the kernel before and after ours agree: a settled moment, so ours is that moment's
            var before = new[] { perl.Pid }.Concat(Proc.Descendants(perl.Pid)).ToDictionary(p => p, Kernel);
            using var sampler = new Sampler(clock, TimeSpan.FromMilliseconds(100), () => [perl.Pid], (t, p) => { });
            procs = sampler.SampleOnce();
            read = new SmapsSchedule(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(100)).ReadIfDue(0, procs);
            var after = before.Keys.ToDictionary(p => p, Kernel);
            if (before.All(kv => kv.Value == after[kv.Key])) { settled = after; break; }
            read = null;
        }
        Assert.NotNull(read);
        Assert.Equal(2, procs.Count);
        Assert.Equal(2, read!.Count);
        foreach (var p in procs)
        {
            // the kernel's figures of that settled moment: a PSS read later moves with every process
            // on the host that maps or unmaps the same libraries
            var k = settled[p.Pid];
            var f = read[p.Pid];
            Assert.Equal((k.Pss, k.Uss, k.Swap), (f.PssKb, f.UssKb, f.SwapKb));
            // the 48 MiB are in both RSS in full, in PSS for about half, in neither USS
            Assert.True(p.RssKb > 48 * 1024, $"RSS {p.RssKb}");
            Assert.True(f.PssKb < p.RssKb - 20 * 1024, $"PSS {f.PssKb} against RSS {p.RssKb}");
            Assert.True(f.UssKb < f.PssKb, $"USS {f.UssKb} against PSS {f.PssKb}");
        }
        // the pool pays the shared pages once: summed PSS is about one copy, summed RSS two
        long rss = procs.Sum(p => p.RssKb), pss = read.Values.Sum(f => f.PssKb);
        Assert.InRange((double)rss / pss, 1.6, 2.2);
        Assert.NotNull(schedule.ReadIfDue(0, procs));
    }

    [Fact]
    public void ReadEveryPssInterval_NeverMoreOftenThanTheTicks()
    {
        IReadOnlyList<ProcSample> self = [new ProcSample(Environment.ProcessId, 0, 'S', 1, 1, 0, 0, "self")];
        var every1s = new SmapsSchedule(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(250));
        var read = Enumerable.Range(0, 12).Select(k => k * 0.25).Where(t => every1s.ReadIfDue(t, self) is not null).ToList();
        Assert.Equal([0, 1, 2], read);
        Assert.NotNull(every1s.ReadIfDue(2.25, self, force: true)); // the run's final tick

        // pss_interval shorter than the sampler's: every tick, no more
        var fast = new SmapsSchedule(TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(500));
        Assert.Equal(500, fast.EverySeconds * 1000, 6);
        Assert.Equal(4, Enumerable.Range(0, 4).Count(k => fast.ReadIfDue(k * 0.5, self) is not null));
        var f = fast.ReadIfDue(10, self)![Environment.ProcessId];
        Assert.True(f.PssKb > 0 && f.UssKb > 0 && f.UssKb <= f.PssKb);
    }

    [Fact]
    public void AProcessGoneBeforeItsSmapsIsLeftOut()
    {
        using var sh = Spawned.Start("sh", "-c", "exit 0");
        int pid = sh.Pid;
        Assert.True(Spawned.WaitFor(() => !Directory.Exists($"/proc/{pid}")));
        var schedule = new SmapsSchedule(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        var read = schedule.ReadIfDue(0, [new ProcSample(pid, 0, 'S', 1, 1, 0, 0, "sh"), new ProcSample(Environment.ProcessId, 0, 'S', 1, 1, 0, 0, "self")]);
        Assert.NotNull(read);
        Assert.False(read!.ContainsKey(pid));
        Assert.True(read.ContainsKey(Environment.ProcessId));
        Assert.False(schedule.Denied);
    }

    [Fact]
    public void AReadingCostingMoreThanTwoPercentOfACoreWaitsLonger_AndSaysSo()
    {
        IReadOnlyList<ProcSample> self = [new ProcSample(Environment.ProcessId, 0, 'S', 1, 1, 0, 0, "self")];
        // each pass costs 50 ms of CPU (as 100 PHP processes do): at 2 % of a core the next is due 2.5 s later
        double cpu = 0;
        var costly = new SmapsSchedule(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(250), cpuSeconds: () => cpu += 0.05);
        var read = Enumerable.Range(0, 40).Select(k => k * 0.25).Where(t => costly.ReadIfDue(t, self) is not null).ToList();
        Assert.Equal([0, 2.5, 5, 7.5], read);
        Assert.Equal(2.5, costly.LongestIntervalS, 6);
        Assert.Contains("every 2.5 s at times, not every 1 s", costly.StretchNote);
        Assert.Contains("50 ms of CPU", costly.StretchNote);

        // a cheap pass (5 ms: 0.5 %) keeps pss_interval, and says nothing
        var cheap = new SmapsSchedule(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(250), cpuSeconds: () => cpu += 0.005);
        Assert.Equal([0, 1, 2], Enumerable.Range(0, 12).Select(k => k * 0.25).Where(t => cheap.ReadIfDue(t, self) is not null).ToList());
        Assert.Null(cheap.StretchNote);
    }
}
