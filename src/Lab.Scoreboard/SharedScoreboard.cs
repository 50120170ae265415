using System.Text;
using Lab.Core.Scenarios;
using Lab.Core.Status;
using Lab.Scoreboard.Interop;

namespace Lab.Scoreboard;

/// <summary>
/// php-fpm's scoreboard (fpm_scoreboard.c): the pool's counters and one slot per child, in a
/// file of the run's private folder that the master creates (mode 0600, the master's own) and
/// every child maps (MAP_SHARED) from the descriptor it inherits (fd 4): a child that drops to
/// an unprivileged user needs no right on the file, and nobody else can write it. Children
/// update their own slot (request stage, URI, counters) and the pool's accepted-connections
/// counter with atomic operations; the master reads the slots for its process-manager
/// decisions and request_terminate_timeout, and writes the listen-queue figures. A slot is
/// guarded by a seqlock (php-fpm: a spinlock), so a reader never sees a half-written URI.
/// </summary>
/// <remarks>
/// Layout (little-endian): a 512-byte header, then SlotCount slots of 512 bytes.
/// Times: *Epoch = unix seconds; *Ns = CLOCK_MONOTONIC nanoseconds (one clock for every process).
/// </remarks>
public sealed unsafe class SharedScoreboard : IDisposable
{
    private const int Magic = 0x4453424C; // "LBSD"
    private const int HeaderSize = 512, SlotSize = 512;
    // header offsets
    private const int HMagic = 0, HSlots = 4, HPm = 8, HStartEpoch = 16, HAccepted = 24, HLq = 32, HLqMax = 36,
        HLqLen = 40, HActiveMax = 44, HMaxChildrenReached = 48, HSlow = 56, HPool = 64, PoolBytes = 64;
    // slot offsets
    private const int SSeq = 0, SUsed = 4, SPid = 8, SStage = 12, SStartEpoch = 16, SStartNs = 24, SRequests = 32,
        SAcceptedNs = 40, SDurationUs = 48, SLastActivityNs = 56, SContentLength = 64, SMemory = 72, SLastCpu = 80,
        SMethod = 96, MethodBytes = 16, SUri = 112, UriBytes = 128, SQuery = 240, QueryBytes = 128,
        SScript = 368, ScriptBytes = 112, SUser = 480, UserBytes = 32;

    private readonly byte* _base;
    private readonly nint _length;
    private bool _disposed;

    private SharedScoreboard(string path, byte* @base, nint length, int fd = -1)
    {
        Path = path;
        _base = @base;
        _length = length;
        Fd = fd;
    }

    public string Path { get; }
    /// <summary>The master's descriptor of the file (close-on-exec; handed to each child as fd 4), -1 when mapped from a path or an inherited fd.</summary>
    public int Fd { get; }
    public int SlotCount => *(int*)(_base + HSlots);
    public ProcessManagerStyle Pm => (ProcessManagerStyle)(*(int*)(_base + HPm));
    public long StartEpoch => *(long*)(_base + HStartEpoch);
    public string Pool => ReadString(_base + HPool, PoolBytes);

    /// <summary>
    /// Creates (or replaces) the scoreboard file: the master, at start and at each reload. The
    /// file is built aside and renamed into place, so whoever opens the path sees either the old
    /// scoreboard or the whole new one, never an empty file (mapping that would fault).
    /// </summary>
    public static SharedScoreboard Create(string path, string pool, ProcessManagerStyle pm, int slots)
    {
        if (slots < 1) throw new ArgumentOutOfRangeException(nameof(slots));
        string building = path + ".new";
        Native.unlink(building);
        int fd = Native.open(building, Native.O_RDWR | Native.O_CREAT | Native.O_TRUNC | Native.O_CLOEXEC, 0x180 /* 0600 */);
        if (fd < 0) throw new IOException($"unable to create the scoreboard {building}: {Native.ErrorText(Native.Errno)}");
        nint length = HeaderSize + (nint)slots * SlotSize;
        bool done = false;
        try
        {
            Native.fchmod(fd, 0x180); // whatever the umask: the master's alone; children map it from their fd 4
            if (Native.ftruncate(fd, length) != 0) throw new IOException($"ftruncate({building}): {Native.ErrorText(Native.Errno)}");
            var sb = new SharedScoreboard(path, Map(fd, length, building), length, fd);
            *(int*)(sb._base + HSlots) = slots;
            *(int*)(sb._base + HPm) = (int)pm;
            *(long*)(sb._base + HStartEpoch) = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            WriteString(sb._base + HPool, PoolBytes, pool);
            Volatile.Write(ref *(int*)(sb._base + HMagic), Magic);
            if (Native.rename(building, path) != 0) throw new IOException($"rename({building}, {path}): {Native.ErrorText(Native.Errno)}");
            done = true;
            return sb;
        }
        finally { if (!done) Native.close(fd); }
    }

