using System.Text;
using Lab.Core.Engines;
using Lab.Core.Records;
using Lab.Results.Formats;
using Lab.Results.Reading;

namespace Lab.Results;

/// <summary>
/// A results folder read back into memory (for reports, compare, calibrate, advise). Tolerates
/// a killed run: a last line cut mid-way is skipped (and noted in <see cref="Notes"/>); a bad
/// line anywhere else is a <see cref="ResultsFormatException"/> naming file and line.
/// </summary>
public sealed class RunFolder
{
    private RunFolder(string dir) => Directory = dir;

    /// <summary>The folder (full path).</summary>
    public string Directory { get; }
    public Manifest Manifest { get; private set; } = null!;
    /// <summary>summary.json; null for a run that did not complete (see <see cref="ComputeSummary"/>).</summary>
    public Summary? Summary { get; private set; }
    /// <summary>The resolved scenario as run ("" if the file is missing).</summary>
    public string ScenarioToml { get; private set; } = "";
    /// <summary>import.json of an imported ps log; null for a run (and for imports made before it existed).</summary>
    public ImportInfo? Import { get; private set; }
    /// <summary>
    /// Settings the folder does not know: an import's (import.json), every pool and request
    /// setting for an import made before import.json; none for a run.
    /// </summary>
    public IReadOnlyList<string> UnknownSettings =>
        Import?.Unknown ?? (Manifest.Engine == "import" ? ImportInfo.NeverInALog : []);
    public SampleTable Samples { get; private set; } = SampleTable.Empty;
    public IReadOnlyList<PoolEvent> Events { get; private set; } = [];

    /// <summary>
    /// requests.csv (or requests.csv.gz) in memory, read on first use: a large run's requests are
    /// better streamed (<see cref="ForEachRequest"/>). Empty for a run without the file and for
    /// records = "summary" (see <see cref="BySecond"/>).
    /// </summary>
    public RequestTable Requests => _requests ??= _requestsPath is null ? RequestTable.Empty : ReadRequests(_requestsPath, keep: true);

    /// <summary>What one pass over requests.csv found while checking it at Open (count, leak asked, last time).</summary>
    public RequestOverview RequestOverview { get; private set; } = RequestOverview.Empty;

    /// <summary>Whether the folder has a request per row (requests.csv or .gz); false for records = "summary".</summary>
    public bool HasRequestRows => _requestsPath is not null;

    /// <summary>records = "summary": requests-by-second.csv; null when the run kept every request.</summary>
    public BySecondTable? BySecond { get; private set; }

    private RequestTable? _requests;
    private string? _requestsPath;
    public IReadOnlyList<string> FpmLog { get; private set; } = [];
    /// <summary>Who each process was: user and command from ps.log, role from samples, start from the spawn/start event (else the first sample).</summary>
    public IReadOnlyList<ProcessInfo> Processes { get; private set; } = [];
    /// <summary>What the reader noticed and let pass (cut last lines, missing optional files).</summary>
    public IReadOnlyList<string> Notes => _notes;

    private readonly List<string> _notes = new();

