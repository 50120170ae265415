using System.Runtime.InteropServices;

namespace Lab.Probe;

/// <summary>
/// The sampler's tick, made cheap enough for 100 processes at 10 Hz. Opening a /proc file costs
/// several times more than reading it again (measured here: stat 12 µs by open/read/close, 4 µs
/// by pread on a kept descriptor; statm 8 µs vs 1.3 µs), so:
/// <list type="bullet">
/// <item>the tree is found from a listing of /proc and a cache of every process's
/// parent. A pid new in the listing has its stat read once; a known pid's parent is only read
/// again when that parent has left the listing (the process was reparented: its ppid is the one
/// thing about a process that changes). A process that is not a descendant of the roots cannot
/// become one except through reparenting, so this finds exactly what a full scan finds. A pid
/// number could only be reused for another process between two listings if the kernel went
/// through the whole pid space (pid_max) in one interval.</item>
/// <item>the listing itself is skipped when nothing can have changed: no pid was allocated
/// since (/proc/loadavg's last pid), the same roots, and no process of the tree ended.</item>
/// <item>for each process of the tree, stat and statm stay open and are re-read with pread
/// (2 descriptors per pooled process; closed when it leaves the tree).</item>
/// </list>
/// Why not /proc/PID/task/*/children here: a child hangs under the thread that forked it, so
/// that needs one more open per thread of every process of the tree, at every tick.
/// Not thread-safe: one instance per sampler thread.
/// </summary>
internal sealed class TreeSampler : IDisposable
{
    private sealed class Entry(int pid, int ppid)
    {
        public readonly int Pid = pid;
        public int Ppid = ppid;
        public int StatFd = -1, StatmFd = -1;
        public long Listed;   // the generation of the last listing that held it (0: forgotten)
        public long Sampled;  // the last tick that sampled it

        public void CloseFiles()
        {
            if (StatFd >= 0) Native.CloseFd(StatFd);
            if (StatmFd >= 0) Native.CloseFd(StatmFd);
            StatFd = StatmFd = -1;
        }
    }

    private readonly Dictionary<int, Entry> _known = new(512);
    private readonly List<int> _pids = new(512);
    private readonly List<Entry> _listed = new(512);
    private readonly List<int> _gone = new(64);
    private readonly Dictionary<int, int> _firstChild = new(512);
    private int[] _nextSibling = new int[512];
    private readonly HashSet<int> _visited = new(256);
    private readonly Queue<int> _queue = new(256);
    private readonly byte[] _buffer = new byte[ProcFiles.StatBufferSize];
    private long _generation, _tick;
    private int _lastPidListed = -1;
    private int _loadavgFd = -1;
    private readonly List<int> _lastRoots = new(4);
    private readonly bool _rssOnly;

    /// <param name="rssOnly">Read only each process's statm (its RSS): the memory guard's fast cadence; the other fields stay empty.</param>
    public TreeSampler(bool rssOnly = false) => _rssOnly = rssOnly;

    /// <summary>Appends a sample of every root and every descendant (roots first, then breadth-first) to into.</summary>
    public void Sample(IReadOnlyList<int> roots, double bootOffset, List<ProcSample> into)
    {
        // The listing of /proc is the costliest step of a tick (~0.3 ms with cold caches for
        // ~200 processes). It can only show something new if a process was forked since the
        // last one (the kernel's last allocated pid moved), the roots changed, or a process of
        // the tree ended (its children were reparented); otherwise the last listing still holds.
        int lastPid = ReadLastPid();
        bool relist = lastPid < 0 || lastPid != _lastPidListed || !SameRoots(roots);
        if (relist) Relist(lastPid, roots);
        int first = into.Count;
        bool vanished = Walk(roots, bootOffset, into);
        if (vanished && !relist)
        {
            into.RemoveRange(first, into.Count - first);
            Relist(ReadLastPid(), roots);
            Walk(roots, bootOffset, into);
        }
    }

    private void Relist(int lastPid, IReadOnlyList<int> roots)
    {
        _lastPidListed = lastPid;
        _lastRoots.Clear();
        for (int i = 0; i < roots.Count; i++) _lastRoots.Add(roots[i]);
        long gen = ++_generation;
        _pids.Clear();
        ProcFiles.ListNumericEntries("/proc\0"u8, _pids);

        // 1. the listing: new pids get their stat read once (for their parent)
        _listed.Clear();
        foreach (int pid in _pids)
        {
            if (!_known.TryGetValue(pid, out var e))
            {
                if (!ProcFiles.TryReadStat(pid, out var st)) continue; // gone already
                e = new Entry(pid, st.Ppid);
                _known.Add(pid, e);
            }
            e.Listed = gen;
            _listed.Add(e);
        }

        // 2. forget what left the listing; a process whose parent left it was reparented: read its ppid again
        _gone.Clear();
        foreach (var (pid, e) in _known)
            if (e.Listed != gen) { e.CloseFiles(); _gone.Add(pid); }
        foreach (int pid in _gone) _known.Remove(pid);
        foreach (var e in _listed)
        {
            if (e.Ppid > 0 && !_known.ContainsKey(e.Ppid) && ProcFiles.TryReadStat(e.Pid, out var st))
                e.Ppid = st.Ppid;
        }

        // 3. parent → children links over the listing
        _firstChild.Clear();
        if (_nextSibling.Length < _listed.Count) _nextSibling = new int[_listed.Count * 2];
        for (int i = 0; i < _listed.Count; i++)
        {
            ref int head = ref CollectionsMarshal.GetValueRefOrAddDefault(_firstChild, _listed[i].Ppid, out bool existed);
            _nextSibling[i] = existed ? head : -1;
            head = i;
        }
    }

