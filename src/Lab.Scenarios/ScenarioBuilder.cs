using System.Globalization;
using Lab.Core.Paths;
using Lab.Core.Records;
using Lab.Core.ProcessManager;
using Lab.Core.Scenarios;
using Lab.Scenarios.Document;
using Lab.Scenarios.PoolFiles;

namespace Lab.Scenarios;

/// <summary>
/// The document (file values with overrides written in) → a validated Scenario. Every check
/// happens here, before the caller creates anything; the first problem found is thrown as a
/// <see cref="ScenarioException"/>. Defaults are applied and made explicit (start_servers,
/// duration), so the scenario written back by <see cref="ScenarioWriter"/> parses to itself.
/// </summary>
/// <param name="checkFiles">Check that php.root and the scripts the php-fpm engine would run exist (a scenario about to run; not one read back from a results folder).</param>
/// <param name="notice">Receives what the user should know but is no error (pool.from's directives left out).</param>
internal sealed class ScenarioBuilder(DocTable root, string name, bool checkFiles = false, Action<string>? notice = null)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The scripts requests ask for, with the value that named them (null: the default), for the file checks.</summary>
    private readonly List<(string Script, DocValue? Value, string Path)> _scripts = [];

    public Scenario Build()
    {
        CheckNames(root, "", "");
        string title = Opt(root, "title", "", Values.Text)?.Trim() is { Length: > 0 } t ? t : name;
        string description = Opt(root, "description", "", Values.Text)?.Trim() ?? "";
        var engine = Opt(root, "engine", "", (v, p) => Values.Choice(v, p, ScenarioSchema.Engines)) switch
        {
            "sim" => EngineKind.Sim,
            "php-fpm" => EngineKind.PhpFpm,
            _ => EngineKind.Dotnet,
        };
        var front = Opt(root, "front", "", (v, p) => Values.Choice(v, p, ScenarioSchema.Fronts)) == "nginx" ? FrontKind.Nginx : FrontKind.FastCgi;
        const string seedExpected = "must be an integer from 0 to 9223372036854775807";
        ulong seed = (ulong)(Opt(root, "seed", "", (v, p) => (long?)(Values.Integer(v, p, seedExpected) is long n && n >= 0
            ? n : throw Errors.Value(v, p, seedExpected))) ?? 1L);
        var sampleInterval = Opt(root, "sample_interval", "", (v, p) => (TimeSpan?)Positive(v, p, Values.Duration(v, p), TimeSpan.FromMilliseconds(1), "at least 1ms"))
            ?? TimeSpan.FromSeconds(1);
        var pssInterval = Opt(root, "pss_interval", "", (v, p) => (TimeSpan?)Positive(v, p, Values.Duration(v, p), TimeSpan.FromMilliseconds(1), "at least 1ms"))
            ?? TimeSpan.FromSeconds(1);
        var logLevel = Opt(root, "log_level", "", (v, p) => Values.Choice(v, p, ScenarioSchema.LogLevels)) switch
        {
            "debug" => FpmLogLevel.Debug,
            "warning" => FpmLogLevel.Warning,
            "error" => FpmLogLevel.Error,
            "alert" => FpmLogLevel.Alert,
            _ => FpmLogLevel.Notice,
        };

        RecordsMode? records = Opt(root, "records", "", (v, p) => Values.Choice(v, p, ScenarioSchema.RecordsModes)) switch
        {
            "summary" => RecordsMode.Summary,
            "all" => RecordsMode.All,
            _ => null,
        };

        var poolTable = Table(root, "pool", "pool");
        if (poolTable is not null) CheckPoolNames(poolTable, "pool");
        var pool = poolTable?["from"] is { } from
            ? BuildPoolFrom(poolTable, from)
            : BuildPool(poolTable, null, "pool");

        var request = BuildRequest(Table(root, "request", "request"));
        var load = BuildLoad(Table(root, "load", "load"));
        var php = BuildPhp(Table(root, "php", "php"));
        if (checkFiles) CheckFiles(php, engine);

        TimeSpan duration;
        if (root["duration"] is { } durationValue)
            duration = Positive(durationValue, "duration", Values.Duration(durationValue, "duration"), TimeSpan.FromTicks(1), "longer than 0s");
        else if (load.Phases.Count > 0)
            duration = load.TotalDuration;
        else
            throw Errors.At(root.Origin,
                "the scenario has no load phases and no duration: add [[load.phases]] (e.g. phase = \"inject\", rate = 2, during = \"60s\") or set duration = \"60s\" for a run without load");

        var actions = BuildActions(poolTable, pool, duration);
        var recycleTable = Table(root, "recycle", "recycle");
        var recycle = BuildRecycle(recycleTable);
        if (engine == EngineKind.PhpFpm && recycle.Any)
            throw Errors.At(Locate(recycleTable!.Origin, recycleTable.Entries.Select(e => e.Value).ToArray()),
                $"[recycle] {Errors.List(recycleTable.Entries.Select(e => e.Key))}: php-fpm has no such rule (its only recycling is [pool] max_requests), so engine = \"php-fpm\" cannot run it; "
                + "run the scenario with engine=sim or engine=dotnet, or remove [recycle]");

        if (pool.Pools > 1) CheckPools(pool, poolTable, engine, actions);

        return new Scenario
        {
            Name = name,
            Title = title,
            Description = description,
            Engine = engine,
            Front = front,
            Seed = seed,
            Duration = duration,
            SampleInterval = sampleInterval,
            PssInterval = pssInterval,
            LogLevel = logLevel,
            Pool = pool,
            Request = request,
            Load = load,
            Actions = actions,
            Recycle = recycle,
            Php = php,
            Memory = BuildMemory(Table(root, "memory", "memory")),
            Guard = BuildGuard(Table(root, "guard", "guard")),
            RequestRecords = records,
        };
    }

    // ---- [pool] and a reload's set ------------------------------------------------------

    /// <summary>Several pools (pool.pools): what the simulator models of them, refused clearly otherwise.</summary>
    private static void CheckPools(PoolSettings pool, DocTable? poolTable, EngineKind engine, IReadOnlyList<ScenarioAction> actions)
    {
        var pools = poolTable?["pools"];
        var at = Locate(poolTable?.Origin ?? Origin.CommandLine, pools);
        string what = $"pool.pools = {pool.Pools}";
        if (engine != EngineKind.Sim)
            throw Errors.At(at, $"{what}: several pools behind one upstream run on the simulator only; run with engine=sim, or pools = 1 on engine {(engine == EngineKind.PhpFpm ? "php-fpm" : "dotnet")}");
        if (pool.Pm != ProcessManagerStyle.Static)
            throw Errors.At(Locate(at, pools, poolTable?["pm"]), $"{what}: several pools are modelled with pm = \"static\" only (each gets max_children / pools children); set pm = \"static\" or pools = 1");
        if (pool.Pools > pool.MaxChildren)
            throw Errors.At(Locate(at, pools, poolTable?["max_children"]), $"{what}: each pool needs a child, and max_children is {pool.MaxChildren}; raise max_children or lower pools");
        if (actions.Count > 0)
            throw Errors.At(at, $"{what}: several pools run without [[actions]] (a reload or a killed child would have to name its pool); remove the actions or set pools = 1");
    }

    private static void CheckPoolNames(DocTable table, string path)
    {
        // pm.max_children = 5 inside [pool] makes pm a table: php-fpm's prefix is left out here.
        if (table["pm"] is DocTable { Inline: false } pm && pm.Entries.Count > 0)
        {
            var (key, value) = pm.Entries[0];
            throw Errors.At(value.Origin, $"{path}: pm.{key}: in [pool], php-fpm's \"pm.\" prefix is left out: write {key} = {value.Display} (and pm = \"static\" | \"dynamic\" | \"ondemand\" for pm itself)");
        }
        CheckNames(table, "pool", path);
        if (path != "pool" && table["from"] is { } from)
            throw Errors.At(from.Origin, $"{path}.from: a reload's set changes [pool] keys one by one; pool.from belongs in [pool]");
    }

    /// <summary>
    /// [pool] with pool.from: the pool file's directives written in where [pool] does not set the
    /// key itself, then the pool built as usual. Every wrong value of the pool file is reported,
    /// each at its line, in one message.
    /// </summary>
    private PoolSettings BuildPoolFrom(DocTable poolTable, DocValue from)
    {
        string file = Values.FilePath(from, "pool.from");
        if (Directory.Exists(file)) throw Errors.Value(from, "pool.from", "is a folder; give a php-fpm pool file, e.g. /etc/php/8.2/fpm/pool.d/www.conf");
        if (!File.Exists(file)) throw Errors.Value(from, "pool.from", $"no such file ({file})");
        var applied = PoolFile.Apply(poolTable, from, file, notice).ToList();
        var problems = new List<ScenarioException>();
        while (true)
        {
            try
            {
                var pool = BuildPool(poolTable, null, "pool");
                if (problems.Count == 0) return pool;
                break;
            }
            catch (ScenarioException e) when (applied.FirstOrDefault(a => a.Entry.File == e.File && a.Entry.Line == e.Line) is { } bad)
            {
                // a value of the pool file: note it, take it out, and look for the next one
                problems.Add(e);
                poolTable.Remove(bad.Key);
                applied.Remove(bad);
            }
            catch (ScenarioException e) when (problems.Count > 0)
            {
                problems.Add(e);
                break;
            }
        }
        if (problems.Count == 1) throw problems[0];
        string lines = string.Join("\n", problems.Select(p => "  " + p.Message));
        throw new ScenarioException($"pool.from {file}: {problems.Count} of its directives are wrong:\n{lines}", problems[0].File, problems[0].Line);
    }

    /// <summary>The pool from [pool], overlaid by a reload's set when there is one; validated as a whole, as php-fpm does.</summary>
    private static PoolSettings BuildPool(DocTable? pool, DocTable? set, string setPath)
    {
        var defaults = new PoolSettings();

        DocValue? Get(string key, out string path)
        {
            if (set?[key] is { } s) { path = $"{setPath}.{key}"; return s; }
            path = $"pool.{key}";
            return pool?[key];
        }
        T Read<T>(string key, T fallback, Func<DocValue, string, T> read) => Get(key, out var path) is { } v ? read(v, path) : fallback;

        const string positive = "must be a positive integer";
        var poolName = Read("name", defaults.Name, (v, p) =>
        {
            string s = Values.Text(v, p).Trim();
            return s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.')
                ? s : throw Errors.Value(v, p, "must be a pool name: letters, digits, '_', '-' or '.'");
        });
        var pm = Read("pm", "dynamic", (v, p) => Values.Choice(v, p, ScenarioSchema.PmStyles)) switch
        {
            "static" => ProcessManagerStyle.Static,
            "ondemand" => ProcessManagerStyle.Ondemand,
            _ => ProcessManagerStyle.Dynamic,
        };
        int maxChildren = Read("max_children", defaults.MaxChildren, (v, p) => Values.Int(v, p, 1, positive + " (pm.max_children must be a positive value)"));
        var startServersValue = Get("start_servers", out var startPath);
        int? startServers = startServersValue is null ? null : Values.Int(startServersValue, startPath, 1, positive);
        var minSpareValue = Get("min_spare_servers", out var minPath);
        int minSpare = minSpareValue is null ? defaults.MinSpareServers : Values.Int(minSpareValue, minPath, 1, positive);
        var maxSpareValue = Get("max_spare_servers", out var maxPath);
        int maxSpare = maxSpareValue is null ? defaults.MaxSpareServers : Values.Int(maxSpareValue, maxPath, 1, positive);
        int maxSpawnRate = Read("max_spawn_rate", defaults.MaxSpawnRate, (v, p) => Values.Int(v, p, 1, positive));
        var idle = Read("process_idle_timeout", defaults.ProcessIdleTimeout,
            (v, p) => Positive(v, p, Values.Duration(v, p), TimeSpan.FromTicks(1), "longer than 0s (pm.process_idle_timeout must be greater than 0s)"));
        int maxRequests = Read("max_requests", defaults.MaxRequests, (v, p) => Values.Int(v, p, 0, "must be 0 (unlimited) or a positive integer"));
        var terminateValue = Get("request_terminate_timeout", out var terminatePath);
        var terminate = terminateValue is null ? defaults.RequestTerminateTimeout : Values.Timeout(terminateValue, terminatePath);
        var slowlogValue = Get("request_slowlog_timeout", out var slowlogPath);
        var slowlog = slowlogValue is null ? defaults.RequestSlowlogTimeout : Values.Timeout(slowlogValue, slowlogPath);
        int backlog = Read("listen_backlog", defaults.ListenBacklog, (v, p) => Values.Int(v, p, -1, "must be -1 (the kernel's somaxconn) or an integer ≥ 0"));
        var processControlTimeout = Read("process_control_timeout", defaults.ProcessControlTimeout, Values.Timeout);
        int emergencyThreshold = Read("emergency_restart_threshold", defaults.EmergencyRestartThreshold, (v, p) => Values.Int(v, p, 0, "must be 0 (off) or a positive integer"));
        var emergencyInterval = Read("emergency_restart_interval", defaults.EmergencyRestartInterval, Values.Timeout);
        long memoryLimit = Read("memory_limit", defaults.MemoryLimitBytes, Values.MemoryLimit);
        if (set is not null && (set["pools"] ?? set["pools_step"]) is { } poolsInSet)
            throw Errors.At(poolsInSet.Origin, $"{setPath}: pools and pools_step cannot change on a reload; set them in [pool]");
        int pools = Read("pools", defaults.Pools, (v, p) => Values.Int(v, p, 1, positive));
        int poolsStep = Read("pools_step", defaults.PoolsStep, (v, p) => Values.Int(v, p, 0, "must be 0 or a positive integer"));

        // Checks across keys, php-fpm's (fpm_conf.c) in its words. Located at the command line
        // when an override took part, else at the first key involved.
        string prefix = set is null ? "" : $"{setPath} (the pool after the reload): ";
        var poolOrigin = (set ?? pool)?.Origin ?? Origin.CommandLine;
        if (pm == ProcessManagerStyle.Dynamic)
        {
            var maxChildrenValue = Get("max_children", out _);
            if (minSpare > maxSpare)
                throw Errors.At(Locate(poolOrigin, minSpareValue, maxSpareValue),
                    $"{prefix}pm.min_spare_servers({minSpare}) must not be greater than pm.max_spare_servers({maxSpare})");
            if (maxSpare > maxChildren)
                throw Errors.At(Locate(poolOrigin, maxSpareValue, maxChildrenValue),
                    $"{prefix}pm.max_spare_servers({maxSpare}) must not be greater than pm.max_children({maxChildren})");
            if (startServers is int s && (s < minSpare || s > maxSpare))
                throw Errors.At(Locate(poolOrigin, startServersValue, minSpareValue, maxSpareValue),
                    $"{prefix}pm.start_servers({s}) must not be less than pm.min_spare_servers({minSpare}) and not greater than pm.max_spare_servers({maxSpare})");
        }
        // php-fpm's own refusal, in whole seconds (Lab.Core's RequestTimeouts)
        if (RequestTimeouts.Refusal(new PoolSettings { Name = poolName, RequestSlowlogTimeout = slowlog, RequestTerminateTimeout = terminate }) is { } refusal)
            throw Errors.At(Locate(poolOrigin, slowlogValue, terminateValue), prefix + refusal.Message);

        return new PoolSettings
        {
            Name = poolName,
            Pm = pm,
            MaxChildren = maxChildren,
            // left unset when not given, as php-fpm's config (it logs "pm.start_servers is not set");
            // the written scenario names the value it resolves to
            StartServersSetting = startServers,
            MinSpareServers = minSpare,
            MaxSpareServers = maxSpare,
            MaxSpawnRate = maxSpawnRate,
            ProcessIdleTimeout = idle,
            MaxRequests = maxRequests,
            RequestTerminateTimeout = terminate,
            RequestSlowlogTimeout = slowlog,
            ListenBacklog = backlog,
            ProcessControlTimeout = processControlTimeout,
            EmergencyRestartThreshold = emergencyThreshold,
            EmergencyRestartInterval = emergencyInterval,
            MemoryLimitBytes = memoryLimit,
            Pools = pools,
            PoolsStep = poolsStep,
        };
    }

    // ---- [request] ----------------------------------------------------------------------

    private RequestProfile BuildRequest(DocTable? table)
    {
        var defaults = new RequestProfile();
        if (table is null)
        {
            _scripts.Add((defaults.Script, null, "request.script"));
            return defaults;
        }
        CheckNames(table, "request", "request");
        var profile = new RequestProfile
        {
            Script = Opt(table, "script", "request", Script) ?? defaults.Script,
            Query = Opt(table, "query", "request", Query) ?? defaults.Query,
            LeakKb = Opt(table, "leak", "request", (v, p) => Values.Distribution(v, p, size: true)) ?? defaults.LeakKb,
            TransientKb = Opt(table, "transient", "request", (v, p) => Values.Distribution(v, p, size: true)) ?? defaults.TransientKb,
            WorkMs = Opt(table, "work", "request", (v, p) => Values.Distribution(v, p, size: false)) ?? defaults.WorkMs,
            WaitMs = Opt(table, "wait", "request", (v, p) => Values.Distribution(v, p, size: false)) ?? defaults.WaitMs,
            CodeKb = Opt(table, "code", "request", (v, p) => (long?)Values.SizeKbWhole(v, p)) ?? defaults.CodeKb,
        };
        var kinds = BuildKinds(table, profile);
        if (kinds.Count == 0) _scripts.Add((profile.Script, table["script"], "request.script"));
        return profile with { Kinds = kinds };
    }

    /// <summary>
    /// [[request.kinds]]: each kind takes [request]'s values for what it does not set; its name
    /// must be unique; a weight or a share, not both; the shares add up to at most 100 % (exactly,
    /// when every kind has one).
    /// </summary>
    private List<RequestKind> BuildKinds(DocTable request, RequestProfile profile)
    {
        var kinds = new List<RequestKind>();
        var origins = new List<DocTable>();
        foreach (var (t, i) in Sections(request, "kinds", "request.kinds"))
        {
            string path = $"request.kinds.{i}";
            CheckNames(t, ScenarioSchema.Kinds, path);
            if (t["name"] is not { } nameValue)
                throw Errors.At(t.Origin, $"{path} has no name: add name = \"...\" (e.g. name = \"export\"), the kind's name in requests.csv and the reports");
            string kindName = Values.Text(nameValue, $"{path}.name").Trim();
            if (kindName.Length == 0 || !kindName.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
                throw Errors.Value(nameValue, $"{path}.name", "must be a name of letters, digits, '_', '-' or '.' (it is a column value of requests.csv)");
            if (kinds.FindIndex(k => k.Name == kindName) is int same and >= 0)
                throw Errors.Value(nameValue, $"{path}.name", $"request.kinds.{same + 1} has that name already; each kind needs its own");
            if (t["weight"] is { } w && t["share"] is { } sh)
                throw Errors.At(Locate(t.Origin, w, sh), $"{path}: give a weight or a share, not both");
            const string weightExpected = "must be a number larger than 0 (relative to the other kinds' weights)";
            double weight = Opt(t, "weight", path, (v, p) => (double?)(Values.Number(v, p, weightExpected) is double x && x > 0 ? x : throw Errors.Value(v, p, weightExpected))) ?? 1;
            double? share = Opt(t, "share", path, (v, p) => (double?)Values.Share(v, p));
            var kind = new RequestKind
            {
                Name = kindName,
                Weight = share is null ? weight : 1,
                Share = share,
                Script = Opt(t, "script", path, Script) ?? profile.Script,
                Query = Opt(t, "query", path, Query) ?? profile.Query,
                LeakKb = Opt(t, "leak", path, (v, p) => Values.Distribution(v, p, size: true)) ?? profile.LeakKb,
                TransientKb = Opt(t, "transient", path, (v, p) => Values.Distribution(v, p, size: true)) ?? profile.TransientKb,
                WorkMs = Opt(t, "work", path, (v, p) => Values.Distribution(v, p, size: false)) ?? profile.WorkMs,
                WaitMs = Opt(t, "wait", path, (v, p) => Values.Distribution(v, p, size: false)) ?? profile.WaitMs,
            };
            kinds.Add(kind);
            origins.Add(t);
            _scripts.Add((kind.Script, t["script"] ?? request["script"], t["script"] is null ? "request.script" : $"{path}.script"));
        }
        if (kinds.Count == 0) return kinds;

        double shares = 0;
        for (int i = 0; i < kinds.Count; i++)
        {
            if (kinds[i].Share is not double s) continue;
            shares += s;
            if (shares > 1 + 1e-9)
                throw Errors.Value(origins[i]["share"]!, $"request.kinds.{i + 1}.share",
                    $"the shares add up to {Pct(shares)} with this one: together they must stay within 100%");
        }
        bool allShares = kinds.All(k => k.Share is not null);
        if (allShares && Math.Abs(shares - 1) > 1e-9)
            throw Errors.At(origins[0].Origin,
                $"request.kinds: every kind has a share and they add up to {Pct(shares)}; make them add up to 100%, or give one kind a weight instead (it takes the rest)");
        if (!allShares && shares >= 1 - 1e-9)
        {
            int i = kinds.FindIndex(k => k.Share is null);
            throw Errors.At(origins[i].Origin,
                $"request.kinds.{i + 1} ({kinds[i].Name}) would get no request: the shares of the other kinds already add up to 100%");
        }
        return kinds;
    }

    private static string Pct(double fraction) => ScenarioUnits.FormatNumber(Math.Round(fraction * 100, 6)) + "%";

    private static string Script(DocValue v, string p)
    {
        string s = Values.Text(v, p).Trim();
        return s.StartsWith('/') && s.Length > 1 && s.All(c => c > ' ' && c < 127 && c is not '?' and not '#') && !s.Split('/').Contains("..")
            ? s : throw Errors.Value(v, p, "must be a path starting with '/', e.g. \"/leak.php\" (no spaces, '?', '#' or '..')");
    }

    private static string Query(DocValue v, string p)
    {
        string s = Values.Text(v, p).Trim();
        return s.All(c => c > ' ' && c < 127 && c is not '#') && !s.StartsWith('?')
            ? s : throw Errors.Value(v, p, "must be a query string without the '?' and without spaces or '#', e.g. \"format=csv&rows=5000\" (percent-encode other characters)");
    }

    // ---- [php] --------------------------------------------------------------------------

    private DocValue? _phpRoot;

    private PhpSettings BuildPhp(DocTable? table)
    {
        if (table is null) return new PhpSettings();
        CheckNames(table, "php", "php");
        _phpRoot = table["root"];
        string? rootPath = _phpRoot is null ? null : Values.FilePath(_phpRoot, "php.root");
        var ini = new List<KeyValuePair<string, string>>();
        if (table["ini"] is { } iniValue)
        {
            if (iniValue is not DocTable iniTable)
                throw Errors.Value(iniValue, "php.ini", "must be an inline table of php.ini directives, e.g. { \"opcache.enable\" = 1, \"opcache.memory_consumption\" = \"256M\" }");
            FlattenIni(iniTable, "", ini);
        }
        var extensions = Opt(table, "extensions", "php", (v, p) =>
        {
            const string expected = "must be a list of the distribution's PHP packages or modules, e.g. [\"php8.2-redis\", \"opcache\"]";
            var list = Values.TextList(v, p, expected);
            return list.All(e => e.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '-' or '_' or '+'))
                ? list : throw Errors.Value(v, p, expected + " (lower-case letters, digits, '.', '-', '_', '+')");
        }) ?? [];
        bool opcache = Opt(table, "opcache", "php", (v, p) => (bool?)Values.Bool(v, p)) ?? true;
        return new PhpSettings { Root = rootPath, Ini = ini, Extensions = extensions, Opcache = opcache };
    }

    /// <summary>php.ini directives: { "opcache.enable" = 1 } or { opcache = { enable = 1 } } (TOML's dotted keys) alike.</summary>
    private static void FlattenIni(DocTable table, string prefix, List<KeyValuePair<string, string>> into)
    {
        foreach (var (key, value) in table.Entries)
        {
            string name = prefix + key;
            string path = $"php.ini.{name}";
            if (value is DocTable sub) { FlattenIni(sub, name + ".", into); continue; }
            if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.'))
                throw Errors.At(value.Origin, $"{path}: \"{name}\" is not a php.ini directive name (letters, digits, '_' and '.')");
            if (name == "memory_limit")
                throw Errors.At(value.Origin, $"{path}: memory_limit is the pool's: set pool.memory_limit (the lab writes it into php.ini and the simulator models it)");
            if (name is "extension" or "zend_extension")
                throw Errors.At(value.Origin, $"{path}: load extensions with php.extensions = [\"...\"] (the distribution's package or module names)");
            string text = value switch
            {
                DocScalar { Value: string s, IsDate: false } => s,
                DocScalar { Value: long l } => l.ToString(Inv),
                DocScalar { Value: double d } => d.ToString("R", Inv),
                DocScalar { Value: bool b } => b ? "1" : "0",
                _ => throw Errors.Value(value, path, "must be a string, a number or true/false"),
            };
            if (text.Any(c => c is '\n' or '\r' or '\0'))
                throw Errors.Value(value, path, "must be one line");
            into.RemoveAll(kv => kv.Key == name);
            into.Add(new(name, text));
        }
    }

    /// <summary>
    /// Before a run: php.root exists, and every script a request asks for is in the docroot the
    /// php-fpm engine serves (php.root, else the lab's lab/php). The simulator and the dotnet
    /// engine run any script name, so their scenarios are only checked when php.root is given.
    /// </summary>
    private void CheckFiles(PhpSettings php, EngineKind engine)
    {
        if (php.Root is not null)
        {
            if (File.Exists(php.Root)) throw Errors.Value(_phpRoot!, "php.root", "is a file; give the folder holding your scripts (the document root)");
            if (!Directory.Exists(php.Root)) throw Errors.Value(_phpRoot!, "php.root", $"no such folder ({php.Root})");
        }
        else if (engine != EngineKind.PhpFpm) return;
        string docRoot = php.Root ?? Path.Combine(LabPaths.LabDir, "php");
        string rootText = php.Root ?? $"the lab's scripts ({docRoot})";
        foreach (var (script, value, path) in _scripts.DistinctBy(s => s.Script))
        {
            if (File.Exists(docRoot + script)) continue;
            var there = Directory.Exists(docRoot)
                ? Directory.EnumerateFiles(docRoot, "*.php", SearchOption.AllDirectories).Select(f => "/" + Path.GetRelativePath(docRoot, f)).Order(StringComparer.Ordinal).Take(12).ToList()
                : [];
            string list = there.Count == 0 ? "it holds no .php file" : $"its .php files: {Errors.List(there)}";
            string problem = $"there is no {script} in {rootText}; {list}";
            if (value is not null) throw Errors.Value(value, path, problem);
            throw Errors.At(_phpRoot?.Origin ?? root.Origin, $"{path} = \"{script}\" (the default): {problem}; set request.script");
        }
    }

    // ---- [load] and [[load.phases]] -----------------------------------------------------

    private static LoadPlan BuildLoad(DocTable? table)
    {
        var defaults = new LoadPlan();
        if (table is null) return defaults;
        CheckNames(table, "load", "load");
        var arrivals = Opt(table, "arrivals", "load", (v, p) => Values.Choice(v, p, ScenarioSchema.ArrivalProcesses)) == "poisson"
            ? ArrivalProcess.Poisson : ArrivalProcess.Even;
        long? iterations = Opt(table, "iterations", "load", (v, p) => (long?)(Values.Integer(v, p, "must be a positive integer (requests)") is long n && n >= 1
            ? n : throw Errors.Value(v, p, "must be a positive integer (requests)")));
        int maxInFlight = Opt(table, "max_in_flight", "load", (v, p) => (int?)Values.Int(v, p, 1, "must be a positive integer")) ?? defaults.MaxInFlight;
        var timeout = Opt(table, "timeout", "load", (v, p) => (TimeSpan?)Positive(v, p, Values.Duration(v, p), TimeSpan.FromTicks(1), "longer than 0s")) ?? defaults.Timeout;

        var phases = new List<LoadPhase>();
        foreach (var (item, i) in Sections(table, "phases", "load.phases"))
            phases.Add(BuildPhase(item, $"load.phases.{i}"));

        return new LoadPlan { Phases = phases, Arrivals = arrivals, Iterations = iterations, MaxInFlight = maxInFlight, Timeout = timeout };
    }

    private static LoadPhase BuildPhase(DocTable table, string path)
    {
        if (table["phase"] is not { } kindValue)
            throw Errors.At(table.Origin, $"{path} has no phase: add phase = one of {Errors.List(ScenarioSchema.PhaseKinds.Select(k => $"\"{k}\""))}");
        string kind = Values.Choice(kindValue, $"{path}.phase", ScenarioSchema.PhaseKinds);
        CheckNames(table, ScenarioSchema.Phases, path, kind);
        RequireKeys(table, ScenarioSchema.Phases, path, kind, "phase");

        const string rateExpected = "must be a number of requests per second, 0 or more (e.g. 2 or 0.5)";
        double Rate(string key) =>
            Values.Number(table[key]!, $"{path}.{key}", rateExpected) is double r && r >= 0 ? r : throw Errors.Value(table[key]!, $"{path}.{key}", rateExpected);

        var during = Positive(table["during"]!, $"{path}.during", Values.Duration(table["during"]!, $"{path}.during"), TimeSpan.FromTicks(1), "longer than 0s");
        var phase = new LoadPhase { Kind = LoadPhaseKind.Pause, During = during };
        switch (kind)
        {
            case "inject":
                return phase with { Kind = LoadPhaseKind.Inject, Rate = Rate("rate") };
            case "ramping-inject":
                return phase with { Kind = LoadPhaseKind.RampingInject, Rate = Rate("rate") };
            case "inject-random":
            {
                double min = Rate("min_rate"), max = Rate("max_rate");
                if (min > max)
                    throw Errors.At(Locate(table.Origin, table["min_rate"], table["max_rate"]), $"{path}: min_rate ({ScenarioUnits.FormatNumber(min)}) must not be greater than max_rate ({ScenarioUnits.FormatNumber(max)})");
                var interval = table["interval"] is { } iv
                    ? Positive(iv, $"{path}.interval", Values.Duration(iv, $"{path}.interval"), TimeSpan.FromMilliseconds(1), "at least 1ms")
                    : phase.RandomInterval;
                return phase with { Kind = LoadPhaseKind.InjectRandom, MinRate = min, MaxRate = max, RandomInterval = interval };
            }
            case "keep-constant":
            case "ramping-constant":
            {
                bool keep = kind == "keep-constant";
                string copiesExpected = keep ? "must be a positive integer (users)" : "must be an integer, 0 or more (users)";
                int copies = Values.Int(table["copies"]!, $"{path}.copies", keep ? 1 : 0, copiesExpected);
                var think = table["think"] is { } th ? Values.Duration(th, $"{path}.think") : TimeSpan.Zero;
                return phase with { Kind = keep ? LoadPhaseKind.KeepConstant : LoadPhaseKind.RampingConstant, Copies = copies, Think = think };
            }
            default:
                return phase;
        }
    }

    // ---- [[actions]] --------------------------------------------------------------------

    private IReadOnlyList<ScenarioAction> BuildActions(DocTable? poolTable, PoolSettings pool, TimeSpan runLength)
    {
        var actions = new List<ScenarioAction>();
        foreach (var (table, i) in Sections(root, "actions", "actions"))
        {
            string path = $"actions.{i}";
            if (table["action"] is not { } kindValue)
                throw Errors.At(table.Origin, $"{path} has no action: add action = one of {Errors.List(ScenarioSchema.ActionKinds.Select(k => $"\"{k}\""))}");
            string kind = Values.Choice(kindValue, $"{path}.action", ScenarioSchema.ActionKinds);
            CheckNames(table, ScenarioSchema.Actions, path, kind);
            RequireKeys(table, ScenarioSchema.Actions, path, kind, "action");

            var atValue = table["at"]!;
            var at = Values.Duration(atValue, $"{path}.at");
            if (at >= runLength)
                throw Errors.Value(atValue, $"{path}.at",
                    $"is at or after the end of the run ({ScenarioUnits.FormatDuration(runLength)}); an action must happen while the run lasts");

            var action = new ScenarioAction { At = at, Kind = ActionKind.Restart };
            switch (kind)
            {
                case "reload":
                {
                    PoolSettings? newPool = null;
                    if (table["set"] is { } setValue)
                    {
                        if (setValue is not DocTable set)
                            throw Errors.Value(setValue, $"{path}.set", "must be an inline table of [pool] keys, e.g. { max_requests = 5 }");
                        CheckPoolNames(set, $"{path}.set");
                        newPool = BuildPool(poolTable, set, $"{path}.set");
                    }
                    action = action with { Kind = ActionKind.Reload, NewPool = newPool };
                    break;
                }
                case "kill-child":
                {
                    var target = table["target"] is { } tv
                        ? Values.Choice(tv, $"{path}.target", ScenarioSchema.ChildTargets) switch
                        {
                            "newest" => ChildSelector.Newest,
                            "busy" => ChildSelector.Busy,
                            "idle" => ChildSelector.Idle,
                            "largest" => ChildSelector.Largest,
                            _ => ChildSelector.Oldest,
                        }
                        : ChildSelector.Oldest;
                    int signal = table["signal"] is { } sv ? Values.Signal(sv, $"{path}.signal") : 9;
                    action = action with { Kind = ActionKind.KillChild, Target = target, Signal = signal };
                    break;
                }
                case "stop":
                {
                    int signal = 3;
                    if (table["signal"] is { } sv)
                    {
                        signal = Values.Signal(sv, $"{path}.signal");
                        if (signal is not (2 or 3 or 15))
                            throw Errors.Value(sv, $"{path}.signal", $"must be a signal that stops php-fpm's master: {Errors.List(ScenarioSchema.StopSignals)} (QUIT: graceful, \"Finishing ...\"; TERM, INT: \"Terminating ...\")");
                    }
                    action = action with { Kind = ActionKind.Stop, Signal = signal };
                    break;
                }
            }
            actions.Add(action);
            if (table["every"] is { } everyValue)
            {
                var every = Values.Duration(everyValue, $"{path}.every");
                if (every < TimeSpan.FromSeconds(1))
                    throw Errors.Value(everyValue, $"{path}.every", "must be at least 1s (a repeated action, as a cron job runs it)");
                if ((runLength - at) / every > 10_000)
                    throw Errors.Value(everyValue, $"{path}.every", $"would repeat the action more than 10,000 times in the run ({ScenarioUnits.FormatDuration(runLength)})");
                for (var t = at + every; t < runLength; t += every) actions.Add(action with { At = t });
            }
        }
        // Chronological for the engines; OrderBy is stable, so same-time actions keep file order.
        return actions.OrderBy(a => a.At).ToList();
    }

    // ---- [memory] and [guard] -----------------------------------------------------------

    private static MemoryModel BuildMemory(DocTable? table)
    {
        var d = new MemoryModel();
        if (table is null) return d;
        CheckNames(table, "memory", "memory");
        long Kb(string key, long fallback, bool positive = false) => Opt(table, key, "memory", (v, p) =>
        {
            long kb = Values.SizeKbWhole(v, p);
            return (long?)(positive && kb <= 0 ? throw Errors.Value(v, p, "must be at least 1K") : kb);
        }) ?? fallback;
        double Fraction(string key, double fallback) => Opt(table, key, "memory", (v, p) =>
            (double?)(Values.Number(v, p, "must be a number from 0 to 1") is double f && f is >= 0 and <= 1 ? f : throw Errors.Value(v, p, "must be a number from 0 to 1"))) ?? fallback;

        return new MemoryModel
        {
            ChildBaselineKb = Kb("child_baseline", d.ChildBaselineKb),
            ChildVszKb = Kb("child_vsz", d.ChildVszKb),
            SharedKb = Kb("shared", d.SharedKb),
            SharedCodeKb = Kb("shared_code", d.SharedCodeKb),
            SharedOthers = Opt(table, "shared_others", "memory", (v, p) =>
                (double?)(Values.Number(v, p, "must be a number, 0 or more") is double f && f >= 0 ? f : throw Errors.Value(v, p, "must be a number, 0 or more"))) ?? d.SharedOthers,
            MasterPssKb = Opt(table, "master_pss", "memory", (v, p) => (long?)Values.SizeKbWhole(v, p)),
            MasterRssKb = Kb("master_rss", d.MasterRssKb),
            MasterVszKb = Kb("master_vsz", d.MasterVszKb),
            LeakScale = Opt(table, "leak_scale", "memory", (v, p) =>
                (double?)(Values.Number(v, p, "must be a number, 0 or more") is double f && f >= 0 ? f : throw Errors.Value(v, p, "must be a number, 0 or more"))) ?? d.LeakScale,
            PerRequestKb = Opt(table, "per_request", "memory", (v, p) => (double?)Values.SizeKb(v, p)) ?? d.PerRequestKb,
            RetainFraction = Fraction("retain_fraction", d.RetainFraction),
            RetainMaxKb = Kb("retain_max", d.RetainMaxKb),
            RetainShrink = Fraction("retain_shrink", d.RetainShrink),
            SpawnTime = Opt(table, "spawn_time", "memory", (v, p) => (TimeSpan?)Values.Duration(v, p)) ?? d.SpawnTime,
            ColdStart = Opt(table, "cold_start", "memory", (v, p) => (TimeSpan?)Values.Duration(v, p)) ?? d.ColdStart,
            AcceptWakeup = Opt(table, "accept_wakeup", "memory", (v, p) => (TimeSpan?)Values.Duration(v, p)) ?? d.AcceptWakeup,
            ExitTimeMs = Opt(table, "exit_time", "memory", (v, p) => Values.Distribution(v, p, size: false)) ?? d.ExitTimeMs,
            MasterStart = Opt(table, "master_start", "memory", (v, p) => (TimeSpan?)Values.Duration(v, p)) ?? d.MasterStart,
            StartSpread = Opt(table, "start_spread", "memory", (v, p) => (TimeSpan?)Values.Duration(v, p)) ?? d.StartSpread,
            HostMemKb = Kb("host_mem", d.HostMemKb, positive: true),
        };
    }

    // ---- [recycle] ----------------------------------------------------------------------

    private static RecycleSettings BuildRecycle(DocTable? table)
    {
        var d = new RecycleSettings();
        if (table is null) return d;
        CheckNames(table, "recycle", "recycle");
        const string count = "must be 0 (off) or a positive integer";
        long Bytes(string key) => Opt(table, key, "recycle", (v, p) => (long?)Values.SizeBytes(v, p)) ?? 0;
        return new RecycleSettings
        {
            Jitter = Opt(table, "jitter", "recycle", (v, p) => (int?)Values.Int(v, p, 0, count)) ?? 0,
            Delta = Opt(table, "delta", "recycle", (v, p) => (int?)Values.Int(v, p, 0, count)) ?? 0,
            MaxRssBytes = Bytes("max_rss"),
            MaxUssBytes = Bytes("max_uss"),
            KillRssBytes = Bytes("kill_rss"),
            PoolBudgetBytes = Bytes("pool_budget"),
            CheckInterval = Opt(table, "check_interval", "recycle", (v, p) =>
                (TimeSpan?)Positive(v, p, Values.Duration(v, p), TimeSpan.FromMilliseconds(1), "at least 1ms")) ?? d.CheckInterval,
            MinLifetime = Opt(table, "min_lifetime", "recycle", (v, p) => (TimeSpan?)Values.Duration(v, p)) ?? TimeSpan.Zero,
        };
    }

    private static GuardSettings BuildGuard(DocTable? table)
    {
        if (table is null) return new GuardSettings();
        CheckNames(table, "guard", "guard");
        return new GuardSettings
        {
            MaxRssBytes = Opt(table, "max_rss", "guard", (v, p) =>
                (long?)(Values.SizeBytes(v, p) is long b && b > 0 ? b : throw Errors.Value(v, p, "must be larger than 0"))),
            MinAvailableBytes = Opt(table, "min_available", "guard", (v, p) => (long?)Values.SizeBytes(v, p)),
        };
    }

    // ---- helpers ------------------------------------------------------------------------

    /// <summary>The value of an optional key, read by <paramref name="read"/>; null when absent.</summary>
    private static T? Opt<T>(DocTable table, string key, string tablePath, Func<DocValue, string, T> read) =>
        table[key] is { } v ? read(v, tablePath == "" ? key : $"{tablePath}.{key}") : default;

    private static TimeSpan Positive(DocValue v, string path, TimeSpan t, TimeSpan min, string expected) =>
        t >= min ? t : throw Errors.Value(v, path, "must be " + expected);

    /// <summary>A sub-table ([pool], ...) or null when absent.</summary>
    private static DocTable? Table(DocTable parent, string key, string path)
    {
        return parent[key] switch
        {
            null => null,
            DocTable t => t,
            var other => throw Errors.Value(other, path, $"must be a table: write [{path}] and its keys on the lines below"),
        };
    }

    /// <summary>The [[key]] sections of a table (or an array of inline tables), numbered from 1.</summary>
    private static IEnumerable<(DocTable Table, int Index)> Sections(DocTable parent, string key, string path)
    {
        if (parent[key] is not { } value) yield break;
        if (value is not DocArray array)
            throw Errors.At(value.Origin, $"{path} must be a list of tables: write [[{path}]] (double brackets) before each one");
        int i = 0;
        foreach (var item in array.Items)
        {
            i++;
            if (item is not DocTable t)
                throw Errors.Value(item, $"{path}.{i}", $"must be a table: write [[{path}]] (double brackets) and its keys on the lines below");
            yield return (t, i);
        }
    }

    /// <summary>
    /// Origin of a problem with several values (null: not given): the command line if one came
    /// from there, else the first given, else <paramref name="none"/>.
    /// </summary>
    private static Origin Locate(Origin none, params DocValue?[] values) =>
        values.FirstOrDefault(v => v is not null && v.Origin.IsCommandLine)?.Origin
        ?? values.FirstOrDefault(v => v is not null)?.Origin
        ?? none;

    /// <summary>Every key of the table is known (for this kind of phase or action, when given).</summary>
    internal static void CheckNames(DocTable table, string schemaTable, string path, string? kind = null)
    {
        var names = ScenarioSchema.NamesIn(schemaTable);
        foreach (var (key, value) in table.Entries)
        {
            var schemaKey = ScenarioSchema.KeysOf(schemaTable).FirstOrDefault(k => k.Leaf == key);
            if (names.Contains(key) && (kind is null || schemaKey is null || schemaKey.AppliesTo(kind))) continue;

            var valid = kind is null ? names : ScenarioSchema.KeysOf(schemaTable).Where(k => k.AppliesTo(kind)).Select(k => k.Leaf).ToList();
            string where = kind is null ? Errors.TableName(path) : $"{path} ({Errors.A(kind)} {(schemaTable == ScenarioSchema.Phases ? "phase" : "action")})";
            if (names.Contains(key))
                throw Errors.At(value.Origin, $"{path}.{key}: {key} does not apply to {Errors.A(kind!)} {(schemaTable == ScenarioSchema.Phases ? "phase" : "action")}; its keys: {Errors.List(valid)}");

            string hint = Suggest.DidYouMean(key, valid);
            if (hint == "")
            {
                var home = ScenarioSchema.Tables.FirstOrDefault(t => t != schemaTable && ScenarioSchema.NamesIn(t).Contains(key));
                if (home is not null)
                    hint = home switch
                    {
                        "load" when key == "phases" => " (phases belong in [load]: write [[load.phases]])",
                        ScenarioSchema.Phases => $" ({key} is a key of a load phase, in [[load.phases]])",
                        ScenarioSchema.Actions => $" ({key} is a key of an action, in [[actions]])",
                        "" => $" ({key} is a top-level key: write it above the first [table])",
                        _ => $" ({key} belongs in [{home}])",
                    };
            }
            throw Errors.At(value.Origin, $"unknown key \"{key}\" in {where}{hint}; keys of {where}: {Errors.List(valid)}");
        }
    }

    /// <summary>The keys this kind of phase or action must have.</summary>
    private static void RequireKeys(DocTable table, string schemaTable, string path, string kind, string kindKey)
    {
        foreach (var key in ScenarioSchema.KeysOf(schemaTable))
        {
            if (!key.RequiredFor.Contains(kind) || table.Contains(key.Leaf)) continue;
            string what = key.Type switch
            {
                SettingType.Duration => " (a duration, e.g. \"30s\")",
                SettingType.Number => " (requests per second, e.g. 2)",
                SettingType.Integer => " (a number of users, e.g. 10)",
                _ => "",
            };
            throw Errors.At(table.Origin, $"{path} ({kindKey} = \"{kind}\") has no {key.Leaf}: {Errors.A(kind)} {(schemaTable == ScenarioSchema.Phases ? "phase" : "action")} needs {key.Leaf}{what}");
        }
    }
}
