using System.Globalization;
using System.Text;
using Lab.Pool.Interop;

namespace Lab.Pool.Master;

/// <summary>
/// A machine-readable account of what the master did, for the lab (events.csv): one line per
/// event, "unix_time_s,event,pid,detail", with Lab.Core's EventNames vocabulary and exit details
/// "&lt;how&gt;;&lt;why&gt;" (code 0;max_requests, signal 9;kill-child, signal 15;timeout, code 0;idle, ...).
/// </summary>
public sealed class EventsFile : IDisposable
{
    private readonly object _gate = new();
    private readonly int _fd = -1;

    public EventsFile(string? path)
    {
        if (string.IsNullOrEmpty(path)) return;
        _fd = Native.OpenAppend(path);
        if (_fd < 0) throw new IOException($"cannot open the events file {path}: {Native.ErrorText(Native.Errno)}");
    }

    public void Write(string @event, int pid, string detail)
    {
        if (_fd < 0) return;
        double t = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        string line = string.Create(CultureInfo.InvariantCulture, $"{t:0.000},{@event},{pid},{detail.Replace(',', ' ')}\n");
        var bytes = Encoding.UTF8.GetBytes(line);
        lock (_gate) Native.WriteAll(_fd, bytes);
    }

    /// <summary>Parses one line back (for the lab): (unix time, event, pid, detail).</summary>
    public static (double UnixTime, string Event, int Pid, string Detail)? ParseLine(string line)
    {
        var parts = line.Split(',', 4);
        if (parts.Length < 4) return null;
        if (!double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double t)) return null;
        if (!int.TryParse(parts[2], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int pid)) return null;
        return (t, parts[1], pid, parts[3]);
    }

    public void Dispose()
    {
        if (_fd >= 0) Native.close(_fd);
    }
}
