namespace Lab.Core.Php;

/// <summary>
/// PHP's memory_limit as the lab's engines apply it to a request's transient memory (the
/// memory PHP's allocator counts; a C-level leak through FFI/malloc is not counted). The
/// simulator and the dotnet worker use this; real php-fpm applies its own.
/// </summary>
public static class MemoryLimit
{
    /// <summary>Bytes PHP asks for when it allocates a string of n bytes (zend_string header + NUL, 8-aligned).</summary>
    public static long TriedBytes(long transientKb) => (transientKb * 1024 + 24 + 1 + 7) / 8 * 8;

    /// <summary>
    /// What PHP's allocator holds before a request allocates anything: its heap's first 2 MiB
    /// chunk (Zend/zend_alloc.c, ZEND_MM_CHUNK_SIZE), which memory_limit counts (real_size).
    /// </summary>
    public const long HeapChunkBytes = 2L * 1024 * 1024;

    /// <summary>
    /// Does a request with this much transient memory exhaust memory_limit? (limit &lt; 0: unlimited)
    /// As zend_mm_alloc_huge: new_size &gt; limit − real_size, real_size being the first chunk.
    /// </summary>
    public static bool Exceeds(long limitBytes, long transientKb) =>
        limitBytes >= 0 && TriedBytes(transientKb) > limitBytes - HeapChunkBytes;
}
