namespace Lab.Sim.Pool;

/// <summary>
/// The listening socket's accept queue (the kernel's backlog, php-fpm's listen.backlog): a FIFO
/// of connections the kernel accepted that no child has accept()ed yet. Holds request slots of
/// the load driver. When it is full, a new connection is refused.
/// </summary>
internal sealed class ListenQueue
{
    private int[] _items = new int[16];
    private int _head, _count;

    public ListenQueue(int capacity) => Capacity = capacity;

    /// <summary>listen.backlog ("listen queue len" on the status page).</summary>
    public int Capacity { get; set; }

    public int Count => _count;
    public bool IsFull => _count >= Capacity;

    public void Enqueue(int slot)
    {
        if (_count == _items.Length)
        {
            var bigger = new int[_items.Length * 2];
            for (int i = 0; i < _count; i++) bigger[i] = _items[(_head + i) % _items.Length];
            _items = bigger;
            _head = 0;
        }
        _items[(_head + _count) % _items.Length] = slot;
        _count++;
    }

    public int Dequeue()
    {
        if (_count == 0) throw new InvalidOperationException("the listen queue is empty");
        int slot = _items[_head];
        _head = (_head + 1) % _items.Length;
        _count--;
        return slot;
    }
}