    /// <summary>Reads a results folder. Throws <see cref="ResultsFormatException"/> if it is missing, not a run, or a file is corrupt.</summary>
    public static RunFolder Open(string dir)
    {
        string full = Path.GetFullPath(dir);
        if (!System.IO.Directory.Exists(full))
            throw new ResultsFormatException(full, null, File.Exists(full)
                ? "is a file, not a results folder"
                : "no such results folder");
        string manifestPath = Path.Combine(full, ResultsFiles.Manifest);
        string samplesPath = ResultsFiles.Find(full, ResultsFiles.Samples) ?? Path.Combine(full, ResultsFiles.Samples);
        var missing = new[] { manifestPath, samplesPath }.Where(p => !File.Exists(p)).Select(Path.GetFileName).ToList();
        if (missing.Count > 0)
            throw new ResultsFormatException(full, null,
                $"not a Leak Lab results folder (no {string.Join(" and no ", missing)}; a run's folder holds {ResultsFiles.Manifest}, {ResultsFiles.Samples}, {ResultsFiles.Requests}, ...)");

        var f = new RunFolder(full);
        f.Manifest = Manifest.FromJson(File.ReadAllText(manifestPath), manifestPath);
        string summaryPath = f.PathOf(ResultsFiles.Summary);
        if (File.Exists(summaryPath)) f.Summary = Results.Summary.FromJson(File.ReadAllText(summaryPath), summaryPath);
        else f._notes.Add($"{ResultsFiles.Summary} is missing (the run is {Results.Manifest.StatusName(f.Manifest.Status)}: {f.Manifest.Reason}); figures can be computed from the files");
        string importPath = f.PathOf(ImportInfo.File);
        if (File.Exists(importPath)) f.Import = ImportInfo.FromJson(File.ReadAllText(importPath), importPath);
        string scenarioPath = f.PathOf(ResultsFiles.Scenario);
        if (File.Exists(scenarioPath)) f.ScenarioToml = File.ReadAllText(scenarioPath);
        else f._notes.Add($"{ResultsFiles.Scenario} is missing");

        f.Samples = f.ReadSamples(samplesPath);
        f.Events = f.IfExists(ResultsFiles.Events, f.ReadEvents, []);
        f._requestsPath = ResultsFiles.Find(full, ResultsFiles.Requests);
        if (f._requestsPath is { } requests)
        {
            // One pass checks every row (a bad row is found now, before anything is made) and
            // takes the overview; a small file is kept in memory from the same pass.
            bool keep = new FileInfo(requests).Length * (requests.EndsWith(ResultsFiles.Gz, StringComparison.Ordinal) ? 5 : 1) < KeepRequestsBelowBytes;
            var table = f.ReadRequests(requests, keep);
            if (keep) f._requests = table;
        }
        else if (ResultsFiles.Find(full, ResultsFiles.RequestsBySecond) is { } bySecond)
        {
            f.BySecond = f.ReadBySecond(bySecond);
            f.RequestOverview = f.BySecond.Overview with { LeakKbSum = ResultsFiles.Find(full, ResultsFiles.RequestsByPid) is { } byPid ? f.LeakOfPids(byPid) : 0 };
        }
        else f._notes.Add($"{ResultsFiles.Requests} is missing");
        f.FpmLog = f.IfExists<IReadOnlyList<string>>(ResultsFiles.FpmLog, p => f.ReadTextLines(p), []);
        f.Processes = f.RecoverProcesses(ResultsFiles.Find(full, ResultsFiles.PsLog) is { } ps ? f.ReadPsLog(ps) : f.Missing<List<PsSeen>>(ResultsFiles.PsLog, []));
        return f;
    }

    /// <summary>
    /// The figures computed from the files with <see cref="SummaryBuilder"/>, for a run without
    /// summary.json, from the files replayed in time order (<see cref="RunReplay"/>). Differences
    /// from a written summary: ticks are told apart by their sample time, pool_status is empty,
    /// load.iterations is not known (stopped_by stays null), and latencies are the 3-decimal ones
    /// of requests.csv.
    /// </summary>
    public Summary ComputeSummary() => ComputeSummaryAndFit().Summary;

    /// <summary>The same, with the leak fit behind summary.json's leak figures (its baseline, retention, ρ).</summary>
    public (Summary Summary, Lab.Core.Fitting.LeakFitResult Fit) ComputeSummaryAndFit()
    {
        var header = new RunHeader(Manifest.Scenario, Manifest.Engine, Manifest.Seed, Manifest.StartUtc,
            Manifest.Machine.MemTotalKb, FpmLogLevel.Debug, RunLengthS: null, FlushEveryTick: false,
            LeakUnit: Import?.Unit ?? (Manifest.Engine == "import" ? RunHeader.PerObservation : RunHeader.PerRequest));
        var b = new SummaryBuilder(header);
        RunReplay.Into(this, b);
        return (b.Build(new RunOutcome(Manifest.Status, Manifest.Reason)), b.LeakFitResult);
    }

