using Lab.Core.Scenarios;
using Lab.Scenarios;

namespace Lab.Report.Model;

/// <summary>One setting of a run: its dotted key as scenario files and overrides write it, and its value.</summary>
/// <param name="Main">Shown in the main settings table (else under "memory model and guard").</param>
internal sealed record Setting(string Key, string Value, bool Main = true)
{
    /// <summary>The override's short name: "max_requests" for "pool.max_requests", "phases.1" for "load.phases.1".</summary>
    public string Leaf => Key.StartsWith("load.phases.", StringComparison.Ordinal) || Key.StartsWith("actions.", StringComparison.Ordinal)
                          || Key.StartsWith("request.kinds.", StringComparison.Ordinal)
        ? Key[(Key.IndexOf('.') + 1)..]
        : Key[(Key.LastIndexOf('.') + 1)..];
}

/// <summary>
/// The settings of a run, flat, in the words and units of scenario files (the resolved
/// scenario: every default explicit), so a reader can rerun it with key=value overrides and
/// a compare can tell which settings differ.
/// </summary>
internal static class RunSettings
{
    /// <summary>The engine whose runs the [memory] model drives (the manifest's engine name).</summary>
    public const string SimEngine = "sim";

    /// <summary>
    /// A setting of the simulator's memory model (memory.*): it shapes a sim run's RSS only. A real
    /// run's scenario has the section too (every default explicit), but nothing of it happened there.
    /// </summary>
    public static bool IsSimOnly(string key) => key.StartsWith("memory.", StringComparison.Ordinal);

    /// <summary>The settings of a run of the engine named (memory.* only for a sim run: see <see cref="IsSimOnly"/>).</summary>
    public static IReadOnlyList<Setting> Of(Scenario s, string engine)
    {
        var list = new List<Setting>
        {
            new("engine", engine),
            new("front", s.Front == FrontKind.Nginx ? "nginx" : "fastcgi"),
            new("seed", s.Seed.ToString(Fmt.Inv)),
            new("duration", Readable(s.RunLength)),
            new("sample_interval", Readable(s.SampleInterval)),
        };
        list.AddRange(Pool(s.Pool, "pool"));

        var r = s.Request;
        list.Add(new("request.script", r.Script));
        if (r.Query.Length > 0) list.Add(new("request.query", r.Query));
        list.Add(new("request.leak", Dist(r.LeakKb, size: true)));
        list.Add(new("request.transient", Dist(r.TransientKb, size: true)));
        list.Add(new("request.work", Dist(r.WorkMs, size: false)));
        list.Add(new("request.wait", Dist(r.WaitMs, size: false)));
        var shares = RequestKind.Probabilities(r.Kinds);
        for (int i = 0; i < r.Kinds.Count; i++) list.Add(new($"request.kinds.{i + 1}", Kind(r.Kinds[i], shares[i])));
        if (s.Php.Root is { } root) list.Add(new("php.root", root));
        if (s.Php.Ini.Count > 0) list.Add(new("php.ini", string.Join(", ", s.Php.Ini.Select(kv => $"{kv.Key} = {kv.Value}"))));
        if (s.Php.Extensions.Count > 0) list.Add(new("php.extensions", string.Join(", ", s.Php.Extensions)));

        var load = s.Load;
        list.Add(new("load.arrivals", load.Arrivals == ArrivalProcess.Poisson ? "poisson" : "even"));
        list.Add(new("load.iterations", load.Iterations is long it ? it.ToString(Fmt.Inv) : "not set"));
        list.Add(new("load.max_in_flight", load.MaxInFlight.ToString(Fmt.Inv)));
        list.Add(new("load.timeout", Readable(load.Timeout)));
        for (int i = 0; i < load.Phases.Count; i++) list.Add(new($"load.phases.{i + 1}", Phase(load.Phases[i])));
        for (int i = 0; i < s.Actions.Count; i++) list.Add(new($"actions.{i + 1}", Action(s.Actions[i], s.Pool)));

        if (engine == SimEngine) list.AddRange(MemorySettings(s.Memory));
        list.Add(new("guard.max_rss", s.Guard.MaxRssBytes is long mr ? ScenarioUnits.FormatSizeBytes(mr) : "half of MemAvailable at the start", false));
        list.Add(new("guard.min_available", s.Guard.MinAvailableBytes is long ma ? ScenarioUnits.FormatSizeBytes(ma) : "min(1G, 10% of MemTotal)", false));
        return list;
    }

