using System.Text.Json;
using System.Xml.Linq;
using Lab.Core.Engines;
using Lab.Core.Paths;
using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.Results;
using Lab.Scenarios;
using Lab.Sim;

namespace Lab.Report.Tests;

/// <summary>A fresh temporary folder, deleted afterwards.</summary>
internal sealed class TempDir : IDisposable
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "lab-report-tests", Guid.NewGuid().ToString("N"));
    public TempDir() => Directory.CreateDirectory(Root);
    /// <summary>A path inside that does not exist yet.</summary>
    public string Sub(string name) => Path.Combine(Root, name);
    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Results folders to report on: simulated runs of the lab's scenarios, and synthetic ones.</summary>
internal static class TestRuns
{
    /// <summary>Runs a scenario of scenarios/ on the simulator into dir, as ./run.sh would (engine=sim added).</summary>
    public static RunFolder Sim(string dir, string scenario, params string[] overrides)
    {
        var s = ScenarioLoader.Load(scenario, [.. overrides, "engine=sim"], LabPaths.Scenarios);
        var header = RunHeader.For(s, "sim", SimEngine.Epoch, s.Memory.HostMemKb, flushEveryTick: false);
        var manifest = Manifest.ForThisMachine("sim", s.Name, s.Seed, "./run.sh " + scenario + " " + string.Join(' ', overrides), DateTime.UtcNow);
        using (var w = ResultsWriter.Create(dir, header, ScenarioWriter.ToToml(s), manifest))
        {
            var outcome = SimEngine.Run(s, w, CancellationToken.None);
            w.Complete(outcome, manifest with { EndUtc = DateTime.UtcNow });
        }
        return RunFolder.Open(dir);
    }

    public const int MasterPid = 500;

    /// <summary>
    /// A synthetic run: a master and `children` children, `concurrent` at a time, each living
    /// `ticks` one-second ticks, serving one request a tick and leaking 512 KiB per request,
    /// then exiting on pm.max_requests. complete = false: the writer is closed without
    /// Complete (a killed run: manifest incomplete, no summary.json).
    /// </summary>
    public static RunFolder Synthetic(string dir, int children, int ticks, int concurrent, bool complete = true, Action<IRunSink, double>? extra = null)
    {
        string toml = $"title = \"Synthetic pool\"\nseed = 3\nsample_interval = \"1s\"\n\n[pool]\npm = \"static\"\nmax_children = {concurrent}\nmax_requests = {ticks}\nmemory_limit = \"64M\"\n\n[request]\nleak = \"512K\"\n\n[[load.phases]]\nphase = \"inject\"\nrate = {concurrent}\nduring = \"{children / concurrent * ticks}s\"\n";
        var header = new RunHeader("synthetic", "sim", 3, SimEngine.Epoch, 16L << 20, FpmLogLevel.Notice, children / concurrent * ticks, FlushEveryTick: false);
        var manifest = Manifest.ForThisMachine("sim", "synthetic", 3, "synthetic", DateTime.UtcNow);
        var w = ResultsWriter.Create(dir, header, toml, manifest);
        try
        {
            w.Process(new ProcessInfo(MasterPid, ProcessRole.Master, "root", "php-fpm: master process", 0));
            w.Event(new PoolEvent(0, EventNames.Start, MasterPid, $"pm=static max_children={concurrent} max_requests={ticks}"));
            w.Log(0, FpmLogLevel.Notice, $"fpm is running, pid {MasterPid}");
            int generations = children / concurrent;
            long id = 0;
            for (int g = 0; g < generations; g++)
            {
                int firstPid = MasterPid + 1 + g * concurrent;
                double t0 = g * ticks;
                for (int c = 0; c < concurrent; c++)
                {
                    w.Process(new ProcessInfo(firstPid + c, ProcessRole.Child, "www-data", "php-fpm: pool www", t0, MasterPid));
                    w.Event(new PoolEvent(t0, EventNames.Spawn, firstPid + c, g == 0 ? "initial" : "respawn"));
                    w.Log(t0, FpmLogLevel.Notice, $"[pool www] child {firstPid + c} started");
                }
                for (int k = 0; k < ticks; k++)
                {
                    double t = t0 + k;
                    w.Sample(new Sample(t, MasterPid, ProcessRole.Master, 16_000, 60_000, 0.1, 'S', 0));
                    for (int c = 0; c < concurrent; c++)
                    {
                        int pid = firstPid + c;
                        // RSS: baseline + 512 KiB per request served + a small wobble per PID.
                        w.Sample(new Sample(t, pid, ProcessRole.Child, 7_000 + 512L * k + (pid % 7) * 3, 60_000 + 512L * k, 0.01 * k, 'S', k));
                        double end = Math.Round(t + 0.5 + 0.001 * c, 6);
                        w.Request(new RequestRecord(++id, t + 0.49, t + 0.49, end, pid, RequestStatus.Ok, Math.Round((end - t - 0.49) * 1000, 3), 512, 1024));
                    }
                    extra?.Invoke(w, t);
                    w.EndTick(t);
                }
                double tExit = t0 + ticks - 0.4;
                for (int c = 0; c < concurrent; c++)
                {
                    w.Event(new PoolEvent(tExit, EventNames.Exit, firstPid + c, "code 0;max_requests"));
                    w.Log(tExit, FpmLogLevel.Notice, $"[pool www] child {firstPid + c} exited with code 0 after {ticks - 0.4:0.000000} seconds from start");
                }
            }
            if (complete) w.Complete(RunOutcome.Complete, manifest with { EndUtc = DateTime.UtcNow });
        }
        finally
        {
            w.Dispose(); // without Complete: manifest "incomplete", no summary.json
        }
        return RunFolder.Open(dir);
    }

