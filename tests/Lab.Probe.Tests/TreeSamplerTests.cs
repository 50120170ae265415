using Lab.Linux.Proc;
using System.Globalization;
using Lab.Core.Time;

namespace Lab.Probe.Tests;

/// <summary>The sampler's cached tree walk finds what a full scan of /proc finds, tick after tick.</summary>
public class TreeSamplerTests
{
    private static List<int> Sample(TreeSampler sampler, params int[] roots)
    {
        var into = new List<ProcSample>();
        sampler.Sample(roots, Proc.BootOffset(new RunClock()), into);
        return into.Select(s => s.Pid).ToList();
    }

    private static List<int> FullScan(params int[] roots)
    {
        var found = new List<StatFields>();
        new ProcTree(useChildrenFiles: false).Collect(roots, found);
        return found.Select(s => s.Pid).ToList();
    }

    /// <summary>This process's descriptors open on some /proc/PID/stat or statm.</summary>
    private static int OpenDescriptors() => Directory.GetFiles("/proc/self/fd").Count(fd =>
        new FileInfo(fd).LinkTarget is { } target
        && System.Text.RegularExpressions.Regex.IsMatch(target, @"^/proc/\d+/statm?$"));

    [Fact]
    public void FollowsChildrenComingAndGoingAndClosesTheirDescriptors()
    {
        using var sampler = new TreeSampler();
        // a root that starts one more `sleep` per line it reads, and kills them all on "kill"
        using var root = Spawned.Start("sh", "-c", "echo ready; while read cmd; do if [ \"$cmd\" = kill ]; then kill $pids; wait; else sleep 600 & pids=\"$pids $!\"; fi; echo ok; done");
        Assert.Equal("ready", root.ReadLine());
        int baseline = OpenDescriptors();
        Assert.Equal([root.Pid], Sample(sampler, root.Pid));
        for (int n = 1; n <= 5; n++)
        {
            root.WriteLine("start");
            Assert.Equal("ok", root.ReadLine());
            Assert.True(Spawned.WaitFor(() => FullScan(root.Pid).Count == n + 1));
            Assert.Equal(FullScan(root.Pid).Order(), Sample(sampler, root.Pid).Order());
        }
        Assert.Equal(baseline + 2 * 6, OpenDescriptors()); // stat + statm of each process of the tree

        root.WriteLine("kill");
        Assert.Equal("ok", root.ReadLine());
        Assert.True(Spawned.WaitFor(() => FullScan(root.Pid).Count == 1));
        Assert.True(Spawned.WaitFor(() => Sample(sampler, root.Pid).Count == 1)); // the killed sleeps may linger as zombies a moment
        Assert.Equal(baseline + 2, OpenDescriptors());
        sampler.Dispose();
        Assert.Equal(baseline, OpenDescriptors());
    }

    [Fact]
    public void AnOrphanReparentedIntoTheTreeIsFound()
    {
        // python makes itself a child subreaper, then a child shell leaves a `sleep` behind and
        // exits: the sleep is reparented to python, i.e. into the tree, without being a new pid
        using var root = Spawned.Start("python3", "-c", """
            import ctypes, subprocess, sys
            assert ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
            print("ready", flush=True)
            sys.stdin.readline()
            inner = subprocess.Popen(["sh", "-c", "echo ready; read x; sleep 600 & echo $!; exit 0"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            print(inner.stdout.readline().strip(), inner.pid, flush=True)
            sys.stdin.readline()
            inner.stdin.write("go\n"); inner.stdin.flush()
            print(inner.stdout.readline().strip(), flush=True)
            inner.wait()
            print("orphaned", flush=True)
            sys.stdin.readline()
            """);
        Assert.Equal("ready", root.ReadLine());
        using var sampler = new TreeSampler();
        Assert.Equal([root.Pid], Sample(sampler, root.Pid));
        root.WriteLine("");
        var innerLine = root.ReadLine()!.Split(' ');
        Assert.Equal("ready", innerLine[0]);
        int inner = int.Parse(innerLine[1], CultureInfo.InvariantCulture);
        Assert.Equal([root.Pid, inner], Sample(sampler, root.Pid));
        root.WriteLine("");
        int sleep = int.Parse(root.ReadLine()!, CultureInfo.InvariantCulture);
        Assert.Equal("orphaned", root.ReadLine());
        Assert.True(Proc.TryRead(sleep, new RunClock(), out var s));
        Assert.Equal(root.Pid, s.Ppid);                       // reparented to the subreaper
        Assert.Equal([root.Pid, sleep], FullScan(root.Pid));
        Assert.Equal([root.Pid, sleep], Sample(sampler, root.Pid));
        // python stays up: disposing `root` kills it with its tree, the adopted sleep included
    }

    [Fact]
    public void AgreesWithAFullScanForTheWholeHost()
    {
        // a CI container's host may hold only a handful of processes: add a dozen so the walk has a tree to follow
        using var crowd = Spawned.Start("sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 600 & done; echo ready; read x");
        Assert.Equal("ready", crowd.ReadLine());
        using var sampler = new TreeSampler();
        for (int i = 0; i < 3; i++)
        {
            var cached = Sample(sampler, 1);
            var full = FullScan(1);
            // processes come and go on a shared machine between the two reads: compare what both saw
            var both = cached.Intersect(full).Count();
            Assert.True(both >= Math.Max(cached.Count, full.Count) - 5, $"cached {cached.Count}, full {full.Count}, common {both}");
            Assert.True(cached.Count > 10, $"cached {cached.Count}");
            Assert.Contains(crowd.Pid, cached);
        }
    }
}