    /// <summary>Walks down from the roots over the last listing, sampling each process through its kept descriptors. True if one had ended.</summary>
    private bool Walk(IReadOnlyList<int> roots, double bootOffset, List<ProcSample> into)
    {
        long tick = ++_tick;
        bool vanished = false;
        _visited.Clear();
        _queue.Clear();
        for (int r = 0; r < roots.Count; r++)
        {
            int root = roots[r];
            if (root <= 0 || !_visited.Add(root) || !_known.TryGetValue(root, out var rootEntry)) continue;
            if (!TrySample(rootEntry, tick, bootOffset, into)) { vanished = true; continue; }
            _queue.Enqueue(root);
            while (_queue.TryDequeue(out int parent))
            {
                if (!_firstChild.TryGetValue(parent, out int c)) continue;
                for (; c >= 0; c = _nextSibling[c])
                {
                    var child = _listed[c];
                    if (!_visited.Add(child.Pid)) continue;
                    if (child.Listed == 0) continue; // ended earlier (forgotten)
                    if (TrySample(child, tick, bootOffset, into)) _queue.Enqueue(child.Pid);
                    else vanished = true;
                }
            }
        }

        // processes that left the tree keep no descriptors
        foreach (var e in _listed)
            if ((e.StatFd >= 0 || e.StatmFd >= 0) && e.Sampled != tick) e.CloseFiles();
        return vanished;
    }

    /// <summary>The last pid the kernel allocated (5th field of /proc/loadavg), read through a kept descriptor; -1 if unknown.</summary>
    private int ReadLastPid()
    {
        if (_loadavgFd < 0) _loadavgFd = Native.OpenFile("/proc/loadavg\0"u8);
        Span<byte> buf = stackalloc byte[128];
        int n = _loadavgFd >= 0 ? Native.ReadAgain(_loadavgFd, buf) : -1;
        if (n <= 0) return -1;
        var text = buf[..n].TrimEnd("\n "u8);
        int space = text.LastIndexOf((byte)' ');
        return System.Buffers.Text.Utf8Parser.TryParse(text[(space + 1)..], out int pid, out int used) && used == text.Length - space - 1 ? pid : -1;
    }

    private bool SameRoots(IReadOnlyList<int> roots)
    {
        if (roots.Count != _lastRoots.Count) return false;
        for (int i = 0; i < roots.Count; i++) if (roots[i] != _lastRoots[i]) return false;
        return true;
    }

    private bool TrySample(Entry e, long tick, double bootOffset, List<ProcSample> into)
    {
        if (_rssOnly) return TrySampleRss(e, tick, into);
        Span<byte> path = stackalloc byte[64];
        if (e.StatFd < 0)
        {
            e.StatFd = Native.OpenFile(path[..ProcFiles.PathOf(path, e.Pid, "stat"u8)]);
            e.StatmFd = Native.OpenFile(path[..ProcFiles.PathOf(path, e.Pid, "statm"u8)]);
        }
        int n = e.StatFd >= 0 && e.StatmFd >= 0 ? Native.ReadAgain(e.StatFd, _buffer) : -1;
        if (n <= 0 || !ProcFiles.TryParseStat(_buffer.AsSpan(0, n), out var st))
        {
            Forget(e); // exited between the listing and now
            return false;
        }
        int m = Native.ReadAgain(e.StatmFd, _buffer);
        if (m <= 0 || !ProcFiles.TryParseStatm(_buffer.AsSpan(0, m), out _, out long resident))
        {
            Forget(e);
            return false;
        }
        e.Ppid = st.Ppid;
        e.Sampled = tick;
        into.Add(Proc.Compose(st, resident, bootOffset));
        return true;
    }

    /// <summary>statm alone (the memory guard): the process's RSS; a process gone between the listing and now is forgotten.</summary>
    private bool TrySampleRss(Entry e, long tick, List<ProcSample> into)
    {
        if (e.StatmFd < 0)
        {
            Span<byte> path = stackalloc byte[64];
            e.StatmFd = Native.OpenFile(path[..ProcFiles.PathOf(path, e.Pid, "statm"u8)]);
        }
        int m = e.StatmFd >= 0 ? Native.ReadAgain(e.StatmFd, _buffer) : -1;
        if (m <= 0 || !ProcFiles.TryParseStatm(_buffer.AsSpan(0, m), out _, out long resident))
        {
            Forget(e);
            return false;
        }
        e.Sampled = tick;
        into.Add(new ProcSample(e.Pid, e.Ppid, '?', resident * ProcFiles.PageKb, 0, 0, 0, ""));
        return true;
    }

    private void Forget(Entry e)
    {
        e.CloseFiles();
        e.Listed = 0; // read as new if the listing still holds its pid next time
        _known.Remove(e.Pid);
    }

    public void Dispose()
    {
        foreach (var e in _known.Values) e.CloseFiles();
        _known.Clear();
        if (_loadavgFd >= 0) Native.CloseFd(_loadavgFd);
        _loadavgFd = -1;
        _lastPidListed = -1;
    }
}