    /// <summary>summary.json if there is one, else the figures computed from the files (computed = true: say so to the user).</summary>
    public Summary SummaryOrComputed(out bool computed)
    {
        computed = Summary is null;
        return Summary ?? ComputeSummary();
    }

    public string PathOf(string fileName) => Path.Combine(Directory, fileName);

    /// <summary>requests.csv files below this (plain bytes) are kept in memory when read at Open.</summary>
    private const long KeepRequestsBelowBytes = 64L << 20;

    private T Missing<T>(string name, T empty)
    {
        _notes.Add($"{name} is missing");
        return empty;
    }

    /// <summary>Every request of requests.csv (or .gz), streamed from the file in order: memory does not grow with the run.</summary>
    public void ForEachRequest(Action<RequestRecord> each)
    {
        if (_requests is { } kept)
        {
            for (int i = 0; i < kept.Count; i++) each(kept[i]);
            return;
        }
        if (_requestsPath is { } path) ScanRequests(path, each);
    }

    private T IfExists<T>(string name, Func<string, T> read, T empty)
    {
        string path = PathOf(name);
        if (File.Exists(path)) return read(path);
        _notes.Add($"{name} is missing");
        return empty;
    }

    private void NoteTorn(string path, bool torn)
    {
        string note = $"{Path.GetFileName(path)}: the last line was cut (a killed run) and is ignored";
        if (torn && !_notes.Contains(note)) _notes.Add(note);
    }

    private static ResultsFormatException Bad(string path, int line, string problem) => new(path, line, problem);

    private static void CheckHeader(string path, ReadOnlySpan<byte> line, string header)
    {
        if (!line.SequenceEqual(Encoding.ASCII.GetBytes(header)))
            throw Bad(path, 1, $"expected the header \"{header}\", found \"{Encoding.UTF8.GetString(line)}\"");
    }

    /// <summary>Accepts the current header or an older one (columns are only ever appended); returns how many fields a row has.</summary>
    private static int CheckHeader(string path, ReadOnlySpan<byte> line, string header, string older)
    {
        if (line.SequenceEqual(Encoding.ASCII.GetBytes(older))) return older.Split(',').Length;
        CheckHeader(path, line, header);
        return header.Split(',').Length;
    }

    /// <summary>An optional KiB field: empty is -1 (unknown).</summary>
    private static bool OptionalLong(ReadOnlySpan<byte> f, out long v)
    {
        if (f.IsEmpty) { v = -1; return true; }
        return Numbers.TryLong(f, out v);
    }

    private static string Text(ReadOnlySpan<byte> s) => Encoding.UTF8.GetString(s);

