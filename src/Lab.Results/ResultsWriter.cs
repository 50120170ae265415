using System.Globalization;
using System.Text;
using HdrHistogram;
using Lab.Core.Engines;
using Lab.Core.Logging;
using Lab.Core.Records;
using Lab.Results.Aggregates;
using Lab.Results.Formats;

namespace Lab.Results;

/// <summary>
/// The results folder of one run, written as the engine observes it (an <see cref="IRunSink"/>):
/// samples.csv, events.csv, requests.csv, ps.log, fpm.log while the run goes on; latency.hgrm,
/// latency-uncorrected.hgrm, summary.json and the final manifest.json at <see cref="Complete"/>.
/// Until then manifest.json says "incomplete", so a killed run's folder is readable and honest.
/// A write the file system refuses (a full disk, a folder made read-only or removed) does not
/// throw into the engine: the writer records it (<see cref="Failure"/>), cancels
/// <see cref="WriteFailed"/> so the run can stop, drops what follows, and Complete marks the run
/// failed with that reason in manifest.json where it can still be written.
/// Sink calls come from one thread at a time; <see cref="Live"/> may be read from any thread.
/// </summary>
public sealed class ResultsWriter : IRunSink, IDisposable
{
    /// <summary>The manifest's reason when the writer is disposed without Complete (the engine threw, or the caller gave up).</summary>
    public const string AbandonedReason = "the run ended without completing (results writer closed before Complete)";

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    private readonly RunHeader _header;
    private readonly SummaryBuilder _summary;
    private readonly Utf8Output _samples, _events, _ps, _fpm;
    private readonly Utf8Output? _requests;
    private readonly RequestAggregator? _aggregates;
    private readonly Utf8Output[] _all;
    private readonly Dictionary<int, ProcessInfo> _processes = new();
    private readonly List<Sample> _tick = new();
    private Manifest _manifest;
    private bool _ended;
    private readonly CancellationTokenSource _failed = new();
    private string? _failure;

    private double _liveLastTickT = double.NaN;
    private Sample[] _liveLastTick = [];

    private ResultsWriter(string dir, RunHeader header, Manifest manifest)
    {
        Directory = dir;
        _header = header;
        _manifest = manifest;
        _summary = new SummaryBuilder(header);
        // Real engines flush every tick, a few rows at a time: small buffers. The sim writes
        // millions of rows in seconds: big buffers, few system calls.
        int big = header.FlushEveryTick ? 64 << 10 : 1 << 20;
        int small = 64 << 10;
        Utf8Output Big(string name, int size) => header.Compress
            ? new Utf8Output(Path.Combine(dir, name + ResultsFiles.Gz), new GzipPipe(Path.Combine(dir, name + ResultsFiles.Gz)), size, OnWriteFailed)
            : new Utf8Output(Path.Combine(dir, name), size, OnWriteFailed);
        _samples = Big(ResultsFiles.Samples, big / 2);
        _events = new Utf8Output(Path.Combine(dir, ResultsFiles.Events), small, OnWriteFailed);
        _ps = Big(ResultsFiles.PsLog, big / 2);
        _fpm = new Utf8Output(Path.Combine(dir, ResultsFiles.FpmLog), small, OnWriteFailed);
        if (header.SummaryRecords)
        {
            _aggregates = new RequestAggregator(dir, OnWriteFailed, small);
            _all = [_samples, _events, _ps, _fpm];
        }
        else
        {
            _requests = Big(ResultsFiles.Requests, big);
            _all = [_samples, _events, _requests, _ps, _fpm];
        }
    }

    /// <summary>The results folder (full path).</summary>
    public string Directory { get; }

    /// <summary>The first write the file system refused, as "cannot write PATH: CAUSE"; null while all is well.</summary>
    public string? Failure => Volatile.Read(ref _failure);

    /// <summary>Cancelled when a write fails: the run should stop, its results cannot be kept.</summary>
    public CancellationToken WriteFailed => _failed.Token;

