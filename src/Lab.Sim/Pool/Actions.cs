using Lab.Core.Events;
using Lab.Core.Records;
using Lab.Core.Scenarios;

namespace Lab.Sim.Pool;

// The scenario's timed actions: what an operator (or the article's author) does to the pool.
internal sealed partial class Fpm
{
    /// <summary>A restart is under way: when the master has exited, a new one starts.</summary>
    private bool _restarting;

    private void RunAction(ScenarioAction action)
    {
        switch (action.Kind)
        {
            case ActionKind.Restart:
                // the article's "kill + start": SIGTERM to the master, then a new master at once
                LabEvent(PoolEvent.Of(T, PoolEventKind.Action, _masterPid, "restart"));
                if (_down) { StartMaster(newProcess: true); return; }
                LabEvent(PoolEvent.Of(T, PoolEventKind.Restart, _masterPid, $"master {_masterPid}"));
                _restarting = true;
                _follower.MasterStopping(ExitCause.Restart);
                Signal(SIGTERM);
                break;

            case ActionKind.Reload:
                // SIGUSR2 to the master: graceful reload, maybe with new pool settings
                LabEvent(PoolEvent.Of(T, PoolEventKind.Action, _masterPid, action.NewPool is null ? "reload" : "reload;" + PoolEvent.SettingsNote(action.NewPool)));
                Signal(SIGUSR2, action.NewPool);
                break;

            case ActionKind.Stop:
                // SIGQUIT (graceful: "Finishing ...") or SIGTERM ("Terminating ...") to the master; no new master
                LabEvent(PoolEvent.Of(T, PoolEventKind.Action, _masterPid, "stop;" + Core.Logging.FpmMessages.SignalName(action.Signal)));
                Signal(action.Signal);
                break;

            default:
            {
                string target = action.Target.ToString().ToLowerInvariant();
                var victim = SelectChild(action.Target);
                LabEvent(PoolEvent.Of(T, PoolEventKind.Action, _masterPid, victim is null
                    ? $"kill-child;{target};signal {action.Signal};no such child"
                    : $"kill-child;{target};signal {action.Signal};pid {victim.Pid}"));
                if (victim is null) break;
                if (FpmLogFollower.EndsProcess(action.Signal)) _follower.ExpectExit(victim.Pid, ExitCause.KillChild);
                LabEvent(PoolEvent.Kill(T, victim.Pid, action.Signal, ExitCause.KillChild));
                SendSignal(victim, action.Signal);
                break;
            }
        }
    }

    /// <summary>
    /// The child a kill-child action hits: oldest / newest by fork time; busy / idle: the
    /// oldest-started among the busy (serving) or idle (in accept()) ones; largest: the highest
    /// RSS (the oldest on a tie). Null when none matches.
    /// </summary>
    private Child? SelectChild(ChildSelector selector)
    {
        Child? best = null;
        foreach (var c in _children) // fork order: the first found is the oldest
        {
            switch (selector)
            {
                case ChildSelector.Oldest: return c;
                case ChildSelector.Newest: best = c; break;
                case ChildSelector.Busy: if (c.Stage == ChildStage.Busy) return c; break;
                case ChildSelector.Idle: if (c.Stage == ChildStage.Idle) return c; break;
                case ChildSelector.Largest:
                    if (best is null || c.Memory.RssKb(_mem) > best.Memory.RssKb(_mem)) best = c;
                    break;
            }
        }
        return best;
    }
}
