using System.Globalization;
using System.Text;
using Lab.Core.Logging;
using Lab.Core.ProcessManager;
using Lab.Core.Records;
using Lab.Scoreboard.Interop;

namespace Lab.Pool.Master;

// The master's request checks (php-src fpm_process_ctl.c: fpm_pctl_check_request_timeout;
// fpm_request.c: fpm_request_check_timed_out; fpm_php_trace.c): Lab.Core's RequestTimeouts
// decides, every heartbeat, for every child, in every state.
public sealed partial class FpmMaster
{
    private void CheckRequestTimeouts(long nowNs)
    {
        if (!RequestTimeouts.Any(Settings)) return;
        foreach (var c in _children.Values.ToList())
        {
            var s = c.Board.ReadSlot(c.Slot);
            if (s.AcceptedNs == 0) continue;
            if (c.SlowLoggedFor != 0 && c.SlowLoggedFor != s.AcceptedNs) c.SlowLoggedFor = 0; // another request
            double elapsed = (nowNs - s.AcceptedNs) / 1e9;
            string uri = s.Uri + (s.Query.Length > 0 ? "?" + s.Query : "");
            switch (RequestTimeouts.Check(s.Stage, elapsed, c.SlowLoggedFor != 0, Settings))
            {
                case TimeoutVerdict.Slow:
                    // php-fpm attaches with ptrace (the child stops), logs, and traces it when waitpid reports the stop
                    c.SlowLoggedFor = s.AcceptedNs;
                    c.TracePending = true;
                    Native.kill(c.Pid, 19 /* SIGSTOP */);
                    _log.Emit(FpmLogLevel.Warning, FpmLogFact.ExecutingTooSlow(PoolName, c.Pid, s.Script, s.Method, uri, elapsed));
                    break;
                case TimeoutVerdict.Terminate:
                    Native.kill(c.Pid, Native.SIGTERM);
                    _log.Emit(FpmLogLevel.Warning, FpmLogFact.ExecutionTimedOut(PoolName, c.Pid, s.Script, s.Method, uri, elapsed));
                    break;
            }
        }
    }

    /// <summary>
    /// fpm_php_trace for a child stopped for the slow log: one more slow request on the
    /// scoreboard, "about to trace", the slow log's entry (php-fpm's header and script; a .NET
    /// worker has no PHP stack to dump), the child continued, "finished trace".
    /// </summary>
    private void Trace(ChildProc child)
    {
        child.TracePending = false;
        child.Board.IncrementSlowRequests();
        _log.Emit(FpmLogLevel.Notice, FpmLogFact.AboutToTrace(child.Pid));
        if (_config.Pool.SlowLog is { Length: > 0 } path)
        {
            var s = child.Board.ReadSlot(child.Slot);
            string entry = string.Create(CultureInfo.InvariantCulture,
                $"\n[{DateTime.Now:dd-MMM-yyyy HH:mm:ss}]  [pool {PoolName}] pid {child.Pid}\nscript_filename = {s.Script}\n");
            int fd = Native.OpenAppend(path);
            if (fd >= 0)
            {
                Native.WriteAll(fd, Encoding.UTF8.GetBytes(entry));
                Native.close(fd);
            }
            else _log.Error($"unable to open slowlog ({path}): {Native.ErrorText(Native.Errno)}");
        }
        Native.kill(child.Pid, 18 /* SIGCONT */);
        _log.Emit(FpmLogLevel.Notice, FpmLogFact.FinishedTrace(child.Pid));
    }
}