    /// <summary>Maps the scoreboard from a descriptor the child inherited (fd 4): a child, at start.</summary>
    public static SharedScoreboard FromFd(int fd, string name = "inherited scoreboard")
    {
        byte* head = Map(fd, HeaderSize, name);
        int magic = *(int*)head, slots = *(int*)(head + HSlots);
        Native.munmap((nint)head, HeaderSize);
        if (magic != Magic) throw new IOException($"{name} is not a scoreboard");
        nint length = HeaderSize + (nint)slots * SlotSize;
        var sb = new SharedScoreboard(name, Map(fd, length, name), length);
        Native.close(fd); // the mapping stays
        return sb;
    }

    /// <summary>Maps an existing scoreboard: a child, at start.</summary>
    public static SharedScoreboard Open(string path)
    {
        int fd = Native.open(path, Native.O_RDWR | Native.O_CLOEXEC, 0);
        if (fd < 0) throw new IOException($"unable to open the scoreboard {path}: {Native.ErrorText(Native.Errno)}");
        try
        {
            byte* head = Map(fd, HeaderSize, path);
            int magic = *(int*)head, slots = *(int*)(head + HSlots);
            Native.munmap((nint)head, HeaderSize);
            if (magic != Magic) throw new IOException($"{path} is not a scoreboard");
            nint length = HeaderSize + (nint)slots * SlotSize;
            return new SharedScoreboard(path, Map(fd, length, path), length);
        }
        finally { Native.close(fd); }
    }

    private static byte* Map(int fd, nint length, string path)
    {
        nint p = Native.mmap(0, length, Native.PROT_READ | Native.PROT_WRITE, Native.MAP_SHARED, fd, 0);
        if (p == -1) throw new IOException($"mmap({path}): {Native.ErrorText(Native.Errno)}");
        return (byte*)p;
    }

    // ---- pool counters -------------------------------------------------------------------

    /// <summary>"accepted conn": a child accepted a request (php-fpm counts in fpm_request_reading_headers).</summary>
    public void IncrementAcceptedConn() => Interlocked.Increment(ref *(long*)(_base + HAccepted));
    public long AcceptedConn => Volatile.Read(ref *(long*)(_base + HAccepted));

    /// <summary>The master's (or a status request's) reading of the listen queue; keeps the maximum.</summary>
    public void SetListenQueue(int queued, int queueLength)
    {
        Volatile.Write(ref *(int*)(_base + HLq), queued);
        Volatile.Write(ref *(int*)(_base + HLqLen), queueLength);
        AtomicMax(ref *(int*)(_base + HLqMax), queued);
    }

    /// <summary>"max active processes": called with the current number of busy children.</summary>
    public void NoteActive(int active) => AtomicMax(ref *(int*)(_base + HActiveMax), active);

    public int MaxChildrenReached
    {
        get => Volatile.Read(ref *(int*)(_base + HMaxChildrenReached));
        set => Volatile.Write(ref *(int*)(_base + HMaxChildrenReached), value);
    }

    public void IncrementSlowRequests() => Interlocked.Increment(ref *(long*)(_base + HSlow));

    private static void AtomicMax(ref int location, int value)
    {
        int current = Volatile.Read(ref location);
        while (value > current)
        {
            int seen = Interlocked.CompareExchange(ref location, value, current);
            if (seen == current) return;
            current = seen;
        }
    }

