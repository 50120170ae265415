using System.Globalization;
using System.Runtime.InteropServices;
using Lab.Core.Logging;
using Lab.Core.Php;
using Lab.Scoreboard.Interop;

namespace Lab.Worker;

/// <summary>What one request asks for (QUERY_STRING: id, leak_kb, transient_kb, work_ms, wait_ms).</summary>
internal readonly record struct LeakRequest(long Id, long LeakKb, long TransientKb, double WorkMs, double WaitMs)
{
    public static LeakRequest Parse(string query)
    {
        long id = 0, leak = 0, transient = 0;
        double work = 0, wait = 0;
        foreach (var part in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=');
            if (eq <= 0) continue;
            var key = part.AsSpan(0, eq);
            var value = part.AsSpan(eq + 1);
            if (key.SequenceEqual("id")) id = Long(value);
            else if (key.SequenceEqual("leak_kb")) leak = Long(value);
            else if (key.SequenceEqual("transient_kb")) transient = Long(value);
            else if (key.SequenceEqual("work_ms")) work = Double(value);
            else if (key.SequenceEqual("wait_ms")) wait = Double(value);
        }
        return new LeakRequest(id, Math.Max(0, leak), Math.Max(0, transient), Math.Max(0, work), Math.Max(0, wait));
    }

    private static long Long(ReadOnlySpan<char> s) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? (long)Math.Round(d) : 0;
    private static double Double(ReadOnlySpan<char> s) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d) ? d : 0;
}

/// <summary>The outcome of the leak script: PHP's fatal error, or the bytes of transient memory it used.</summary>
/// <param name="FatalError">PHP's message as displayed: "PHP Fatal error:  Allowed memory size ... on line 1".</param>
/// <param name="ProcessLogLine">What a php-fpm child writes to its stderr for it ("NOTICE: PHP message: PHP Fatal error: ...").</param>
internal readonly record struct ScriptResult(bool MemoryLimitExceeded, string? FatalError, string? ProcessLogLine, long MemoryBytes);

/// <summary>
/// The lab's "leak.php", in the child: a C-level leak (malloc'd, every page touched, never
/// freed, as a leaking PHP extension does), transient memory counted against memory_limit (as
/// PHP values are), CPU work and a wait.
/// </summary>
internal static unsafe class LeakScript
{
    private const int Page = 4096;
    private const int TransientChunk = 64 * 1024;

    /// <summary>Every leaked block, kept so nothing can ever free it.</summary>
    private static readonly List<nint> Leaked = new(1024);
    private static nint[] _chunks = new nint[256];

    public static long LeakedBytes { get; private set; }

    public static ScriptResult Run(in LeakRequest r, long memoryLimitBytes, string scriptFilename)
    {
        // 1. the leak: native memory, every page touched, never freed
        if (r.LeakKb > 0)
        {
            nuint bytes = (nuint)(r.LeakKb * 1024);
            byte* p = (byte*)NativeMemory.Alloc(bytes);
            for (nuint i = 0; i < bytes; i += Page) p[i] = 1;
            p[bytes - 1] = 1;
            Leaked.Add((nint)p);
            LeakedBytes += (long)bytes;
        }

        // 2. memory_limit applies to what PHP's allocator counts: the transient memory
        if (MemoryLimit.Exceeds(memoryLimitBytes, r.TransientKb))
        {
            string file = scriptFilename.Length > 0 ? scriptFilename : "/lab/php/leak.php";
            long tried = MemoryLimit.TriedBytes(r.TransientKb);
            string error = FpmMessages.PhpFatalMemoryLimitError(memoryLimitBytes, tried, file);
            return new ScriptResult(true, error, FpmMessages.PhpFatalMemoryLimit(memoryLimitBytes, tried, file), 0);
        }

        // 3. transient memory in 64 KiB malloc'd chunks (below glibc's mmap threshold, so the
        //    heap keeps part of it after free: the allocator retention that makes RSS wobble)
        long transientBytes = r.TransientKb * 1024;
        int chunks = (int)((transientBytes + TransientChunk - 1) / TransientChunk);
        if (_chunks.Length < chunks) _chunks = new nint[Math.Max(chunks, _chunks.Length * 2)];
        long left = transientBytes;
        for (int c = 0; c < chunks; c++)
        {
            int size = (int)Math.Min(left, TransientChunk);
            byte* p = (byte*)NativeMemory.Alloc((nuint)size);
            for (int i = 0; i < size; i += Page) p[i] = (byte)c;
            _chunks[c] = (nint)p;
            left -= size;
        }

        // 4. CPU work, measured on this thread's CPU clock (not wall time)
        if (r.WorkMs > 0) BurnCpu(r.WorkMs);

        // 5. a wait (busy without CPU, like waiting for a database)
        if (r.WaitMs > 0) Thread.Sleep(TimeSpan.FromMilliseconds(r.WaitMs));

        for (int c = 0; c < chunks; c++) { NativeMemory.Free((void*)_chunks[c]); _chunks[c] = 0; }
        return new ScriptResult(false, null, null, transientBytes);
    }

    private static ulong _sink;

    private static void BurnCpu(double ms)
    {
        long end = Native.ClockNs(Native.CLOCK_THREAD_CPUTIME_ID) + (long)(ms * 1_000_000);
        ulong x = _sink | 1;
        while (true)
        {
            for (int i = 0; i < 2000; i++) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; }
            if (Native.ClockNs(Native.CLOCK_THREAD_CPUTIME_ID) >= end) break;
        }
        _sink = x;
    }
}
