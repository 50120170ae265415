using System.Text;

namespace Lab.Engines.Real;

/// <summary>
/// Follows a log file as it grows (tail -F): every complete line goes to the callback, on a
/// background thread, within ~20 ms of being written. The master writes its php-fpm log there.
/// </summary>
public sealed class LogTail : IDisposable
{
    private readonly string _path;
    private readonly Action<string> _onLine;
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _stop = new();
    private long _offset;
    private readonly StringBuilder _partial = new();

    /// <param name="fromEnd">Start at the file's current end (follow a log that has a past, as tail -F -n 0 does), not at its start.</param>
    public LogTail(string path, Action<string> onLine, bool fromEnd = false)
    {
        _path = path;
        _onLine = onLine;
        if (fromEnd && File.Exists(path)) _offset = new FileInfo(path).Length;
        _thread = new Thread(Loop) { IsBackground = true, Name = "log tail " + Path.GetFileName(path) };
        _thread.Start();
    }

    private void Loop()
    {
        while (!_stop.Wait(20)) Drain();
        Drain();
        if (_partial.Length > 0) { _onLine(_partial.ToString()); _partial.Clear(); }
    }

    private void Drain()
    {
        try
        {
            using var fs = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (fs.Length < _offset) _offset = 0; // truncated (reopened log)
            if (fs.Length == _offset) return;
            fs.Seek(_offset, SeekOrigin.Begin);
            var buf = new byte[64 * 1024];
            int n;
            while ((n = fs.Read(buf, 0, buf.Length)) > 0)
            {
                _offset += n;
                _partial.Append(Encoding.UTF8.GetString(buf, 0, n));
                string text = _partial.ToString();
                int last = text.LastIndexOf('\n');
                if (last < 0) continue;
                foreach (var line in text[..last].Split('\n')) _onLine(line.TrimEnd('\r'));
                _partial.Clear().Append(text[(last + 1)..]);
            }
        }
        catch (FileNotFoundException) { }
        catch (DirectoryNotFoundException) { }
    }

    /// <summary>Reads what is left, then stops.</summary>
    public void Dispose()
    {
        _stop.Set();
        _thread.Join(TimeSpan.FromSeconds(5));
    }
}
