// Real processes on a 2-core machine: one pool at a time, so the process manager's timing is not starved.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
