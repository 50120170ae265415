using System.Text;
using Spectre.Console;

namespace Lab.Cli.Terminal;

/// <summary>
/// The lab's console, set up once at start: what the lab prints with Console.Out / Console.Error
/// goes through <see cref="GuardedWriter"/>s that show control characters visibly (text read
/// from files — a CSV holding binary junk, a log line with escape sequences — never reaches the
/// terminal as escape sequences) and that stop writing, silently, once the terminal is gone
/// (closed: EIO; a pipe whose reader left: EPIPE), so a run goes on to finish its results.
/// Spectre.Console (live views, progress bars) writes its own escape sequences to the same
/// terminal through a guarded writer that does not rewrite them.
/// </summary>
public static class ConsoleSetup
{
    private static bool _installed;

    public static void Install()
    {
        if (_installed) return;
        _installed = true;
        var rawOut = Console.Out;
        var rawErr = Console.Error;
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new TerminalOutput(new GuardedWriter(rawOut, visibleControls: false)),
        });
        Console.SetOut(new GuardedWriter(rawOut, visibleControls: true));
        Console.SetError(new GuardedWriter(rawErr, visibleControls: true));
    }

    /// <summary>Spectre.Console's view of standard output: a terminal unless redirected, its size read each time it is asked.</summary>
    private sealed class TerminalOutput(TextWriter writer) : IAnsiConsoleOutput
    {
        public TextWriter Writer => writer;
        public bool IsTerminal => !Console.IsOutputRedirected;
        public int Width => Safe(() => Console.WindowWidth, 80);
        public int Height => Safe(() => Console.WindowHeight, 24);
        public void SetEncoding(Encoding encoding) { }

        private int Safe(Func<int> read, int fallback)
        {
            if (!IsTerminal) return fallback;
            try { return read() is > 0 and var v ? v : fallback; }
            catch (Exception e) when (e is IOException or InvalidOperationException or PlatformNotSupportedException) { return fallback; }
        }
    }
}

/// <summary>Text made safe for a terminal: control characters shown as cat -v shows them (^[, ^G, ^?, M-^[), newlines and tabs kept.</summary>
public static class TerminalText
{
    public static string Clean(string? s)
    {
        if (string.IsNullOrEmpty(s) || !NeedsCleaning(s)) return s ?? "";
        var sb = new StringBuilder(s.Length + 8);
        foreach (char c in s) Append(sb, c);
        return sb.ToString();
    }

    private static bool NeedsCleaning(string s)
    {
        foreach (char c in s) if (IsControl(c)) return true;
        return false;
    }

    private static bool IsControl(char c) => (c < 0x20 && c != '\n' && c != '\t') || c == 0x7F || (c >= 0x80 && c < 0xA0);

    private static void Append(StringBuilder sb, char c)
    {
        if (!IsControl(c)) { sb.Append(c); return; }
        if (c == 0x7F) { sb.Append("^?"); return; }
        if (c >= 0x80) { sb.Append("M-^").Append((char)(c - 0x80 + '@')); return; }
        sb.Append('^').Append((char)(c + '@'));
    }
}

/// <summary>
/// A console writer that keeps going when the terminal does not: after the first failed write
/// (the terminal closed, the pipe's reader left) it drops what it is given. With
/// visibleControls, control characters are shown (<see cref="TerminalText"/>).
/// </summary>
internal sealed class GuardedWriter(TextWriter inner, bool visibleControls) : TextWriter
{
    private volatile bool _gone;

    public override Encoding Encoding => inner.Encoding;
    public override string NewLine { get => "\n"; set { } }

    private void Guard(Action write)
    {
        if (_gone) return;
        try { write(); }
        catch (Exception e) when (e is IOException or ObjectDisposedException or UnauthorizedAccessException) { _gone = true; }
    }

    private string? Show(string? s) => visibleControls ? TerminalText.Clean(s) : s;

    public override void Write(char value) => Guard(() =>
    {
        if (visibleControls && value != '\n' && value != '\t' && (value < 0x20 || value == 0x7F || (value >= 0x80 && value < 0xA0))) inner.Write(TerminalText.Clean(value.ToString()));
        else inner.Write(value);
    });
    public override void Write(string? value) => Guard(() => inner.Write(Show(value)));
    public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));
    public override void WriteLine() => Guard(() => inner.Write('\n'));
    public override void WriteLine(string? value) => Guard(() => inner.Write(Show(value) + "\n"));
    public override void Flush() => Guard(inner.Flush);
}