    /// <summary>The child PIDs of a run's samples.</summary>
    public static IReadOnlyList<int> ChildPids(RunFolder run)
    {
        var s = run.Samples;
        return s.Pids().Where(p => s.Role[s.RowsOf(p).First()] == ProcessRole.Child).ToList();
    }

    /// <summary>Every key of a summary.json file, nested objects flattened with dots (an empty object keeps its own key).</summary>
    public static IReadOnlyList<string> SummaryKeys(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var keys = new List<string>();
        void Walk(JsonElement e, string prefix)
        {
            foreach (var p in e.EnumerateObject())
            {
                string k = prefix.Length == 0 ? p.Name : prefix + "." + p.Name;
                if (p.Value.ValueKind == JsonValueKind.Object && p.Value.EnumerateObject().Any()) Walk(p.Value, k);
                else keys.Add(k);
            }
        }
        Walk(doc.RootElement, "");
        return keys;
    }
}

/// <summary>What the tests read in a plot's SVG.</summary>
internal static class Svg
{
    public static readonly XNamespace Ns = "http://www.w3.org/2000/svg";

    public static XDocument Load(string path) => XDocument.Load(path);

    /// <summary>The text of every &lt;text&gt; element (ScottPlot writes one per label), trimmed.</summary>
    public static IReadOnlyList<string> Texts(XDocument svg) =>
        svg.Descendants(Ns + "text").Select(t => t.Value.Trim()).ToList();

    /// <summary>The &lt;path&gt; elements drawn with this stroke width (how the tests find the PID lines).</summary>
    public static IReadOnlyList<XElement> PathsWithStrokeWidth(XDocument svg, float width) =>
        svg.Descendants(Ns + "path").Where(p => (string?)p.Attribute("stroke-width") == width.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();

    /// <summary>The stroke colours of the drawn paths, lower case "#rrggbb".</summary>
    public static ISet<string> StrokeColours(XDocument svg) =>
        svg.Descendants(Ns + "path").Select(p => ((string?)p.Attribute("stroke"))?.ToLowerInvariant()).Where(c => c is not null && c.StartsWith('#')).Select(c => c!).ToHashSet();
}
