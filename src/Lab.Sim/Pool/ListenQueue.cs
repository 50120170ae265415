namespace Lab.Sim.Pool;

/// <summary>
/// The listening socket's accept queue (the kernel's backlog, php-fpm's listen.backlog): a FIFO
/// of connections the kernel accepted that no child has accept()ed yet. Holds request slots of
/// the load driver. When it is full, a new connection is refused.
/// </summary>
internal sealed class ListenQueue(int capacity)
{
    private readonly Queue<int> _slots = new();

    /// <summary>listen.backlog ("listen queue len" on the status page).</summary>
    public int Capacity { get; set; } = capacity;

    public int Count => _slots.Count;
    public bool IsFull => _slots.Count >= Capacity;

    public void Enqueue(int slot) => _slots.Enqueue(slot);

    /// <summary>The connection that waited longest; throws if none waits.</summary>
    public int Dequeue() => _slots.Dequeue();
}
