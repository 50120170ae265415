// Timing-sensitive tests (schedules, stalls, counts per interval) run one at a time: run in
// parallel on a 2-core machine they would measure each other, not the code.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Lab.Load.Tests
{
    internal static class ThreadPoolWarmUp
    {
        /// <summary>
        /// The closed model's users are tasks: on a 2-core machine the pool starts with 2 threads and
        /// adds one about every half second when they are all busy, and the first tests of the run
        /// (JIT, xunit's own work) then saw their 50 ms cycles stall for most of a second ("3 requests"
        /// in a 1 s phase). Enough threads from the start, as a server process would configure them.
        /// </summary>
        [System.Runtime.CompilerServices.ModuleInitializer]
        internal static void Init()
        {
            ThreadPool.GetMinThreads(out int workers, out int io);
            ThreadPool.SetMinThreads(Math.Max(workers, 16), Math.Max(io, 16));
        }
    }
}