    private SampleTable ReadSamples(string path)
    {
        int capacity = (int)Math.Min(int.MaxValue / 2, new FileInfo(path).Length / 30 + 16);
        var t = new Column<double>(capacity);
        var pid = new Column<int>(capacity);
        var role = new Column<ProcessRole>(capacity);
        var rss = new Column<long>(capacity);
        var vsz = new Column<long>(capacity);
        var cpu = new Column<double>(capacity);
        var state = new Column<char>(capacity);
        var req = new Column<long>(capacity);
        var pss = new Column<long>(capacity);
        var uss = new Column<long>(capacity);
        var swap = new Column<long>(capacity);
        int fields = 0;
        bool torn = LineScanner.ForEachLine(path, (line, no) =>
        {
            if (no == 1) { fields = CheckHeader(path, line, ResultsFiles.SamplesHeader, ResultsFiles.SamplesHeaderV1); return; }
            var c = new FieldCursor(line);
            ReadOnlySpan<byte> f;
            double tv, cv; int pv; long rv, vv, qv; ProcessRole ro;
            if (!c.Next(out f) || !Numbers.TryDouble(f, out tv)) throw Bad(path, no, $"t_s \"{Text(f)}\" is not a number");
            if (!c.Next(out f) || !Numbers.TryInt(f, out pv)) throw Bad(path, no, $"pid \"{Text(f)}\" is not an integer");
            if (!c.Next(out f) || !ResultsFiles.TryParseRole(f, out ro)) throw Bad(path, no, $"role \"{Text(f)}\" should be master or child");
            if (!c.Next(out f) || !Numbers.TryLong(f, out rv)) throw Bad(path, no, $"rss_kb \"{Text(f)}\" is not an integer");
            if (!c.Next(out f) || !Numbers.TryLong(f, out vv)) throw Bad(path, no, $"vsz_kb \"{Text(f)}\" is not an integer");
            if (!c.Next(out f)) throw Bad(path, no, "missing cpu_s");
            if (f.IsEmpty) cv = double.NaN;
            else if (!Numbers.TryDouble(f, out cv)) throw Bad(path, no, $"cpu_s \"{Text(f)}\" is not a number");
            if (!c.Next(out f) || f.Length == 0) throw Bad(path, no, "missing state");
            char st;
            if (f.Length == 1 && f[0] < 128) st = (char)f[0];
            else if (Text(f) is { Length: 1 } one) st = one[0];
            else throw Bad(path, no, $"state \"{Text(f)}\" should be one letter");
            if (!c.Next(out f) || !Numbers.TryLong(f, out qv)) throw Bad(path, no, $"requests \"{Text(f)}\" is not an integer");
            long pv2 = -1, uv = -1, sw = -1;
            if (fields > 8)
            {
                if (!c.Next(out f) || !OptionalLong(f, out pv2)) throw Bad(path, no, $"pss_kb \"{Text(f)}\" is not an integer");
                if (!c.Next(out f) || !OptionalLong(f, out uv)) throw Bad(path, no, $"uss_kb \"{Text(f)}\" is not an integer");
                if (!c.Next(out f) || !OptionalLong(f, out sw)) throw Bad(path, no, $"swap_kb \"{Text(f)}\" is not an integer");
            }
            if (!c.AtEnd) throw Bad(path, no, $"more than {fields} fields");
            t.Add(tv); pid.Add(pv); role.Add(ro); rss.Add(rv); vsz.Add(vv); cpu.Add(cv); state.Add(st); req.Add(qv);
            pss.Add(pv2); uss.Add(uv); swap.Add(sw);
        });
        NoteTorn(path, torn);
        return new SampleTable(t.ToArray(), pid.ToArray(), role.ToArray(), rss.ToArray(), vsz.ToArray(), cpu.ToArray(), state.ToArray(), req.ToArray(),
            pss.ToArray(), uss.ToArray(), swap.ToArray());
    }

    /// <summary>
    /// One pass over requests.csv: every row checked, the overview taken, and (keep) the rows
    /// kept in columns; without keep the table returned is empty.
    /// </summary>
    private RequestTable ReadRequests(string path, bool keep)
    {
        int capacity = keep ? (int)Math.Min(int.MaxValue / 2, new FileInfo(path).Length / 60 + 16) : 16;
        var id = new Column<long>(capacity);
        var ti = new Column<double>(capacity);
        var ts = new Column<double>(capacity);
        var te = new Column<double>(capacity);
        var pid = new Column<int>(capacity);
        var status = new Column<int>(capacity);
        var lat = new Column<double>(capacity);
        var leak = new Column<long>(capacity);
        var trans = new Column<long>(capacity);
        var rss = new Column<long>(capacity);
        var kind = new Column<string?>(capacity);
        var overview = new RequestOverview.Builder();
        ScanRequests(path, r =>
        {
            overview.Add(r);
            if (!keep) return;
            id.Add(r.Id); ti.Add(r.TIntended); ts.Add(r.TStart); te.Add(r.TEnd); pid.Add(r.Pid); status.Add(r.Status); lat.Add(r.LatencyMs);
            leak.Add(r.LeakKb); trans.Add(r.TransientKb); rss.Add(r.RssKb); kind.Add(r.Kind);
        });
        RequestOverview = overview.Build();
        return keep
            ? new RequestTable(id.ToArray(), ti.ToArray(), ts.ToArray(), te.ToArray(), pid.ToArray(), status.ToArray(),
                lat.ToArray(), leak.ToArray(), trans.ToArray(), rss.ToArray(), kind.ToArray())
            : RequestTable.Empty;
    }

