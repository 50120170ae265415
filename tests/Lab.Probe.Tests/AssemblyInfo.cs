// Timing-sensitive tests (schedules, stalls, counts per interval) run one at a time: run in
// parallel on a 2-core machine they would measure each other, not the code.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