    private static IEnumerable<Setting> MemorySettings(MemoryModel m)
    {
        yield return new("memory.child_baseline", ScenarioUnits.FormatSizeKb(m.ChildBaselineKb), false);
        yield return new("memory.child_vsz", ScenarioUnits.FormatSizeKb(m.ChildVszKb), false);
        yield return new("memory.master_rss", ScenarioUnits.FormatSizeKb(m.MasterRssKb), false);
        yield return new("memory.master_vsz", ScenarioUnits.FormatSizeKb(m.MasterVszKb), false);
        yield return new("memory.leak_scale", ScenarioUnits.FormatNumber(m.LeakScale), false);
        yield return new("memory.per_request", ScenarioUnits.FormatSizeKb(m.PerRequestKb), false);
        yield return new("memory.retain_fraction", ScenarioUnits.FormatNumber(m.RetainFraction), false);
        yield return new("memory.retain_max", ScenarioUnits.FormatSizeKb(m.RetainMaxKb), false);
        yield return new("memory.retain_shrink", ScenarioUnits.FormatNumber(m.RetainShrink), false);
        yield return new("memory.spawn_time", Readable(m.SpawnTime), false);
        yield return new("memory.exit_time", Dist(m.ExitTimeMs, size: false), false);
        yield return new("memory.master_start", Readable(m.MasterStart), false);
        yield return new("memory.start_spread", Readable(m.StartSpread), false);
        yield return new("memory.host_mem", ScenarioUnits.FormatSizeKb(m.HostMemKb), false);
    }

    private static IEnumerable<Setting> Pool(PoolSettings p, string prefix)
    {
        static string Timeout(TimeSpan t) => t == TimeSpan.Zero ? "0 (off)" : Readable(t);
        yield return new($"{prefix}.name", p.Name);
        yield return new($"{prefix}.pm", p.Pm.ToString().ToLowerInvariant());
        yield return new($"{prefix}.max_children", p.MaxChildren.ToString(Fmt.Inv));
        // The process manager's own directives only where php-fpm reads them.
        if (p.Pm == ProcessManagerStyle.Dynamic)
        {
            yield return new($"{prefix}.start_servers", p.StartServers.ToString(Fmt.Inv));
            yield return new($"{prefix}.min_spare_servers", p.MinSpareServers.ToString(Fmt.Inv));
            yield return new($"{prefix}.max_spare_servers", p.MaxSpareServers.ToString(Fmt.Inv));
            yield return new($"{prefix}.max_spawn_rate", p.MaxSpawnRate.ToString(Fmt.Inv));
        }
        if (p.Pm == ProcessManagerStyle.Ondemand)
            yield return new($"{prefix}.process_idle_timeout", Readable(p.ProcessIdleTimeout));
        yield return new($"{prefix}.max_requests", p.MaxRequests == 0 ? "0 (unlimited)" : p.MaxRequests.ToString(Fmt.Inv));
        yield return new($"{prefix}.request_terminate_timeout", Timeout(p.RequestTerminateTimeout));
        yield return new($"{prefix}.request_slowlog_timeout", Timeout(p.RequestSlowlogTimeout));
        yield return new($"{prefix}.listen_backlog", p.ListenBacklog.ToString(Fmt.Inv));
        yield return new($"{prefix}.memory_limit", ScenarioUnits.FormatMemoryLimit(p.MemoryLimitBytes) + (p.MemoryLimitBytes < 0 ? " (unlimited)" : ""));
    }