    /// <summary>Parses requests.csv row by row (a bad row: ResultsFormatException naming file and line).</summary>
    private void ScanRequests(string path, Action<RequestRecord> each)
    {
        var kinds = new Dictionary<string, string>(StringComparer.Ordinal);
        int fields = 0;
        bool torn = LineScanner.ForEachLine(path, (line, no) =>
        {
            if (no == 1) { fields = CheckHeader(path, line, ResultsFiles.RequestsHeader, ResultsFiles.RequestsHeaderV1); return; }
            var c = new FieldCursor(line);
            ReadOnlySpan<byte> f;
            long iv, lk, tk; double tiv, tsv, tev, lv; int pv, sv;
            if (!c.Next(out f) || !Numbers.TryLong(f, out iv)) throw Bad(path, no, $"id \"{Text(f)}\" is not an integer");
            if (!c.Next(out f) || !Numbers.TryDouble(f, out tiv)) throw Bad(path, no, $"t_intended_s \"{Text(f)}\" is not a number");
            if (!c.Next(out f) || !OptionalDouble(f, out tsv)) throw Bad(path, no, $"t_start_s \"{Text(f)}\" is not a number");
            if (!c.Next(out f) || !OptionalDouble(f, out tev)) throw Bad(path, no, $"t_end_s \"{Text(f)}\" is not a number");
            if (!c.Next(out f)) throw Bad(path, no, "missing pid");
            if (f.IsEmpty) pv = 0;
            else if (!Numbers.TryInt(f, out pv)) throw Bad(path, no, $"pid \"{Text(f)}\" is not an integer");
            if (!c.Next(out f) || !Numbers.TryInt(f, out sv)) throw Bad(path, no, $"status \"{Text(f)}\" is not an integer");
            if (!c.Next(out f) || !OptionalDouble(f, out lv)) throw Bad(path, no, $"latency_ms \"{Text(f)}\" is not a number");
            if (!c.Next(out f) || !Numbers.TryLong(f, out lk)) throw Bad(path, no, $"leak_kb \"{Text(f)}\" is not an integer");
            if (!c.Next(out f) || !Numbers.TryLong(f, out tk)) throw Bad(path, no, $"transient_kb \"{Text(f)}\" is not an integer");
            long rk = -1; string? kd = null;
            if (fields > 9)
            {
                if (!c.Next(out f) || !OptionalLong(f, out rk)) throw Bad(path, no, $"rss_kb \"{Text(f)}\" is not an integer");
                if (!c.Next(out f)) throw Bad(path, no, "missing kind");
                if (!f.IsEmpty)
                {
                    string k = Text(f);
                    if (k.Length >= 2 && k[0] == '"' && k[^1] == '"') k = k[1..^1].Replace("\"\"", "\"");
                    if (!kinds.TryGetValue(k, out kd)) kinds[k] = kd = k;
                }
            }
            if (!c.AtEnd) throw Bad(path, no, $"more than {fields} fields");
            each(new RequestRecord(iv, tiv, tsv, tev, pv, sv, lv, lk, tk, rk, kd));
        });
        NoteTorn(path, torn);
    }

    /// <summary>The leak the requests asked for, from requests-by-pid.csv (its leak_kb column summed).</summary>
    private double LeakOfPids(string path)
    {
        double sum = 0;
        bool torn = LineScanner.ForEachLine(path, (line, no) =>
        {
            if (no == 1) { CheckHeader(path, line, ResultsFiles.RequestsByPidHeader); return; }
            var c = new FieldCursor(line);
            ReadOnlySpan<byte> f = default;
            for (int k = 0; k < 7; k++) if (!c.Next(out f)) throw Bad(path, no, "missing leak_kb");
            if (!Numbers.TryLong(f, out long leak)) throw Bad(path, no, $"leak_kb \"{Text(f)}\" is not an integer");
            sum += leak;
        });
        NoteTorn(path, torn);
        return sum;
    }

