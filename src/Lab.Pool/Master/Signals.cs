using System.Runtime.InteropServices;
using Lab.Core.Logging;
using Lab.Core.Records;
using Lab.Scoreboard.Interop;

namespace Lab.Pool.Master;

// The master's signals (php-src fpm_signals.c: fpm_signals_init_main; fpm_events.c:
// fpm_got_signal): each one is posted to the event loop. SIGTERM and SIGINT terminate, SIGQUIT
// finishes gracefully, SIGUSR2 reloads (process control, ProcessControl.cs); SIGUSR1 reopens the log.
public sealed partial class FpmMaster
{
    private readonly List<PosixSignalRegistration> _signals = new();

    private void RegisterSignals()
    {
        void On(int signal, Action action) =>
            _signals.Add(PosixSignalRegistration.Create((PosixSignal)signal, ctx => { ctx.Cancel = true; Post(action); }));
        foreach (int signal in new[] { Native.SIGTERM, Native.SIGINT, Native.SIGQUIT, Native.SIGUSR2 })
        {
            int s = signal;
            On(s, () => OnMasterSignal(s));
        }
        On(Native.SIGUSR1, () =>
        {
            _log.Emit(FpmLogLevel.Debug, FpmLogFact.ReceivedSignal(Native.SIGUSR1));
            _log.Reopen();
            _log.Emit(FpmLogLevel.Notice, FpmLogFact.ErrorLogReopened);
        });
    }
}