    private void OnWriteFailed(string path, Exception e)
    {
        Interlocked.CompareExchange(ref _failure, IoProblem.CannotWrite(path, e), null);
        try { _failed.Cancel(); } catch (ObjectDisposedException) { }
    }

    /// <summary>
    /// Creates the folder (it must not exist, or be empty), writes scenario.toml (the text given)
    /// and manifest.json with status "incomplete" and reason "running (or killed)", and opens
    /// the streams (their CSV headers are on disk at once).
    /// </summary>
    /// <exception cref="ResultsWriteException">The folder or its first files cannot be written (what was made is removed again).</exception>
    public static ResultsWriter Create(string dir, RunHeader header, string scenarioToml, Manifest initialManifest)
    {
        string full = Path.GetFullPath(dir);
        if (System.IO.Directory.Exists(full) && System.IO.Directory.EnumerateFileSystemEntries(full).Any())
            throw new ResultsWriteException($"results folder {full} already exists and is not empty");
        if (File.Exists(full)) throw new ResultsWriteException($"{full} is a file, not a results folder");
        bool made = !System.IO.Directory.Exists(full);
        string current = full;
        ResultsWriter? w = null;
        try
        {
            System.IO.Directory.CreateDirectory(full);
            current = Path.Combine(full, ResultsFiles.Scenario);
            File.WriteAllText(current, scenarioToml, Utf8);
            var manifest = initialManifest with { Status = RunStatus.Incomplete, Reason = Manifest.RunningReason, EndUtc = null };
            current = Path.Combine(full, ResultsFiles.Manifest);
            WriteAtomically(current, manifest.ToJson());
            current = full;
            w = new ResultsWriter(full, header, manifest);
            w._samples.Line(ResultsFiles.SamplesHeader);
            w._events.Line(ResultsFiles.EventsHeader);
            w._requests?.Line(ResultsFiles.RequestsHeader);
            w.FlushAll();
            if (w.Failure is { } failed) throw new ResultsWriteException(failed);
            return w;
        }
        catch (Exception e) when (IoProblem.IsIo(e))
        {
            if (w is not null) { w._ended = true; w.CloseStreams(); }
            // nothing half-written is left behind: the folder goes (or, an --out folder that existed, is emptied)
            try
            {
                if (made) System.IO.Directory.Delete(full, recursive: true);
                else foreach (var f in System.IO.Directory.EnumerateFiles(full)) File.Delete(f);
            }
            catch (Exception cleanup) when (IoProblem.IsIo(cleanup)) { }
            throw e as ResultsWriteException ?? new ResultsWriteException(IoProblem.CannotWrite(current, e), e);
        }
    }

    /// <summary>A snapshot of what has been seen so far.</summary>
    public LiveStats Live => new(
        Volatile.Read(ref _liveLastTickT),
        Volatile.Read(ref _liveLastTick),
        _summary.Statuses.ToDictionary(),
        _summary.Statuses.Total,
        _summary.Spawned,
        _summary.Recycled);

    public void Process(ProcessInfo process)
    {
        ThrowIfEnded();
        _processes[process.Pid] = process; // a later call for the same PID (PID reuse) replaces it
        _summary.Process(process);
    }

    public void Sample(in Sample s)
    {
        ThrowIfEnded();
        var o = _samples;
        o.Fixed(s.T, 3); o.Comma();
        o.Int(s.Pid); o.Comma();
        o.Bytes(s.Role == ProcessRole.Master ? "master"u8 : "child"u8); o.Comma();
        o.Long(s.RssKb); o.Comma();
        o.Long(s.VszKb); o.Comma();
        o.Fixed(s.CpuS, 2); o.Comma();
        if (s.State < 128) o.Byte((byte)s.State); else o.Text([s.State]);
        o.Comma();
        o.Long(s.Requests); o.Comma();
        if (s.PssKb >= 0) o.Long(s.PssKb);
        o.Comma();
        if (s.UssKb >= 0) o.Long(s.UssKb);
        o.Comma();
        if (s.SwapKb >= 0) o.Long(s.SwapKb);
        o.NewLine();
        _tick.Add(s);
        _summary.Sample(s);
    }