    /// <summary>requests-by-second.csv (records = "summary").</summary>
    private BySecondTable ReadBySecond(string path)
    {
        var rows = new List<BySecondRow>();
        bool torn = LineScanner.ForEachLine(path, (line, no) =>
        {
            if (no == 1) { CheckHeader(path, line, ResultsFiles.RequestsBySecondHeader); return; }
            var c = new FieldCursor(line);
            var v = new double[10];
            string[] names = ResultsFiles.RequestsBySecondHeader.Split(',');
            for (int k = 0; k < 10; k++)
            {
                if (!c.Next(out var f)) throw Bad(path, no, $"missing {names[k]}");
                if (!OptionalDouble(f, out v[k]) || (k < 6 && f.IsEmpty)) throw Bad(path, no, $"{names[k]} \"{Text(f)}\" is not a number");
            }
            if (!c.AtEnd) throw Bad(path, no, "more than 10 fields");
            rows.Add(new BySecondRow(v[0], (long)v[1], (long)v[2], (long)v[3], (long)v[4], (long)v[5], v[6], v[7], v[8], v[9]));
        });
        NoteTorn(path, torn);
        return new BySecondTable(rows);
    }

    private static bool OptionalDouble(ReadOnlySpan<byte> f, out double v)
    {
        if (f.IsEmpty) { v = double.NaN; return true; }
        return Numbers.TryDouble(f, out v);
    }

    /// <summary>events.csv: RFC 4180 quoting in the detail (a quoted field may hold line breaks).</summary>
    private IReadOnlyList<PoolEvent> ReadEvents(string path)
    {
        byte[] b = LineScanner.ReadShared(path);
        var events = new List<PoolEvent>();
        int pos = 0, line = 1, end = b.Length;
        int nl = Array.IndexOf(b, (byte)'\n');
        if (nl < 0) { NoteTorn(path, end > 0); return events; }
        CheckHeader(path, b.AsSpan(0, nl > 0 && b[nl - 1] == '\r' ? nl - 1 : nl), ResultsFiles.EventsHeader);
        pos = nl + 1; line = 2;
        var fields = new List<string>(4);
        while (pos < end)
        {
            int recordLine = line;
            fields.Clear();
            bool torn = false;
            while (true)
            {
                string field;
                if (b[pos] == (byte)'"')
                {
                    int j = pos + 1;
                    while (true)
                    {
                        if (j >= end) { torn = true; break; }
                        if (b[j] == (byte)'"')
                        {
                            if (j + 1 < end && b[j + 1] == (byte)'"') { j += 2; continue; }
                            break;
                        }
                        if (b[j] == (byte)'\n') line++;
                        j++;
                    }
                    if (torn) break;
                    field = Encoding.UTF8.GetString(b, pos + 1, j - pos - 1).Replace("\"\"", "\"");
                    pos = j + 1;
                    if (pos < end && b[pos] != (byte)',' && b[pos] != (byte)'\n' && b[pos] != (byte)'\r')
                        throw Bad(path, recordLine, "text after a closing quote");
                }
                else
                {
                    int j = pos;
                    while (j < end && b[j] != (byte)',' && b[j] != (byte)'\n') j++;
                    int stop = j < end && b[j] == (byte)'\n' && j > pos && b[j - 1] == (byte)'\r' ? j - 1 : j;
                    field = Encoding.UTF8.GetString(b, pos, stop - pos);
                    pos = j;
                }
                if (pos < end && b[pos] == (byte)'\r') pos++;
                fields.Add(field);
                if (pos >= end) { torn = true; break; }       // no '\n': cut by a kill
                if (b[pos] == (byte)'\n') { pos++; line++; break; }
                pos++;                                         // ','
                if (pos >= end) { torn = true; break; }
            }
            if (torn) { NoteTorn(path, true); break; }
            if (fields.Count != 4) throw Bad(path, recordLine, $"expected 4 fields (t_s,event,pid,detail), found {fields.Count}");
            if (!Numbers.TryDouble(Encoding.UTF8.GetBytes(fields[0]), out double t)) throw Bad(path, recordLine, $"t_s \"{fields[0]}\" is not a number");
            if (!Numbers.TryInt(Encoding.UTF8.GetBytes(fields[2]), out int pid)) throw Bad(path, recordLine, $"pid \"{fields[2]}\" is not an integer");
            if (fields[1].Length == 0) throw Bad(path, recordLine, "empty event name");
            events.Add(new PoolEvent(t, string.Intern(fields[1]), pid, fields[3]));
        }
        return events;
    }

