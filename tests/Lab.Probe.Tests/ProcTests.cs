using Lab.Linux.Proc;
using System.Globalization;
using Lab.Core.Time;

namespace Lab.Probe.Tests;

public class ProcTests
{
    private static (long Rss, long Vsz) Ps(int pid)
    {
        var parts = Spawned.Run("ps", "-o", "rss=,vsz=", "-p", pid.ToString(CultureInfo.InvariantCulture))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, parts.Length);
        return (long.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture));
    }

    /// <summary>Reads ps and Proc until two ps readings agree around ours (a settled process), then compares.</summary>
    private static void AssertMatchesPs(int pid, RunClock clock)
    {
        var before = Ps(pid);
        Assert.True(Proc.TryRead(pid, clock, out var s));
        var after = Ps(pid);
        Assert.Equal(before, after); // the process is idle: nothing moves between the readings
        Assert.Equal(before.Rss, s.RssKb);
        Assert.Equal(before.Vsz, s.VszKb);
    }

    [Fact]
    public void RssAndVszEqualPs_ForAProcessThatTouchedMemory()
    {
        var clock = new RunClock();
        // perl is Debian-essential; 48 MiB of touched string, then idle
        using var big = Spawned.Start("perl", "-e", "$| = 1; my $x = 'a' x (48 * 1024 * 1024); print qq(ready\\n); sleep 600;");
        Assert.Equal("ready", big.ReadLine());
        AssertMatchesPs(big.Pid, clock);
        Assert.True(Proc.TryRead(big.Pid, clock, out var s));
        Assert.True(s.RssKb > 48 * 1024, $"rss {s.RssKb} KiB should hold the 48 MiB string");
        // the sampler's path (descriptors kept open, read again with pread) reads the same numbers
        using (var tree = new TreeSampler())
        {
            var samples = new List<ProcSample>();
            tree.Sample([big.Pid], Proc.BootOffset(clock), samples);
            tree.Sample([big.Pid], Proc.BootOffset(clock), samples); // the second read goes through the kept descriptors
            var ps = Ps(big.Pid);
            Assert.All(samples, x =>
            {
                Assert.Equal((ps.Rss, ps.Vsz), (x.RssKb, x.VszKb));
                Assert.Equal(s.StartS, x.StartS, 3); // the boot-clock offset is read anew each time
            });
        }
        Assert.Equal("perl", s.Comm);
        Assert.Equal(Environment.ProcessId, s.Ppid);
        Assert.Equal('S', s.State);
    }

    [Fact]
    public void RssAndVszEqualPs_ForShellAndSleep()
    {
        var clock = new RunClock();
        using var sh = Spawned.Start("sh", "-c", "echo ready; sleep 600 & wait");
        Assert.Equal("ready", sh.ReadLine());
        IReadOnlyList<int> kids = [];
        Assert.True(Spawned.WaitFor(() => (kids = Proc.Descendants(sh.Pid)).Count == 1));
        Thread.Sleep(100); // let the freshly exec'd sleep finish faulting its pages in
        AssertMatchesPs(sh.Pid, clock);
        AssertMatchesPs(kids[0], clock);
    }

    [Fact]
    public void CpuStartCommandLineAndUser()
    {
        var clock = new RunClock();
        Thread.Sleep(50);
        double before = clock.Now;
        using var p = Spawned.Start("perl", "-e", "$| = 1; my $i = 0; $i++ while $i < 3e7; print qq(ready\\n); sleep 600;", "arg two");
        double after = clock.Now;
        Assert.Equal("ready", p.ReadLine());
        Assert.True(Proc.TryRead(p.Pid, clock, out var s));
        // starttime has 1/CLK_TCK resolution: allow one tick either side
        Assert.InRange(s.StartS, before - 0.011, after + 0.011);
        Assert.True(s.CpuS > 0, "a busy loop used CPU time");

        string psArgs = Spawned.Run("ps", "-o", "args=", "-p", p.Pid.ToString(CultureInfo.InvariantCulture)).TrimEnd('\n');
        Assert.Equal(psArgs, Proc.CommandLine(p.Pid));
        Assert.EndsWith("arg two", Proc.CommandLine(p.Pid));
        string psUser = Spawned.Run("ps", "-o", "user:32=", "-p", p.Pid.ToString(CultureInfo.InvariantCulture)).Trim();
        Assert.Equal(psUser, Proc.UserName(p.Pid));
    }

    [Fact]
    public void AGoneProcessIsNotRead()
    {
        using var p = Spawned.Start("sh", "-c", "exit 0");
        p.Process.WaitForExit();
        int pid = p.Pid;
        Assert.True(Spawned.WaitFor(() => !Directory.Exists($"/proc/{pid}"))); // reaped
        Assert.False(Proc.TryRead(pid, new RunClock(), out _));
        Assert.Empty(Proc.Descendants(pid));
        Assert.Equal("", Proc.CommandLine(pid));
    }

    [Fact]
    public void DescendantsIncludeGrandchildren()
    {
        using var sh = Spawned.Start("sh", "-c", "sleep 600 & sleep 600 & sh -c 'sleep 600 & wait' & echo ready; wait");
        Assert.Equal("ready", sh.ReadLine());
        IReadOnlyList<int> found = [];
        Assert.True(Spawned.WaitFor(() => (found = Proc.Descendants(sh.Pid)).Count == 4),
            $"expected 2 sleeps, an inner sh and its sleep; found {found.Count}");
        var clock = new RunClock();
        var byPid = new Dictionary<int, ProcSample>();
        foreach (int pid in found) { Assert.True(Proc.TryRead(pid, clock, out var s)); byPid[pid] = s; }
        var inner = Assert.Single(byPid.Values, s => s.Comm == "sh");
        Assert.Equal(sh.Pid, inner.Ppid);
        Assert.Equal(3, byPid.Values.Count(s => s.Comm == "sleep"));
        var grandchild = Assert.Single(byPid.Values, s => s.Ppid == inner.Pid);
        Assert.Equal("sleep", grandchild.Comm);
        // breadth-first: the grandchild comes after every child
        Assert.Equal(grandchild.Pid, found[^1]);
    }

    [Fact]
    public void TreeByScanAndByChildrenFilesAgree()
    {
        using var sh = Spawned.Start("sh", "-c", "sleep 600 & sh -c 'sleep 600 & wait' & echo ready; wait");
        Assert.Equal("ready", sh.ReadLine());
        Assert.True(Spawned.WaitFor(() => Proc.Descendants(sh.Pid).Count == 3));
        var byScan = new List<StatFields>();
        new ProcTree(useChildrenFiles: false).Collect([sh.Pid], byScan);
        Assert.Equal(4, byScan.Count);
        Assert.Equal(sh.Pid, byScan[0].Pid);
        if (ProcTree.ChildrenFilesAvailable)
        {
            var byChildren = new List<StatFields>();
            new ProcTree(useChildrenFiles: true).Collect([sh.Pid], byChildren);
            Assert.Equal(byScan.Select(s => s.Pid).Order(), byChildren.Select(s => s.Pid).Order());
        }
    }

    [Fact]
    public void MemInfoIsPlausible()
    {
        var m = Proc.ReadMemInfo();
        Assert.True(m.MemTotalKb > 0);
        Assert.InRange(m.MemAvailableKb, 1, m.MemTotalKb);
        var line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        Assert.Contains(m.MemTotalKb.ToString(CultureInfo.InvariantCulture), line);
    }

    [Fact]
    public void StatParserHandlesCommWithSpacesAndParentheses()
    {
        var line = "4242 (we (ird) name) R 17 4242 4242 0 -1 4194304 10 0 0 0 250 50 0 0 20 0 3 0 123456 9437184 512 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"u8;
        Assert.True(ProcFiles.TryParseStat(line, out var st));
        Assert.Equal(4242, st.Pid);
        Assert.Equal("we (ird) name", st.Comm);
        Assert.Equal('R', st.State);
        Assert.Equal(17, st.Ppid);
        Assert.Equal(250, st.UtimeTicks);
        Assert.Equal(50, st.StimeTicks);
        Assert.Equal(3, st.NumThreads);
        Assert.Equal(123456, st.StartTicks);
        Assert.Equal(9437184, st.VsizeBytes);
        Assert.Equal(512, st.RssPages);
        Assert.False(ProcFiles.TryParseStat("4242 (truncated) R 17 4242"u8, out _));
    }
}
