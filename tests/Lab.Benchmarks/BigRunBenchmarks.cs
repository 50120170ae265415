using System.Diagnostics;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Lab.Core.Paths;

namespace Lab.Benchmarks;

/// <summary>
/// A big run end to end, as a user runs it: `./run.sh hour-of-traffic engine=sim` (an hour at 1,000 req/s on
/// 64 static children recycled every 500 requests: 3.6 M requests, 7,232 PIDs) — the simulator,
/// the gzipped results folder, the report with its slot heatmap — as the lab's own process. Per
/// run: the wall time (BenchmarkDotNet's Mean), the process's peak RSS (getrusage of the child,
/// the kernel's high-water mark) and the folder's size on disk. Targets: under 500 MiB peak, the
/// folder under 80 MB. Runs in process (the columns read what the runs measured).
/// </summary>
[Config(typeof(Columns))]
public class BigRunBenchmarks
{
    private static readonly List<(double PeakMiB, double FolderMB)> Measured = new();

    private string _cli = "";

    [GlobalSetup]
    public void Setup()
    {
        _cli = Path.Combine(LabPaths.Root, "src", "Lab.Cli", "bin", "Release", "net10.0", "Lab.Cli");
        if (!File.Exists(_cli)) throw new InvalidOperationException($"{_cli} is missing: ./run.sh bench builds it first");
    }

    [Benchmark(Description = "./run.sh hour-of-traffic engine=sim: 1 h, 64 children, 1000 req/s, run + report")]
    public long HourOf64Children()
    {
        string dir = Path.Combine(Path.GetTempPath(), "leaklab-bench-" + Guid.NewGuid().ToString("N"));
        try
        {
            var psi = new ProcessStartInfo(_cli) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "hour-of-traffic", "engine=sim", "--out", dir, "--plain" }) psi.ArgumentList.Add(a);
            psi.Environment["LAB_ROOT"] = LabPaths.Root;
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            p.WaitForExit();
            if (p.ExitCode != 0) throw new InvalidOperationException($"exit {p.ExitCode}: {stderr.Result}{stdout.Result}");
            double peakMiB = Rusage.PeakRssOfChildrenKb() / 1024.0;
            long bytes = new DirectoryInfo(dir).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
            lock (Measured) Measured.Add((peakMiB, bytes / 1e6));
            Console.WriteLine($"// hour-of-traffic: peak RSS {peakMiB:0} MiB, folder {bytes / 1e6:0.0} MB");
            return bytes;
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private sealed class Columns : ManualConfig
    {
        public Columns()
        {
            AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithStrategy(RunStrategy.Monitoring)
                .WithLaunchCount(1).WithWarmupCount(0).WithIterationCount(3));
            AddColumn(new MeasuredColumn("Peak RSS", m => $"{m.Max(x => x.PeakMiB):0} MiB"));
            AddColumn(new MeasuredColumn("Folder", m => $"{m.Max(x => x.FolderMB):0.0} MB"));
        }
    }

    private sealed class MeasuredColumn(string name, Func<List<(double PeakMiB, double FolderMB)>, string> show) : IColumn
    {
        public string Id => "BigRun" + name;
        public string ColumnName => name;
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => false;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => name == "Peak RSS" ? "the lab process's peak RSS (kernel high-water mark), largest over the runs" : "the results folder on disk, largest over the runs";
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public bool IsAvailable(Summary summary) => true;
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) { lock (Measured) return Measured.Count == 0 ? "-" : show(Measured); }
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);
    }

    /// <summary>getrusage(RUSAGE_CHILDREN): ru_maxrss is the peak RSS (KiB) of the largest child waited for.</summary>
    private static class Rusage
    {
        [StructLayout(LayoutKind.Sequential)]
        private struct RUsage
        {
            public long UtimeSec, UtimeUsec, StimeSec, StimeUsec;
            public long MaxRss, IxRss, IdRss, IsRss, MinFlt, MajFlt, NSwap, InBlock, OuBlock, MsgSnd, MsgRcv, NSignals, NVcsw, NIvcsw;
        }

        [DllImport("libc", SetLastError = true)]
        private static extern int getrusage(int who, out RUsage usage);

        public static long PeakRssOfChildrenKb() => getrusage(-1, out var u) == 0 ? u.MaxRss : -1;
    }
}
