using Lab.Core.Scenarios;

namespace Lab.Sim.Pool;

/// <summary>
/// The memory of one child (MemoryModel):
/// RSS = ChildBaselineKb + pages(kept leak + allocator retention + transient of the request in flight);
/// VSZ = ChildVszKb + pages(kept leak) + pages(heap high-water mark), where the heap high-water
/// mark is the most retention + transient the child ever held at once. VSZ therefore never
/// shrinks (the heap is not given back to the address space), while RSS wobbles with the
/// retention and climbs with the leak. Pages are 4 KiB, as ps counts them.
/// </summary>
internal struct ChildMemory
{
    /// <summary>Leaked KiB kept forever (C-level leak × LeakScale + PerRequestKb per request).</summary>
    public double KeptKb;
    /// <summary>KiB the allocator kept after requests (≤ RetainMaxKb).</summary>
    public double RetainedKb;
    /// <summary>Transient KiB of the request in flight (0 between requests).</summary>
    public long InFlightKb;
    /// <summary>Most retention + transient held at once.</summary>
    public double HeapPeakKb;

    /// <summary>The child ran a request: the code every request runs (memory.shared_code) is in its RSS from then on.</summary>
    public bool CodeTouched;

    /// <summary>The shared pages in its RSS: memory.shared from its start, memory.shared_code once it ran a request.</summary>
    public readonly long SharedKb(MemoryModel m) => m.SharedKb + (CodeTouched ? m.SharedCodeKb : 0);

    public readonly long RssKb(MemoryModel m) => m.ChildBaselineKb + SharedKb(m) + SimMemory.Pages(KeptKb + RetainedKb + InFlightKb);

    /// <summary>USS: RSS without the shared pages.</summary>
    public readonly long UssKb(MemoryModel m) => RssKb(m) - SharedKb(m);

    public readonly long VszKb(MemoryModel m) => m.ChildVszKb + m.SharedKb + m.SharedCodeKb + SimMemory.Pages(KeptKb) + SimMemory.Pages(HeapPeakKb);

    public void Leak(double kb) => KeptKb += kb;

    public void BeginTransient(long kb)
    {
        CodeTouched = true;
        InFlightKb = kb;
        HeapPeakKb = Math.Max(HeapPeakKb, RetainedKb + kb);
    }

    /// <summary>
    /// The request ended: its transient memory is freed, the allocator keeps part of it and gives
    /// back a random share u × RetainShrink of what it kept before.
    /// </summary>
    public void EndRequest(long transientKb, double u, MemoryModel m)
    {
        InFlightKb = 0;
        RetainedKb = SimMemory.RetainedAfter(RetainedKb, transientKb, u, m.RetainFraction, m.RetainMaxKb, m.RetainShrink);
        HeapPeakKb = Math.Max(HeapPeakKb, RetainedKb);
    }
}