    // ---- slots ---------------------------------------------------------------------------

    private byte* SlotPtr(int index)
    {
        if ((uint)index >= (uint)SlotCount) throw new ArgumentOutOfRangeException(nameof(index));
        return _base + HeaderSize + (nint)index * SlotSize;
    }

    /// <summary>Takes a slot's write lock (seqlock: odd while writing). Several writers are possible (master and child), so it is a CAS spin.</summary>
    private static void Lock(byte* slot)
    {
        ref int seq = ref *(int*)(slot + SSeq);
        var spin = new SpinWait();
        while (true)
        {
            int s = Volatile.Read(ref seq);
            if ((s & 1) == 0 && Interlocked.CompareExchange(ref seq, s + 1, s) == s) return;
            spin.SpinOnce(-1);
        }
    }

    private static void Unlock(byte* slot) => Interlocked.Increment(ref *(int*)(slot + SSeq));

    /// <summary>Master, before it forks a child into this slot: clears it and marks it used.</summary>
    public void InitSlot(int index, long startEpoch, long startNs)
    {
        byte* s = SlotPtr(index);
        Lock(s);
        new Span<byte>(s + 4, SlotSize - 4).Clear();
        *(int*)(s + SUsed) = 1;
        *(long*)(s + SStartEpoch) = startEpoch;
        *(long*)(s + SStartNs) = startNs;
        *(long*)(s + SLastActivityNs) = startNs;
        Unlock(s);
    }

    /// <summary>Master (after the fork) and child (at start): the slot's pid.</summary>
    public void SetPid(int index, int pid) => WriteInt(index, SPid, pid);

    /// <summary>Master, after reaping the child: the slot is free again.</summary>
    public void FreeSlot(int index)
    {
        byte* s = SlotPtr(index);
        Lock(s);
        *(int*)(s + SUsed) = 0;
        *(int*)(s + SPid) = 0;
        Unlock(s);
    }

    /// <summary>Child: its request stage; <see cref="RequestStage.Idle"/> when back in accept() (FPM_REQUEST_ACCEPTING).</summary>
    public void SetStage(int index, RequestStage stage) => WriteInt(index, SStage, (int)stage);

    private void WriteInt(int index, int offset, int value)
    {
        byte* s = SlotPtr(index);
        Lock(s);
        *(int*)(s + offset) = value;
        Unlock(s);
    }

    /// <summary>Child: a connection was accepted (fpm_request_reading_headers): requests++, stage, accepted time.</summary>
    public void BeginRequest(int index, long nowNs)
    {
        byte* s = SlotPtr(index);
        Lock(s);
        *(int*)(s + SStage) = (int)RequestStage.ReadingHeaders;
        *(long*)(s + SAcceptedNs) = nowNs;
        *(long*)(s + SRequests) += 1;
        *(long*)(s + SContentLength) = 0;
        new Span<byte>(s + SMethod, SUser + UserBytes - SMethod).Clear();
        Unlock(s);
    }

    /// <summary>Child: the request's parameters are known (fpm_request_info).</summary>
    public void SetRequestInfo(int index, string method, string uri, string query, string script, long contentLength, string user)
    {
        byte* s = SlotPtr(index);
        Lock(s);
        *(int*)(s + SStage) = (int)RequestStage.GettingRequestInfo;
        WriteString(s + SMethod, MethodBytes, method);
        WriteString(s + SUri, UriBytes, uri);
        WriteString(s + SQuery, QueryBytes, query);
        WriteString(s + SScript, ScriptBytes, script);
        WriteString(s + SUser, UserBytes, user);
        *(long*)(s + SContentLength) = contentLength;
        Unlock(s);
    }

    /// <summary>Child: the request ended (fpm_request_end): duration, %CPU and memory of the last request.</summary>
    public void EndRequest(int index, long nowNs, long durationUs, double cpuPercent, long memory)
    {
        byte* s = SlotPtr(index);
        Lock(s);
        *(int*)(s + SStage) = (int)RequestStage.Finishing;
        *(long*)(s + SDurationUs) = durationUs;
        *(double*)(s + SLastCpu) = cpuPercent;
        *(long*)(s + SMemory) = memory;
        *(long*)(s + SLastActivityNs) = nowNs;
        Unlock(s);
    }

