using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Lab.Core.Logging;
using Lab.Core.Records;
using Lab.Scoreboard.Interop;

namespace Lab.Pool.Logging;

/// <summary>
/// php-fpm's error_log (zlog.c): "[25-Nov-2026 04:32:10] NOTICE: message" in local time, and at
/// log_level = debug "[25-Nov-2026 04:32:10.123456] DEBUG: pid 123, Function(), line 45: message"
/// (microseconds, the master's pid and where the line comes from). Thread-safe; each line is
/// one write(2) so lines never interleave.
/// </summary>
public sealed class FpmLog : IDisposable
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private readonly object _gate = new();
    private readonly int _pid = Environment.ProcessId;
    private int _fd;
    private readonly bool _ownsFd;

    public FpmLog(string errorLog, FpmLogLevel level)
    {
        Level = level;
        Target = errorLog;
        if (errorLog is "/proc/self/fd/2" or "/dev/stderr" or "") { _fd = 2; return; }
        if (errorLog is "/proc/self/fd/1" or "/dev/stdout") { _fd = 1; return; }
        string? dir = Path.GetDirectoryName(errorLog);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        _fd = Native.OpenAppend(errorLog);
        if (_fd < 0) throw new IOException($"failed to open error_log ({errorLog}): {Native.ErrorText(Native.Errno)}");
        _ownsFd = true;
    }

    public FpmLogLevel Level { get; set; }
    public string Target { get; }

    public bool Enabled(FpmLogLevel level) => level >= Level;

    public void Debug(string message, [CallerMemberName] string function = "", [CallerLineNumber] int line = 0) =>
        Write(FpmLogLevel.Debug, message, function, line);
    public void Notice(string message, [CallerMemberName] string function = "", [CallerLineNumber] int line = 0) =>
        Write(FpmLogLevel.Notice, message, function, line);
    public void Warning(string message, [CallerMemberName] string function = "", [CallerLineNumber] int line = 0) =>
        Write(FpmLogLevel.Warning, message, function, line);
    public void Error(string message, [CallerMemberName] string function = "", [CallerLineNumber] int line = 0) =>
        Write(FpmLogLevel.Error, message, function, line);

    /// <summary>A php-fpm line (Lab.Core's wording table) at its level.</summary>
    public void Emit(FpmLogLevel level, in FpmLogFact fact, [CallerMemberName] string function = "", [CallerLineNumber] int line = 0)
    {
        if (Enabled(level)) Write(level, fact.Message, function, line);
    }

    public void Write(FpmLogLevel level, string message, [CallerMemberName] string function = "", [CallerLineNumber] int line = 0)
    {
        if (!Enabled(level)) return;
        string text = Format(DateTime.Now, level, message, function, line) + "\n";
        var bytes = Encoding.UTF8.GetBytes(text);
        lock (_gate) Native.WriteAll(_fd, bytes);
    }

    /// <summary>A line as it is, without prefix (a child's output with decorate_workers_output = no).</summary>
    public void WriteRaw(string line)
    {
        var bytes = Encoding.UTF8.GetBytes(line + "\n");
        lock (_gate) Native.WriteAll(_fd, bytes);
    }

    /// <summary>One line, without its newline.</summary>
    public string Format(DateTime local, FpmLogLevel level, string message, string function, int line)
    {
        if (Level != FpmLogLevel.Debug) return FpmMessages.FormatLine(local, level, message);
        return $"[{local.ToString("dd-MMM-yyyy HH:mm:ss", Inv)}.{(local.Ticks % TimeSpan.TicksPerSecond / 10).ToString("000000", Inv)}] " +
               $"{FpmMessages.LevelName(level)}: pid {_pid.ToString(Inv)}, {function}(), line {line.ToString(Inv)}: {message}";
    }

    /// <summary>SIGUSR1: reopen the log file (after a rotation).</summary>
    public void Reopen()
    {
        if (!_ownsFd) return;
        lock (_gate)
        {
            int fd = Native.OpenAppend(Target);
            if (fd < 0) return;
            Native.close(_fd);
            _fd = fd;
        }
    }

    public void Dispose()
    {
        if (_ownsFd) lock (_gate) Native.close(_fd);
    }
}
