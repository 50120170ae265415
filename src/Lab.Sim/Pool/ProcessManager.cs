using Lab.Core.Logging;
using Lab.Core.ProcessManager;
using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.Sim.Engine;

namespace Lab.Sim.Pool;

// The process manager (php-src fpm_process_ctl.c: fpm_pctl_perform_idle_server_maintenance and
// fpm_pctl_on_socket_accept). Every decision is Lab.Core's ProcessManagerPolicy's, shared with
// the dotnet master; this file feeds it the scoreboard and carries out what it decides.
internal sealed partial class Fpm
{
    /// <summary>The once-a-second maintenance (dynamic: spare servers; ondemand: idle timeout; static: nothing).</summary>
    private void PerformIdleServerMaintenance()
    {
        BuildViews();
        if (Logs(FpmLogLevel.Debug))
        {
            int active = _children.Count - _idleCount;
            if (_pool.Pm == ProcessManagerStyle.Dynamic)
                Log(FpmLogLevel.Debug, SimMessages.CurrentlyDynamic(_pool.Name, active, _idleCount, _children.Count, _policy.IdleSpawnRate));
            else if (_pool.Pm == ProcessManagerStyle.Ondemand)
                Log(FpmLogLevel.Debug, SimMessages.CurrentlyOndemand(_pool.Name, active, _idleCount));
        }
        var decision = _policy.Maintain(_views, _children.Count, T);
        CarryOut(decision);
        if (decision.Spawn > 0 && Logs(FpmLogLevel.Debug))
            Log(FpmLogLevel.Debug, SimMessages.CreatedDynamically(_pool.Name, decision.Spawn));
    }

    /// <summary>ondemand: a connection is waiting and no child is idle (fpm_pctl_on_socket_accept).</summary>
    private void OnDemandAccept()
    {
        BuildViews();
        var decision = _policy.OnAccept(_views, _children.Count);
        CarryOut(decision);
        if (decision.Spawn > 0 && Logs(FpmLogLevel.Debug)) Log(FpmLogLevel.Debug, SimMessages.ForkedOnAccept(_pool.Name));
    }

    private void CarryOut(in Maintenance decision)
    {
        if (decision.Log is { } line) Log(line.Level, line.Message);
        if (decision.MaxChildrenReached) Event(EventNames.MaxChildren, _masterPid, $"max_children {_pool.MaxChildren}");
        if (decision.KillPid != 0 && FindChild(decision.KillPid) is { } victim)
        {
            // idle kill: SIGQUIT to an idle child, which exits with code 0 at once and is not replaced
            victim.IdleKill = true;
            SendSignal(victim, SIGQUIT, "idle", external: false);
        }
        string why = _pool.Pm == ProcessManagerStyle.Ondemand ? "ondemand" : "maintenance";
        for (int i = 0; i < decision.Spawn; i++) Fork(why, debug: true);
    }

    /// <summary>The scoreboard as the policy reads it: a child is idle when it waits in accept().</summary>
    private void BuildViews()
    {
        _views.Clear();
        foreach (var c in _children)
            _views.Add(new ChildView(c.Pid, Simulation.ToSeconds(c.ForkedAt), c.Stage == ChildStage.Idle, Simulation.ToSeconds(c.LastActivity)));
    }
}
