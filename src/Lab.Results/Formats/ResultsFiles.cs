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

    public const string SamplesHeader = "t_s,pid,role,rss_kb,vsz_kb,cpu_s,state,requests,pss_kb,uss_kb,swap_kb";
    public const string EventsHeader = "t_s,event,pid,detail";
    public const string RequestsHeader = "id,t_intended_s,t_start_s,t_end_s,pid,status,latency_ms,leak_kb,transient_kb,rss_kb,kind";

    /// <summary>The headers of folders written before columns were appended (still read).</summary>
    public const string SamplesHeaderV1 = "t_s,pid,role,rss_kb,vsz_kb,cpu_s,state,requests";
    public const string RequestsHeaderV1 = "id,t_intended_s,t_start_s,t_end_s,pid,status,latency_ms,leak_kb,transient_kb";

    /// <summary>The manifest's format tag; a reader refuses folders of another major format.</summary>
    public const string FormatTag = "leaklab-results/1";

    public static bool TryParseRole(ReadOnlySpan<byte> text, out ProcessRole role)
    {
        if (text.SequenceEqual("child"u8)) { role = ProcessRole.Child; return true; }
        if (text.SequenceEqual("master"u8)) { role = ProcessRole.Master; return true; }
        role = default;
        return false;
    }
}
