using System.Globalization;
using System.Text.RegularExpressions;
using Lab.Core.Logging;
using Lab.Core.Records;

namespace Lab.Engines.Logs;

/// <summary>One line of a php-fpm error log, split.</summary>
/// <param name="Message">The text after the level (and after the debug "pid N, func(), line L: " prefix).</param>
public sealed record FpmLogLine(string Raw, FpmLogLevel Level, string Timestamp, string Message);

/// <summary>What a php-fpm log line says happened.</summary>
public enum FpmLogKind
{
    Other, MasterStarted, Ready, Terminating, Exiting, Reloading, ChildStarted, ChildExitedCode,
    ChildExitedSignal, ChildKilledByPm, ExecutionTimedOut, MaxChildrenReached, SeemsBusy, ChildStderr,
}

public readonly record struct FpmLogFact(FpmLogKind Kind, int Pid, int Code, int Signal, double Seconds, string Text);

/// <summary>
/// Reads php-fpm's error log (php-src sapi/fpm/fpm/zlog.c): "[25-Nov-2026 04:32:10] NOTICE: msg"
/// at log_level notice and above, "[25-Nov-2026 04:32:10.123456] DEBUG: pid 13670,
/// fpm_children_make(), line 420: msg" at debug. The real php-fpm and the lab's dotnet master
/// write the same lines, so one parser turns both into events.
/// </summary>
public static partial class FpmLogParser
{
    [GeneratedRegex(@"^\[(?<ts>\d{2}-[A-Za-z]{3}-\d{4} \d{2}:\d{2}:\d{2})(?<us>\.\d{1,6})?\] (?<level>DEBUG|NOTICE|WARNING|ERROR|ALERT): (?:pid \d+, (?:\w+|\(null\))\(\), line \d+: )?(?<msg>.*)$")]
    private static partial Regex LineRx();

    [GeneratedRegex(@"^\[pool [^\]]+\] child (?<pid>\d+) started$")]
    private static partial Regex StartedRx();
    [GeneratedRegex(@"^\[pool [^\]]+\] child (?<pid>\d+) exited with code (?<code>\d+) after (?<s>[\d.]+) seconds from start$")]
    private static partial Regex ExitCodeRx();
    [GeneratedRegex(@"^\[pool [^\]]+\] child (?<pid>\d+) exited on signal (?<sig>\d+) \([A-Z0-9]+(?: - core dumped)?\) after (?<s>[\d.]+) seconds from start$")]
    private static partial Regex ExitSignalRx();
    [GeneratedRegex(@"^\[pool [^\]]+\] child (?<pid>\d+) has been killed by the process management after (?<s>[\d.]+) seconds from start")]
    private static partial Regex KilledByPmRx();
    [GeneratedRegex(@"^\[pool [^\]]+\] child (?<pid>\d+), script '.*' \(request: "".*""\) execution timed out \((?<s>[\d.]+) sec\), terminating$")]
    private static partial Regex TimedOutRx();
    [GeneratedRegex(@"^\[pool [^\]]+\] server reached (?:pm\.)?max_children setting \((?<n>\d+)\), consider raising it$")]
    private static partial Regex MaxChildrenRx();
    [GeneratedRegex(@"^\[pool [^\]]+\] child (?<pid>\d+) said into (?:stderr|stdout): ""?(?<text>.*?)""?$")]
    private static partial Regex StderrRx();
    [GeneratedRegex(@"^fpm is running, pid (?<pid>\d+)$")]
    private static partial Regex RunningRx();

    public static FpmLogLine? ParseLine(string raw)
    {
        var m = LineRx().Match(raw.TrimEnd('\r', '\n'));
        if (!m.Success) return null;
        var level = m.Groups["level"].Value switch
        {
            "DEBUG" => FpmLogLevel.Debug,
            "NOTICE" => FpmLogLevel.Notice,
            "WARNING" => FpmLogLevel.Warning,
            "ERROR" => FpmLogLevel.Error,
            _ => FpmLogLevel.Alert,
        };
        return new FpmLogLine(raw, level, m.Groups["ts"].Value, m.Groups["msg"].Value);
    }

    /// <summary>The line as php-fpm would have written it at log_level notice: no microseconds, no debug prefix.</summary>
    public static string AsNoticeLevel(FpmLogLine line) =>
        $"[{line.Timestamp}] {FpmMessages.LevelName(line.Level)}: {line.Message}";

    public static FpmLogFact Classify(string message)
    {
        Match m;
        if ((m = StartedRx().Match(message)).Success) return Fact(FpmLogKind.ChildStarted, m);
        if ((m = ExitCodeRx().Match(message)).Success) return Fact(FpmLogKind.ChildExitedCode, m) with { Code = Int(m, "code") };
        if ((m = ExitSignalRx().Match(message)).Success) return Fact(FpmLogKind.ChildExitedSignal, m) with { Signal = Int(m, "sig") };
        if ((m = KilledByPmRx().Match(message)).Success) return Fact(FpmLogKind.ChildKilledByPm, m);
        if ((m = TimedOutRx().Match(message)).Success) return Fact(FpmLogKind.ExecutionTimedOut, m);
        if ((m = MaxChildrenRx().Match(message)).Success) return new FpmLogFact(FpmLogKind.MaxChildrenReached, 0, Int(m, "n"), 0, 0, message);
        if ((m = StderrRx().Match(message)).Success) return new FpmLogFact(FpmLogKind.ChildStderr, Int(m, "pid"), 0, 0, 0, m.Groups["text"].Value);
        if ((m = RunningRx().Match(message)).Success) return new FpmLogFact(FpmLogKind.MasterStarted, Int(m, "pid"), 0, 0, 0, message);
        if (message == FpmMessages.ReadyToHandle) return new FpmLogFact(FpmLogKind.Ready, 0, 0, 0, 0, message);
        if (message.StartsWith("Terminating", StringComparison.Ordinal) || message.StartsWith("Finishing", StringComparison.Ordinal))
            return new FpmLogFact(FpmLogKind.Terminating, 0, 0, 0, 0, message);
        if (message.StartsWith("exiting, bye-bye", StringComparison.Ordinal)) return new FpmLogFact(FpmLogKind.Exiting, 0, 0, 0, 0, message);
        if (message.StartsWith("Reloading in progress", StringComparison.Ordinal)) return new FpmLogFact(FpmLogKind.Reloading, 0, 0, 0, 0, message);
        if (message.Contains("seems busy", StringComparison.Ordinal)) return new FpmLogFact(FpmLogKind.SeemsBusy, 0, 0, 0, 0, message);
        return new FpmLogFact(FpmLogKind.Other, 0, 0, 0, 0, message);
    }

    private static FpmLogFact Fact(FpmLogKind kind, Match m) =>
        new(kind, Int(m, "pid"), 0, 0, m.Groups["s"].Success ? double.Parse(m.Groups["s"].Value, CultureInfo.InvariantCulture) : 0, m.Value);

    private static int Int(Match m, string group) => int.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture);
}
