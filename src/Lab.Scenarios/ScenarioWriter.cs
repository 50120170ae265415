using System.Globalization;
using System.Text;
using Lab.Core.Scenarios;
using Lab.Scenarios.Document;

namespace Lab.Scenarios;

/// <summary>
/// A resolved scenario as TOML, every setting explicit (defaults and overrides applied, the
/// seed written): results/&lt;run&gt;/scenario.toml, which `./run.sh results/X/scenario.toml`
/// reruns. Parse(ToToml(s)) yields an equal scenario and ToToml of that is the same text,
/// byte for byte: numbers are written so that they parse back to themselves.
/// </summary>
public static class ScenarioWriter
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string ToToml(Scenario scenario)
    {
        var w = new StringBuilder();
        void Line(string key, string value) => w.Append(key).Append(" = ").Append(value).Append('\n');
        static string Q(string s) => TomlText.Quote(s);

        w.Append("# Leak Lab scenario \"").Append(TomlText.Escape(scenario.Name, false)).Append("\", resolved: defaults and overrides applied,\n");
        w.Append("# every setting explicit. Rerun it with: ./run.sh <this file> [key=value ...]\n");
        w.Append("# The keys are described in scenarios/README.md.\n\n");

        Line("title", Q(scenario.Title));
        if (scenario.Description.Contains('\n'))
            w.Append("description = \"\"\"\n").Append(TomlText.Escape(scenario.Description, multiline: true)).Append("\n\"\"\"\n");
        else
            Line("description", Q(scenario.Description));
        Line("engine", Q(scenario.Engine switch { EngineKind.Sim => "sim", EngineKind.PhpFpm => "php-fpm", _ => "dotnet" }));
        Line("front", Q(scenario.Front == FrontKind.Nginx ? "nginx" : "fastcgi"));
        Line("seed", scenario.Seed.ToString(Inv));
        Line("duration", Q(ScenarioUnits.FormatDuration(scenario.RunLength)));
        Line("sample_interval", Q(ScenarioUnits.FormatDuration(scenario.SampleInterval)));
        Line("pss_interval", Q(ScenarioUnits.FormatDuration(scenario.PssInterval)));
        Line("log_level", Q(scenario.LogLevel.ToString().ToLowerInvariant()));
        if (scenario.RequestRecords is { } records) Line("records", Q(records == RecordsMode.Summary ? "summary" : "all"));

        w.Append("\n[pool]\n");
        foreach (var (key, value) in PoolEntries(scenario.Pool)) Line(key, value);
        if (scenario.Pool.Pm == ProcessManagerStyle.Dynamic && scenario.Pool.StartServersSetting is null)
            w.Append("# start_servers: not set, php-fpm's default min_spare_servers + (max_spare_servers - min_spare_servers) / 2 = ")
             .Append(scenario.Pool.StartServers.ToString(Inv)).Append('\n');

        var r = scenario.Request;
        w.Append("\n[request]\n");
        Line("script", Q(r.Script));
        Line("query", Q(r.Query));
        Line("leak", Dist(r.LeakKb, size: true));
        Line("transient", Dist(r.TransientKb, size: true));
        Line("work", Dist(r.WorkMs, size: false));
        Line("wait", Dist(r.WaitMs, size: false));
        Line("code", Q(ScenarioUnits.FormatSizeKb(r.CodeKb)));
        foreach (var k in r.Kinds)
        {
            w.Append("\n[[request.kinds]]\n");
            Line("name", Q(k.Name));
            if (k.Share is double share) Line("share", Q(ScenarioUnits.FormatNumber(share * 100) + "%"));
            else Line("weight", ScenarioUnits.FormatNumber(k.Weight));
            Line("script", Q(k.Script));
            Line("query", Q(k.Query));
            Line("leak", Dist(k.LeakKb, size: true));
            Line("transient", Dist(k.TransientKb, size: true));
            Line("work", Dist(k.WorkMs, size: false));
            Line("wait", Dist(k.WaitMs, size: false));
        }

        var load = scenario.Load;
        w.Append("\n[load]\n");
        Line("arrivals", Q(load.Arrivals == ArrivalProcess.Poisson ? "poisson" : "even"));
        if (load.Iterations is long iterations) Line("iterations", iterations.ToString(Inv));
        else w.Append("# iterations: not set, the load phases and duration decide when the run stops\n");
        Line("max_in_flight", load.MaxInFlight.ToString(Inv));
        Line("timeout", Q(ScenarioUnits.FormatDuration(load.Timeout)));

        foreach (var phase in load.Phases)
        {
            w.Append("\n[[load.phases]]\n");
            Line("phase", Q(phase.KindName));
            switch (phase.Kind)
            {
                case LoadPhaseKind.Inject or LoadPhaseKind.RampingInject:
                    Line("rate", ScenarioUnits.FormatNumber(phase.Rate));
                    break;
                case LoadPhaseKind.InjectRandom:
                    Line("min_rate", ScenarioUnits.FormatNumber(phase.MinRate));
                    Line("max_rate", ScenarioUnits.FormatNumber(phase.MaxRate));
                    Line("interval", Q(ScenarioUnits.FormatDuration(phase.RandomInterval)));
                    break;
                case LoadPhaseKind.KeepConstant or LoadPhaseKind.RampingConstant:
                    Line("copies", phase.Copies.ToString(Inv));
                    Line("think", Q(ScenarioUnits.FormatDuration(phase.Think)));
                    break;
            }
            Line("during", Q(ScenarioUnits.FormatDuration(phase.During)));
        }

        foreach (var action in scenario.Actions)
        {
            w.Append("\n[[actions]]\n");
            Line("at", Q(ScenarioUnits.FormatDuration(action.At)));
            Line("action", Q(action.KindName));
            switch (action.Kind)
            {
                case ActionKind.Reload when action.NewPool is not null:
                    // Only what the reload changes; the rest is [pool] as above.
                    var before = PoolEntries(scenario.Pool).ToDictionary(e => e.Key, e => e.Value);
                    var changed = PoolEntries(action.NewPool).Where(e => !before.TryGetValue(e.Key, out var was) || was != e.Value).Select(e => $"{e.Key} = {e.Value}");
                    Line("set", "{ " + string.Join(", ", changed) + " }");
                    break;
                case ActionKind.KillChild:
                    Line("target", Q(action.Target.ToString().ToLowerInvariant()));
                    Line("signal", Q(ScenarioUnits.FormatSignal(action.Signal)));
                    break;
                case ActionKind.Stop:
                    Line("signal", Q(ScenarioUnits.FormatSignal(action.Signal)));
                    break;
            }
        }

        var php = scenario.Php;
        w.Append("\n[php]\n");
        if (php.Root is { } phpRoot) Line("root", Q(phpRoot));
        else w.Append("# root: not set, the lab's own scripts (lab/php)\n");
        Line("ini", "{ " + string.Join(", ", php.Ini.Select(kv => $"{Q(kv.Key)} = {Q(kv.Value)}")) + (php.Ini.Count > 0 ? " }" : "}"));
        Line("extensions", "[" + string.Join(", ", php.Extensions.Select(Q)) + "]");
        Line("opcache", php.Opcache ? "true" : "false");

        var rc = scenario.Recycle;
        if (rc.Any || rc.CheckInterval != new RecycleSettings().CheckInterval)
        {
            w.Append("\n[recycle]\n# not php-fpm directives: the other servers' recycling rules, run by the sim and dotnet engines\n");
            Line("jitter", rc.Jitter.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Line("delta", rc.Delta.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Line("max_rss", Q(ScenarioUnits.FormatSizeBytes(rc.MaxRssBytes)));
            Line("max_uss", Q(ScenarioUnits.FormatSizeBytes(rc.MaxUssBytes)));
            Line("kill_rss", Q(ScenarioUnits.FormatSizeBytes(rc.KillRssBytes)));
            Line("pool_budget", Q(ScenarioUnits.FormatSizeBytes(rc.PoolBudgetBytes)));
            Line("check_interval", Q(ScenarioUnits.FormatDuration(rc.CheckInterval)));
            Line("min_lifetime", Q(ScenarioUnits.FormatDuration(rc.MinLifetime)));
        }

        var m = scenario.Memory;
        w.Append("\n[memory]\n");
        Line("child_baseline", Q(ScenarioUnits.FormatSizeKb(m.ChildBaselineKb)));
        Line("child_vsz", Q(ScenarioUnits.FormatSizeKb(m.ChildVszKb)));
        Line("shared", Q(ScenarioUnits.FormatSizeKb(m.SharedKb)));
        Line("shared_code", Q(ScenarioUnits.FormatSizeKb(m.SharedCodeKb)));
        Line("shared_others", ScenarioUnits.FormatNumber(m.SharedOthers));
        if (m.MasterPssKb is long masterPss) Line("master_pss", Q(ScenarioUnits.FormatSizeKb(masterPss)));
        Line("master_rss", Q(ScenarioUnits.FormatSizeKb(m.MasterRssKb)));
        Line("master_vsz", Q(ScenarioUnits.FormatSizeKb(m.MasterVszKb)));
        Line("leak_scale", ScenarioUnits.FormatNumber(m.LeakScale));
        Line("per_request", Q(ScenarioUnits.FormatSizeKb(m.PerRequestKb)));
        Line("retain_fraction", ScenarioUnits.FormatNumber(m.RetainFraction));
        Line("retain_max", Q(ScenarioUnits.FormatSizeKb(m.RetainMaxKb)));
        Line("retain_shrink", ScenarioUnits.FormatNumber(m.RetainShrink));
        Line("spawn_time", Q(ScenarioUnits.FormatDuration(m.SpawnTime)));
        Line("cold_start", Q(ScenarioUnits.FormatDuration(m.ColdStart)));
        Line("accept_wakeup", Q(ScenarioUnits.FormatDuration(m.AcceptWakeup)));
        Line("exit_time", Dist(m.ExitTimeMs, size: false));
        Line("master_start", Q(ScenarioUnits.FormatDuration(m.MasterStart)));
        Line("start_spread", Q(ScenarioUnits.FormatDuration(m.StartSpread)));
        Line("host_mem", Q(ScenarioUnits.FormatSizeKb(m.HostMemKb)));

        var g = scenario.Guard;
        w.Append("\n[guard]\n");
        if (g.MaxRssBytes is long maxRss) Line("max_rss", Q(ScenarioUnits.FormatSizeBytes(maxRss)));
        else w.Append("# max_rss: not set, half of MemAvailable at the start of the run\n");
        if (g.MinAvailableBytes is long minAvailable) Line("min_available", Q(ScenarioUnits.FormatSizeBytes(minAvailable)));
        else w.Append("# min_available: not set, the smaller of 1G and 10% of MemTotal\n");
        return w.ToString();
    }

    /// <summary>The [pool] keys and their TOML values, in the schema's order.</summary>
    private static IEnumerable<(string Key, string Value)> PoolEntries(PoolSettings p)
    {
        static string Q(string s) => TomlText.Quote(s);
        static string Timeout(TimeSpan t) => Q(t == TimeSpan.Zero ? "0" : ScenarioUnits.FormatDuration(t));
        yield return ("name", Q(p.Name));
        yield return ("pm", Q(p.Pm.ToString().ToLowerInvariant()));
        yield return ("max_children", p.MaxChildren.ToString(Inv));
        if (p.StartServersSetting is int start) yield return ("start_servers", start.ToString(Inv));
        yield return ("min_spare_servers", p.MinSpareServers.ToString(Inv));
        yield return ("max_spare_servers", p.MaxSpareServers.ToString(Inv));
        yield return ("max_spawn_rate", p.MaxSpawnRate.ToString(Inv));
        yield return ("process_idle_timeout", Q(ScenarioUnits.FormatDuration(p.ProcessIdleTimeout)));
        yield return ("max_requests", p.MaxRequests.ToString(Inv));
        yield return ("request_terminate_timeout", Timeout(p.RequestTerminateTimeout));
        yield return ("request_slowlog_timeout", Timeout(p.RequestSlowlogTimeout));
        yield return ("listen_backlog", p.ListenBacklog.ToString(Inv));
        yield return ("process_control_timeout", Timeout(p.ProcessControlTimeout));
        yield return ("emergency_restart_threshold", p.EmergencyRestartThreshold.ToString(Inv));
        yield return ("emergency_restart_interval", Timeout(p.EmergencyRestartInterval));
        yield return ("memory_limit", Q(ScenarioUnits.FormatMemoryLimit(p.MemoryLimitBytes)));
        if (p.Pools > 1)
        {
            yield return ("pools", p.Pools.ToString(Inv));
            yield return ("pools_step", p.PoolsStep.ToString(Inv));
        }
    }

    private static string Dist(Distribution d, bool size)
    {
        string F(double v) => TomlText.Quote(size ? ScenarioUnits.FormatSizeKb(v) : ScenarioUnits.FormatDurationMs(v));
        return d.Kind switch
        {
            DistributionKind.Uniform => $"{{ dist = \"uniform\", min = {F(d.A)}, max = {F(d.B)} }}",
            DistributionKind.Normal => $"{{ dist = \"normal\", mean = {F(d.A)}, stddev = {F(d.B)} }}",
            DistributionKind.Exponential => $"{{ dist = \"exponential\", mean = {F(d.A)} }}",
            DistributionKind.LogNormal => $"{{ dist = \"lognormal\", mean = {F(d.A)}, stddev = {F(d.B)} }}",
            DistributionKind.Choice => $"{{ dist = \"choice\", values = [{string.Join(", ", d.Values.Select(F))}], weights = [{string.Join(", ", d.Weights.Select(ScenarioUnits.FormatNumber))}] }}",
            _ => F(d.A),
        };
    }
}