    /// <summary>A consistent copy of one slot.</summary>
    public SlotSnapshot ReadSlot(int index)
    {
        byte* copy = stackalloc byte[SlotSize];
        CopyConsistent(SlotPtr(index), copy, SlotSize);
        return new SlotSnapshot(index, *(int*)(copy + SUsed) != 0, *(int*)(copy + SPid), (RequestStage)(*(int*)(copy + SStage)),
            *(long*)(copy + SStartEpoch), *(long*)(copy + SStartNs), *(long*)(copy + SRequests), *(long*)(copy + SAcceptedNs),
            *(long*)(copy + SDurationUs), *(long*)(copy + SLastActivityNs), *(long*)(copy + SContentLength),
            *(long*)(copy + SMemory), *(double*)(copy + SLastCpu),
            ReadString(copy + SMethod, MethodBytes), ReadString(copy + SUri, UriBytes), ReadString(copy + SQuery, QueryBytes),
            ReadString(copy + SScript, ScriptBytes), ReadString(copy + SUser, UserBytes));
    }

    /// <summary>
    /// Children busy right now (used slot, pid known, not idle) — <see cref="ScoreboardSnapshot.ActiveProcesses"/>
    /// without copying the slots' strings: a child counts them at every request ("max active processes").
    /// </summary>
    public int CountActive()
    {
        const int head = SStage + sizeof(int); // seq, used, pid, stage
        byte* copy = stackalloc byte[head];
        int active = 0;
        for (int i = 0; i < SlotCount; i++)
        {
            CopyConsistent(SlotPtr(i), copy, head);
            if (*(int*)(copy + SUsed) != 0 && *(int*)(copy + SPid) != 0 && (RequestStage)(*(int*)(copy + SStage)) != RequestStage.Idle) active++;
        }
        return active;
    }

    /// <summary>Copies the first bytes of a slot as one consistent state (seqlock read: retried while a writer holds it).</summary>
    private static void CopyConsistent(byte* slot, byte* copy, int bytes)
    {
        ref int seq = ref *(int*)(slot + SSeq);
        var spin = new SpinWait();
        while (true)
        {
            int before = Volatile.Read(ref seq);
            if ((before & 1) != 0) { spin.SpinOnce(-1); continue; }
            Buffer.MemoryCopy(slot, copy, bytes, bytes);
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref seq) == before) return;
        }
    }

    /// <summary>The whole scoreboard (php-fpm's fpm_scoreboard_copy): what the status page shows.</summary>
    public ScoreboardSnapshot Snapshot()
    {
        var slots = new SlotSnapshot[SlotCount];
        for (int i = 0; i < slots.Length; i++) slots[i] = ReadSlot(i);
        return new ScoreboardSnapshot(Pool, Pm, StartEpoch, AcceptedConn,
            Volatile.Read(ref *(int*)(_base + HLq)), Volatile.Read(ref *(int*)(_base + HLqMax)),
            Volatile.Read(ref *(int*)(_base + HLqLen)), Volatile.Read(ref *(int*)(_base + HActiveMax)),
            MaxChildrenReached, Volatile.Read(ref *(long*)(_base + HSlow)), slots);
    }

    private static void WriteString(byte* at, int capacity, string value)
    {
        var span = new Span<byte>(at, capacity);
        span.Clear();
        // truncate on a UTF-8 boundary, keep a terminating NUL
        int max = capacity - 1, len = 0;
        foreach (var rune in value.EnumerateRunes())
        {
            int n = rune.Utf8SequenceLength;
            if (len + n > max) break;
            rune.EncodeToUtf8(span[len..]);
            len += n;
        }
    }

    private static string ReadString(byte* at, int capacity)
    {
        var span = new ReadOnlySpan<byte>(at, capacity);
        int nul = span.IndexOf((byte)0);
        return Encoding.UTF8.GetString(nul < 0 ? span : span[..nul]);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Native.munmap((nint)_base, _length);
        if (Fd >= 0) Native.close(Fd);
    }
}