    public void EndTick(double t)
    {
        ThrowIfEnded();
        WritePsBlock(t);
        var last = _tick.ToArray();
        _tick.Clear();
        Volatile.Write(ref _liveLastTick, last);
        Volatile.Write(ref _liveLastTickT, t);
        _summary.EndTick(t);
        if (_header.FlushEveryTick) FlushAll();
    }

    /// <summary>One `ps aux` block: "# t=12.250s 2026-01-01 00:00:12 UTC", procps's header, the processes by PID.</summary>
    private void WritePsBlock(double t)
    {
        var o = _ps;
        o.Text("# t="); o.Fixed(t, 3); o.Text("s ");
        o.Text(_header.EpochUtc.AddSeconds(t).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));
        o.Text(" UTC"); o.NewLine();
        o.Line(PsAux.Header);
        _tick.Sort(static (a, b) => a.Pid.CompareTo(b.Pid)); // ps lists processes in PID order
        foreach (var s in _tick)
        {
            if (!_processes.TryGetValue(s.Pid, out var info))
            {
                // Not introduced by Process(): unknown user and command, started when first seen.
                info = new ProcessInfo(s.Pid, s.Role, "?", "?", s.T);
                _processes[s.Pid] = info;
            }
            o.Line(PsAux.FormatLine(s, info, _header.EpochUtc, _header.HostMemKb));
        }
    }

    public void Event(in PoolEvent e)
    {
        ThrowIfEnded();
        var o = _events;
        o.Fixed(e.T, 6); o.Comma();
        o.CsvField(e.Event); o.Comma();
        o.Int(e.Pid); o.Comma();
        o.CsvField(e.Detail ?? "");
        o.NewLine();
        _summary.Event(e);
    }

    public void Request(in RequestRecord r)
    {
        ThrowIfEnded();
        _summary.Request(r);
        if (_requests is not { } o)
        {
            _aggregates!.Add(r);
            return;
        }
        o.Long(r.Id); o.Comma();
        o.Fixed(r.TIntended, 6); o.Comma();
        if (r.Dropped)
        {
            // Never sent: no start, end, child or latency.
            o.Bytes(",,,0,,"u8);
        }
        else
        {
            o.Fixed(r.TStart, 6); o.Comma();
            o.Fixed(r.TEnd, 6); o.Comma();
            o.Int(r.Pid); o.Comma();
            o.Int(r.Status); o.Comma();
            o.Fixed(r.LatencyMs, 3); o.Comma();
        }
        o.Long(r.LeakKb); o.Comma();
        o.Long(r.TransientKb); o.Comma();
        if (r.RssKb >= 0) o.Long(r.RssKb);
        o.Comma();
        if (r.Kind is { Length: > 0 } kind) o.CsvField(kind);
        o.NewLine();
    }

    public void Log(double t, FpmLogLevel level, string message)
    {
        ThrowIfEnded();
        if (level < _header.LogLevel) return;
        _fpm.Line(FpmMessages.FormatLine(_header.EpochUtc.AddSeconds(t), level, message));
    }

    public void RawLog(string line)
    {
        ThrowIfEnded();
        _fpm.Line(line);
    }

    /// <summary>
    /// Ends the run: writes the last ps block if samples are pending, closes the streams, writes
    /// latency.hgrm and latency-uncorrected.hgrm, summary.json and the final manifest.json
    /// (status and reason from the outcome, the outcome's versions added, EndUtc set if unset).
    /// </summary>
    public Summary Complete(RunOutcome outcome, Manifest manifest)
    {
        ThrowIfEnded();
        if (_tick.Count > 0) EndTick(_tick[^1].T);
        CloseStreams(complete: true);
        if (Failure is null)
        {
            Attempt(ResultsFiles.Latency, () => WriteHistogram(ResultsFiles.Latency, _summary.CorrectedHistogram));
            Attempt(ResultsFiles.LatencyUncorrected, () => WriteHistogram(ResultsFiles.LatencyUncorrected, _summary.UncorrectedHistogram));
        }
        // A write that failed fails the run: its files are not all there.
        if (Failure is { } failure) outcome = outcome with { Status = RunStatus.Failed, Reason = failure };
        var summary = _summary.Build(outcome);
        if (Failure is null) Attempt(ResultsFiles.Summary, () => WriteAtomically(Path.Combine(Directory, ResultsFiles.Summary), summary.ToJson()));
        if (Failure is { } late && outcome.Status != RunStatus.Failed) outcome = outcome with { Status = RunStatus.Failed, Reason = late };

        var versions = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in manifest.Versions) versions[k] = v;
        if (outcome.Versions is not null) foreach (var (k, v) in outcome.Versions) versions[k] = v;
        string? reason = outcome.Status == RunStatus.Complete ? outcome.Reason : outcome.Reason ?? "no reason given by the engine";
        _manifest = manifest with
        {
            Versions = versions,
            EndUtc = manifest.EndUtc ?? DateTime.UtcNow,
            Status = outcome.Status,
            Reason = reason,
        };
        WriteManifest();
        _ended = true;
        return summary;
    }

    private void Attempt(string name, Action write)
    {
        try { write(); }
        catch (Exception e) when (IoProblem.IsIo(e)) { OnWriteFailed(Path.Combine(Directory, name), e); }
    }

    /// <summary>
    /// manifest.json, atomically; on a full disk (no room for a new file) written over the old one
    /// in place, which needs no new block; if even that fails the folder keeps the old manifest
    /// ("running (or killed)") and the lab says why on the terminal.
    /// </summary>
    private void WriteManifest()
    {
        string path = Path.Combine(Directory, ResultsFiles.Manifest);
        string json = _manifest.ToJson();
        try
        {
            WriteAtomically(path, json);
            return;
        }
        catch (Exception e) when (IoProblem.IsIo(e))
        {
            try { File.Delete(path + ".tmp"); } catch (Exception gone) when (IoProblem.IsIo(gone)) { }
        }
        try
        {
            byte[] bytes = Utf8.GetBytes(json);
            using var f = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
            f.Write(bytes);
            f.SetLength(bytes.Length);
        }
        catch (Exception e) when (IoProblem.IsIo(e)) { }
    }

    /// <summary>
    /// Closes the files. Without Complete (an exception ended the run), manifest.json stays
    /// "incomplete", with a reason that says so; no summary.json is written.
    /// </summary>
    public void Dispose()
    {
        if (_ended) return;
        _ended = true;
        CloseStreams();
        _manifest = _manifest with { Status = Failure is null ? RunStatus.Incomplete : RunStatus.Failed, Reason = Failure ?? AbandonedReason, EndUtc = DateTime.UtcNow };
        WriteManifest();
    }

    private void WriteHistogram(string name, HistogramBase h)
    {
        using var w = new StreamWriter(Path.Combine(Directory, name), append: false, Utf8) { NewLine = "\n" };
        // Recorded in µs, printed in ms.
        h.OutputPercentileDistribution(w, percentileTicksPerHalfDistance: 5, outputValueUnitScalingRatio: 1000.0);
    }

    private void FlushAll()
    {
        foreach (var o in _all) o.Flush();
        _aggregates?.Flush();
    }

    private void CloseStreams(bool complete = false)
    {
        if (complete) _aggregates?.Complete();
        else _aggregates?.Close();
        foreach (var o in _all) o.Dispose();
    }

    private void ThrowIfEnded()
    {
        if (_ended) throw new InvalidOperationException($"the results of {Directory} are already complete");
    }

    /// <summary>Write to a temporary file, then rename: a reader (or a kill) never sees half a JSON file.</summary>
    private static void WriteAtomically(string path, string text)
    {
        string tmp = path + ".tmp";
        File.WriteAllText(tmp, text, Utf8);
        File.Move(tmp, path, overwrite: true);
    }
}