    /// <summary>
    /// A duration as a reader takes it in: under a second and not whole milliseconds, in ms with up
    /// to 3 decimals ("21.61ms", not the scenario file's exact "21610us"); else as the scenario writes it.
    /// </summary>
    private static string Readable(TimeSpan t) => ReadableMs(t.TotalMilliseconds);

    private static string ReadableMs(double ms) =>
        ms > 0 && ms < 1000 && ms != Math.Floor(ms) ? ms.ToString("0.###", Fmt.Inv) + "ms" : ScenarioUnits.FormatDurationMs(ms);

    private static string Dist(Distribution d, bool size)
    {
        string F(double v) => size ? ScenarioUnits.FormatSizeKb(v) : ReadableMs(v);
        return d.Kind switch
        {
            DistributionKind.Uniform => $"uniform {F(d.A)} .. {F(d.B)}",
            DistributionKind.Normal => $"normal, mean {F(d.A)}, stddev {F(d.B)}",
            DistributionKind.Exponential => $"exponential, mean {F(d.A)}",
            DistributionKind.LogNormal => $"lognormal, mean {F(d.A)}, stddev {F(d.B)}",
            DistributionKind.Choice => "choice of " + string.Join(", ", d.Values.Select((v, i) => $"{F(v)} (weight {ScenarioUnits.FormatNumber(d.Weights[i])})")),
            _ => F(d.A),
        };
    }

    /// <summary>"export, 1% of requests: /export.php, leak 50M, transient 0K, work 10ms, wait 0ms".</summary>
    private static string Kind(RequestKind k, double share)
    {
        string query = k.Query.Length > 0 ? "?" + k.Query : "";
        return $"{k.Name}, {ScenarioUnits.FormatNumber(Math.Round(share * 100, 3))}% of requests: {k.Script}{query}, leak {Dist(k.LeakKb, true)}, " +
               $"transient {Dist(k.TransientKb, true)}, work {Dist(k.WorkMs, false)}, wait {Dist(k.WaitMs, false)}";
    }

    private static string Phase(LoadPhase p)
    {
        string during = Readable(p.During);
        string think = p.Think > TimeSpan.Zero ? $", think {Readable(p.Think)}" : "";
        return p.Kind switch
        {
            LoadPhaseKind.Inject => $"inject {ScenarioUnits.FormatNumber(p.Rate)}/s for {during}",
            LoadPhaseKind.RampingInject => $"ramping-inject to {ScenarioUnits.FormatNumber(p.Rate)}/s over {during}",
            LoadPhaseKind.InjectRandom => $"inject-random {ScenarioUnits.FormatNumber(p.MinRate)}..{ScenarioUnits.FormatNumber(p.MaxRate)}/s (redrawn every {Readable(p.RandomInterval)}) for {during}",
            LoadPhaseKind.KeepConstant => $"keep-constant {p.Copies} users{think} for {during}",
            LoadPhaseKind.RampingConstant => $"ramping-constant to {p.Copies} users{think} over {during}",
            _ => $"pause {during}",
        };
    }

    private static string Action(ScenarioAction a, PoolSettings before)
    {
        string at = "at " + Readable(a.At);
        return a.Kind switch
        {
            ActionKind.Restart => $"{at}: restart (kill the master, start again)",
            ActionKind.Reload when a.NewPool is not null => $"{at}: reload, " + ChangedPool(before, a.NewPool),
            ActionKind.Reload => $"{at}: reload",
            _ => $"{at}: kill-child {a.Target.ToString().ToLowerInvariant()} with SIG{ScenarioUnits.FormatSignal(a.Signal)}",
        };
    }

    private static string ChangedPool(PoolSettings before, PoolSettings after)
    {
        var b = Pool(before, "pool").ToDictionary(s => s.Key, s => s.Value);
        var changed = Pool(after, "pool").Where(s => !b.TryGetValue(s.Key, out var v) || v != s.Value).Select(s => $"{s.Leaf} = {s.Value}").ToList();
        return changed.Count == 0 ? "settings unchanged" : string.Join(", ", changed);
    }
}
