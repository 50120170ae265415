using Lab.Core.Records;

namespace Lab.Results.Formats;

/// <summary>The file names and CSV headers of a results folder (DESIGN.md, "Results folder").</summary>
public static class ResultsFiles
{
    public const string Scenario = "scenario.toml";
    public const string Manifest = "manifest.json";
    public const string Samples = "samples.csv";
    public const string Events = "events.csv";
    public const string Requests = "requests.csv";
    public const string PsLog = "ps.log";
    public const string FpmLog = "fpm.log";
    public const string Latency = "latency.hgrm";
    public const string LatencyUncorrected = "latency-uncorrected.hgrm";
    public const string Summary = "summary.json";
    /// <summary>records = "summary": per-second and per-PID aggregates instead of requests.csv.</summary>
    public const string RequestsBySecond = "requests-by-second.csv";
    public const string RequestsByPid = "requests-by-pid.csv";
    /// <summary>Large runs write requests.csv, samples.csv and ps.log gzipped, with this suffix.</summary>
    public const string Gz = ".gz";

    public const string SamplesHeader = "t_s,pid,role,rss_kb,vsz_kb,cpu_s,state,requests,pss_kb,uss_kb,swap_kb";
    public const string EventsHeader = "t_s,event,pid,detail";
    public const string RequestsHeader = "id,t_intended_s,t_start_s,t_end_s,pid,status,latency_ms,leak_kb,transient_kb,rss_kb,kind";

    public const string RequestsBySecondHeader = "t_s,requests,ok,failed,dropped,served,latency_p50_ms,latency_p90_ms,latency_p99_ms,latency_max_ms";
    public const string RequestsByPidHeader = "pid,requests,ok,failed,first_start_s,last_end_s,leak_kb,latency_max_ms";

    /// <summary>The headers of folders written before columns were appended (still read).</summary>
    public const string SamplesHeaderV1 = "t_s,pid,role,rss_kb,vsz_kb,cpu_s,state,requests";
    public const string RequestsHeaderV1 = "id,t_intended_s,t_start_s,t_end_s,pid,status,latency_ms,leak_kb,transient_kb";

    /// <summary>The manifest's format tag; a reader refuses folders of another major format.</summary>
    public const string FormatTag = "leaklab-results/1";

    /// <summary>The file of that name in the folder, plain or gzipped (name.gz); null when neither is there.</summary>
    public static string? Find(string dir, string name)
    {
        string plain = Path.Combine(dir, name);
        if (File.Exists(plain)) return plain;
        return File.Exists(plain + Gz) ? plain + Gz : null;
    }

    /// <summary>Opens a results file to read, shared with a writer still at it, gunzipping a .gz one.</summary>
    public static Stream OpenRead(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        return path.EndsWith(Gz, StringComparison.Ordinal)
            ? new System.IO.Compression.GZipStream(new BufferedStream(file, 1 << 16), System.IO.Compression.CompressionMode.Decompress)
            : file;
    }

    public static bool TryParseRole(ReadOnlySpan<byte> text, out ProcessRole role)
    {
        if (text.SequenceEqual("child"u8)) { role = ProcessRole.Child; return true; }
        if (text.SequenceEqual("master"u8)) { role = ProcessRole.Master; return true; }
        role = default;
        return false;
    }
}
