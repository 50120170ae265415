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

    /// <summary>Does a request with this much transient memory exhaust memory_limit? (limit &lt; 0: unlimited)</summary>
    public static bool Exceeds(long limitBytes, long transientKb) => limitBytes >= 0 && TriedBytes(transientKb) > limitBytes;
}
