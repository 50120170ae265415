using Lab.Core.Logging;
using Lab.Core.ProcessManager;
using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.Pool.Config;
using Lab.Pool.Logging;
using Lab.Scoreboard.Interop;

namespace Lab.Pool.Master;

// Process control (php-src fpm_process_ctl.c: fpm_pctl, fpm_pctl_kill_all, fpm_pctl_exec,
// fpm_pctl_exit): the master carries out Lab.Core's ProcessControl — the signal to every child,
// its timer (process_control_timeout, then 1 s: SIGQUIT → SIGTERM → SIGKILL), and the last
// action: re-executing for a reload, exiting for a stop.
public sealed partial class FpmMaster
{
    /// <summary>A signal to the master asks for a state (fpm_got_signal): "received SIG...", php-fpm's NOTICE, then process control.</summary>
    private void OnMasterSignal(int signal)
    {
        if (ProcessControl.ForSignal(signal) is not { } request) return;
        _log.Emit(FpmLogLevel.Debug, FpmLogFact.ReceivedSignal(signal));
        _log.Emit(FpmLogLevel.Notice, request.Notice);
        CarryOut(_control.Set(request.State, _children.Count));
    }

    /// <summary>
    /// Carries out a process-control decision: its lines; the signal to every child, each logged
    /// as fpm_pctl_kill_all does, then "N child(ren) still alive"; the timer (0 s: the loop's next
    /// pass); or the last action.
    /// </summary>
    private void CarryOut(in PctlAction action)
    {
        foreach (var line in action.Logs) _log.Emit(line.Level, line.Fact);
        if (action.SignalAll != 0)
        {
            int alive = 0;
            foreach (var c in _children.Values)
            {
                if (Native.kill(c.Pid, action.SignalAll) == 0) alive++;
                _log.Emit(FpmLogLevel.Debug, FpmLogFact.SendingSignal(PoolName, action.SignalAll, c.Pid));
            }
            if (alive > 0) _log.Emit(FpmLogLevel.Debug, FpmLogFact.ChildrenStillAlive(alive));
        }
        if (action.TimerSeconds >= 0) _pctlDeadlineNs = Math.Max(1, NowNs + action.TimerSeconds * 1_000_000_000L);
        switch (action.Last)
        {
            case PctlLast.Exec: Exec(); break;
            case PctlLast.Exit: MasterExit(); break;
        }
    }

    /// <summary>fpm_pctl_exit: "exiting, bye-bye!" and the process ends.</summary>
    private void MasterExit()
    {
        _pctlDeadlineNs = 0;
        _log.Emit(FpmLogLevel.Notice, FpmLogFact.Exiting);
        _exit = true;
    }

    /// <summary>
    /// fpm_pctl_exec: php-fpm re-executes itself (same pid) and reads its configuration again.
    /// The lab's master does it in place: it logs php-fpm's "reloading: execvp(...)", re-reads the
    /// file, keeps the listening socket when the address is the same ("using inherited socket"),
    /// takes a fresh scoreboard and starts the new children. A configuration php-fpm would refuse
    /// ends the master (exit code 78), as the re-executed php-fpm would.
    /// </summary>
    private void Exec()
    {
        _pctlDeadlineNs = 0;
        string binary = Environment.ProcessPath ?? "Lab.Pool";
        _log.Emit(FpmLogLevel.Notice, FpmLogFact.ReloadingExecvp(FpmMessages.ExecvpArguments(binary, [MasterProcessTitle])));
        FpmConfiguration fresh;
        try { fresh = FpmConfigFile.Load(_options.ConfigPath); }
        catch (FpmConfigException e)
        {
            ConfigFailed(e);
            _exit = true;
            return;
        }
        bool sameSocket = fresh.Pool.Listen == _config.Pool.Listen && fresh.Pool.IsUnixSocket == _config.Pool.IsUnixSocket;
        if (fresh.Global.ErrorLog != _log.Target || fresh.Global.LogLevel != _log.Level)
        {
            var old = _log;
            _log = new FpmLog(fresh.Global.ErrorLog, fresh.Global.LogLevel);
            old.Dispose();
        }
        if (sameSocket) _log.Emit(FpmLogLevel.Notice, FpmLogFact.UsingInheritedSocket(_listen!.Fd, _listen.Address));
        else
        {
            StopOndemandWatcher();
            _listen!.Close(removeFile: true);
            _listen = ListenSocket.Open(fresh.Pool);
        }
        _config = fresh;
        _policy.Reset(fresh.Pool.Settings);
        _control.Reexec(fresh.Pool.Settings);
        try { StartPool(); }
        catch (FpmConfigException e)
        {
            ConfigFailed(e);
            KillAllChildren();
            _exit = true;
        }
    }

    /// <summary>The master's argv[0] as ps shows it.</summary>
    private string MasterProcessTitle => $"lab-fpm: master process ({_options.ConfigPath})";
}
