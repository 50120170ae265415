using Lab.Core.Records;

namespace Lab.Load;

/// <summary>Live counters of a load run, safe to read from any thread while it runs (for progress views).</summary>
public sealed class LoadStats
{
    private long _sent, _dropped, _inFlight, _ok, _memoryLimit, _childDied, _refused, _timeout, _other, _unexpected;
    private string? _lastError;

    /// <summary>Requests actually sent (each one ends as completed with some status).</summary>
    public long Sent => Interlocked.Read(ref _sent);
    /// <summary>Requests not sent: no free slot at their intended time (status 0).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);
    public long InFlight => Interlocked.Read(ref _inFlight);
    /// <summary>Sent requests that ended, whatever their status.</summary>
    public long Completed => Ok + MemoryLimit + ChildDied + Refused + ClientTimeout + OtherStatus;
    public long Ok => Interlocked.Read(ref _ok);
    public long MemoryLimit => Interlocked.Read(ref _memoryLimit);
    public long ChildDied => Interlocked.Read(ref _childDied);
    public long Refused => Interlocked.Read(ref _refused);
    public long ClientTimeout => Interlocked.Read(ref _timeout);
    /// <summary>Ended with a status outside 200/500/502/503/504 (e.g. a front's 404).</summary>
    public long OtherStatus => Interlocked.Read(ref _other);
    /// <summary>Transport exceptions of no known kind (mapped to 502); see <see cref="LastError"/>.</summary>
    public long UnexpectedErrors => Interlocked.Read(ref _unexpected);
    /// <summary>The last transport error message seen (for a clear message when things go wrong).</summary>
    public string? LastError => Volatile.Read(ref _lastError);

    internal void OnSent()
    {
        Interlocked.Increment(ref _sent);
        Interlocked.Increment(ref _inFlight);
    }

    internal void OnDropped() => Interlocked.Increment(ref _dropped);

    internal void OnEnded(int status, string? error, bool unexpected)
    {
        Interlocked.Decrement(ref _inFlight);
        switch (status)
        {
            case RequestStatus.Ok: Interlocked.Increment(ref _ok); break;
            case RequestStatus.MemoryLimit: Interlocked.Increment(ref _memoryLimit); break;
            case RequestStatus.ChildDied: Interlocked.Increment(ref _childDied); break;
            case RequestStatus.Refused: Interlocked.Increment(ref _refused); break;
            case RequestStatus.ClientTimeout: Interlocked.Increment(ref _timeout); break;
            default: Interlocked.Increment(ref _other); break;
        }
        if (unexpected) Interlocked.Increment(ref _unexpected);
        if (error is not null) Volatile.Write(ref _lastError, error);
    }
}
