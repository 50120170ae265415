using System.Runtime.InteropServices;

namespace Lab.Cli.Terminal;

/// <summary>
/// While it lives, Ctrl-C and the given signals (SIGTERM, SIGHUP) cancel <see cref="Token"/>
/// instead of killing the lab, so what was measured until then is kept; <see cref="By"/> says
/// which one came first. Disposed, they act as usual again.
/// </summary>
internal sealed class Interruption : IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private readonly PosixSignalRegistration[] _signals;
    private string? _by;

    public Interruption(params PosixSignal[] signals)
    {
        Console.CancelKeyPress += OnCtrlC;
        _signals = signals.Select(s => PosixSignalRegistration.Create(s, ctx => { ctx.Cancel = true; Interrupt(s.ToString()); })).ToArray();
    }

    public CancellationToken Token => _cancel.Token;

    /// <summary>"Ctrl-C", "SIGTERM", "SIGHUP", or null when nothing interrupted.</summary>
    public string? By => Volatile.Read(ref _by);

    private void OnCtrlC(object? sender, ConsoleCancelEventArgs e)
    {
        e.Cancel = true;
        Interrupt("Ctrl-C");
    }

    private void Interrupt(string by)
    {
        Interlocked.CompareExchange(ref _by, by, null);
        _cancel.Cancel();
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCtrlC;
        foreach (var s in _signals) s.Dispose();
        _cancel.Dispose();
    }
}
