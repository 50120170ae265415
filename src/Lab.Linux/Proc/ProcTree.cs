using System.Runtime.InteropServices;

namespace Lab.Linux.Proc;

/// <summary>
/// Finds a process tree: the roots and every descendant (children of children too), each once,
/// with its /proc/PID/stat already read. Two ways, chosen once per machine:
/// <list type="bullet">
/// <item>/proc/PID/task/TID/children (CONFIG_PROC_CHILDREN): walk down from the roots. A child
/// hangs under the THREAD that forked it, so every thread's list is read (a .NET master forks
/// from thread-pool threads).</item>
/// <item>otherwise one scan of /proc: every process's stat (for its ppid), then a walk of the
/// parent→children links from the roots.</item>
/// </list>
/// A process forked after the listing is found at the next call. Buffers are reused between
/// calls (one instance per thread).
/// </summary>
internal sealed class ProcTree
{
    public static readonly bool ChildrenFilesAvailable = DetectChildrenFiles();

    private readonly bool _useChildrenFiles;
    private readonly List<int> _pids = new(512);
    private readonly List<int> _ids = new(64);
    private readonly List<int> _tids = new(64);
    private StatFields[] _stats = new StatFields[512];
    private int[] _nextSibling = new int[512];
    private readonly Dictionary<int, int> _firstChild = new(512);
    private readonly Dictionary<int, int> _indexOf = new(512);
    private readonly HashSet<int> _seen = new(256);
    private readonly Queue<int> _queue = new(256);
    private readonly byte[] _listBuffer = new byte[16 * 1024];

    public ProcTree(bool? useChildrenFiles = null) =>
        _useChildrenFiles = useChildrenFiles ?? ChildrenFilesAvailable;

    public bool UsesChildrenFiles => _useChildrenFiles;

    /// <summary>Appends the roots that exist and all their descendants to into: roots first, then breadth-first.</summary>
    public void Collect(IReadOnlyList<int> roots, List<StatFields> into)
    {
        _seen.Clear();
        _queue.Clear();
        if (_useChildrenFiles) CollectByChildrenFiles(roots, into);
        else CollectByScan(roots, into);
    }

    private void CollectByChildrenFiles(IReadOnlyList<int> roots, List<StatFields> into)
    {
        for (int r = 0; r < roots.Count; r++)
        {
            int root = roots[r];
            if (root <= 0 || !_seen.Add(root)) continue;
            if (!ProcFiles.TryReadStat(root, out var rootStat)) continue;
            into.Add(rootStat);
            _queue.Enqueue(into.Count - 1);
            while (_queue.TryDequeue(out int at))
            {
                var parent = into[at];
                _ids.Clear();
                ReadChildren(parent.Pid, parent.NumThreads, _ids);
                foreach (int child in _ids)
                {
                    if (!_seen.Add(child)) continue;
                    if (!ProcFiles.TryReadStat(child, out var childStat)) continue; // exited meanwhile
                    into.Add(childStat);
                    _queue.Enqueue(into.Count - 1);
                }
            }
        }
    }

    /// <summary>The children of pid: the union of its threads' children files.</summary>
    private void ReadChildren(int pid, int threads, List<int> into)
    {
        Span<byte> path = stackalloc byte[96];
        if (threads == 1)
        {
            int len = ProcFiles.ChildrenPathOf(path, pid, pid);
            int n = Native.ReadFile(path[..len], _listBuffer);
            if (n > 0) ProcFiles.ParsePidList(_listBuffer.AsSpan(0, n), into);
            return;
        }
        var tids = _tids;
        tids.Clear();
        int tlen = ProcFiles.PathOf(path, pid, "task"u8);
        if (!ProcFiles.ListNumericEntries(path[..tlen], tids)) return;
        foreach (int tid in tids)
        {
            int len = ProcFiles.ChildrenPathOf(path, pid, tid);
            int n = Native.ReadFile(path[..len], _listBuffer);
            if (n > 0) ProcFiles.ParsePidList(_listBuffer.AsSpan(0, n), into);
        }
    }

    private void CollectByScan(IReadOnlyList<int> roots, List<StatFields> into)
    {
        _pids.Clear();
        _firstChild.Clear();
        _indexOf.Clear();
        ProcFiles.ListNumericEntries("/proc\0"u8, _pids);
        if (_stats.Length < _pids.Count)
        {
            _stats = new StatFields[_pids.Count * 2];
            _nextSibling = new int[_pids.Count * 2];
        }
        int count = 0;
        foreach (int pid in _pids)
        {
            if (!ProcFiles.TryReadStat(pid, out var st)) continue;
            _stats[count] = st;
            _indexOf[pid] = count;
            // link into the parent's list of children
            ref int head = ref CollectionsMarshal.GetValueRefOrAddDefault(_firstChild, st.Ppid, out bool existed);
            _nextSibling[count] = existed ? head : -1;
            head = count;
            count++;
        }
        for (int r = 0; r < roots.Count; r++)
        {
            int root = roots[r];
            if (root <= 0 || !_seen.Add(root) || !_indexOf.TryGetValue(root, out int rootIndex)) continue;
            _queue.Enqueue(rootIndex);
            while (_queue.TryDequeue(out int i))
            {
                into.Add(_stats[i]);
                if (!_firstChild.TryGetValue(_stats[i].Pid, out int c)) continue;
                for (; c >= 0; c = _nextSibling[c])
                    if (_seen.Add(_stats[c].Pid)) _queue.Enqueue(c);
            }
        }
    }

    private static bool DetectChildrenFiles()
    {
        Span<byte> path = stackalloc byte[96];
        Span<byte> buf = stackalloc byte[64];
        int self = Environment.ProcessId;
        int len = ProcFiles.ChildrenPathOf(path, self, self);
        return Native.ReadFile(path[..len], buf) >= 0;
    }
}
