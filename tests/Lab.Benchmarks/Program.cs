using BenchmarkDotNet.Running;

// The lab's benchmarks (BenchmarkDotNet). Pick with a filter, e.g.
//   dotnet run -c Release --project tests/Lab.Benchmarks -- --filter '*Sim*'
// Without arguments BenchmarkDotNet lists the benchmarks to choose from.
BenchmarkSwitcher.FromAssembly(typeof(Lab.Benchmarks.SimBenchmarks).Assembly).Run(args);