    private List<string> ReadTextLines(string path)
    {
        var lines = LineScanner.ReadLines(path, out bool torn);
        NoteTorn(path, torn);
        return lines;
    }

    private sealed record PsSeen(int Pid, string User, string Command, string Stat, double BlockT);

    /// <summary>
    /// ps.log: the first line of each PID (its user, command, STAT). Later lines of a PID seen
    /// before are only checked for a readable PID (ps.log is as long as samples.csv).
    /// </summary>
    private List<PsSeen> ReadPsLog(string path)
    {
        var seen = new HashSet<int>();
        var order = new List<PsSeen>();
        double blockT = double.NaN;
        bool torn = LineScanner.ForEachLine(path, (line, no) =>
        {
            if (line.StartsWith("# t="u8))
            {
                int s = line.IndexOf((byte)'s');
                if (s < 4 || !Numbers.TryDouble(line[4..s], out blockT))
                    throw Bad(path, no, "a block line should read \"# t=12.250s 2026-01-01 00:00:12 UTC\"");
                return;
            }
            if (line.Length == 0 || line.StartsWith("USER "u8)) return;
            // The PID is the second column.
            var rest = line.TrimStart((byte)' ');
            int sp = rest.IndexOf((byte)' ');
            if (sp > 0)
            {
                rest = rest[sp..].TrimStart((byte)' ');
                int sp2 = rest.IndexOf((byte)' ');
                if (sp2 > 0 && Numbers.TryInt(rest[..sp2], out int pid) && seen.Contains(pid)) return;
            }
            var p = PsAux.Parse(Text(line)) ?? throw Bad(path, no, "not a ps aux line (USER PID %CPU %MEM VSZ RSS TTY STAT START TIME COMMAND)");
            seen.Add(p.Pid);
            order.Add(new PsSeen(p.Pid, p.User, p.Command, p.Stat, blockT));
        });
        NoteTorn(path, torn);
        return order;
    }

    private IReadOnlyList<ProcessInfo> RecoverProcesses(List<PsSeen> ps)
    {
        var first = new Dictionary<int, (double T, ProcessRole Role)>();
        var pidOrder = new List<int>();
        var s = Samples;
        for (int i = 0; i < s.Count; i++)
            if (first.TryAdd(s.Pid[i], (s.T[i], s.Role[i]))) pidOrder.Add(s.Pid[i]);
        var started = new Dictionary<int, double>();
        foreach (var e in Events)
            if ((e.Event == EventNames.Spawn || e.Event == EventNames.Start) && e.Pid != 0) started.TryAdd(e.Pid, e.T);

        var byPid = ps.ToDictionary(p => p.Pid);
        var pids = ps.Select(p => p.Pid).Concat(pidOrder.Where(p => !byPid.ContainsKey(p))).ToList();
        ProcessRole RoleOf(int pid) =>
            first.TryGetValue(pid, out var f) ? f.Role
            : byPid.TryGetValue(pid, out var p) && p.Stat.Contains('s') ? ProcessRole.Master : ProcessRole.Child;
        var masters = pids.Where(p => RoleOf(p) == ProcessRole.Master).Distinct().ToList();
        int parent = masters.Count == 1 ? masters[0] : 0;

        var result = new List<ProcessInfo>(pids.Count);
        foreach (int pid in pids)
        {
            var role = RoleOf(pid);
            double start = started.TryGetValue(pid, out double st) ? st
                : first.TryGetValue(pid, out var f) ? f.T
                : byPid.TryGetValue(pid, out var p0) && double.IsFinite(p0.BlockT) ? p0.BlockT : 0;
            byPid.TryGetValue(pid, out var p);
            result.Add(new ProcessInfo(pid, role, p?.User ?? "?", p?.Command ?? "?", start,
                role == ProcessRole.Child ? parent : 0));
        }
        return result;
    }
}
