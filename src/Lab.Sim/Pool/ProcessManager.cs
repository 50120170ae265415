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
    /// <summary>When the listening socket's last edge-triggered event was handled (ondemand).</summary>
    private long _lastEdge = -1;

    /// <summary>The once-a-second maintenance (dynamic: spare servers; ondemand: idle timeout; static: nothing).</summary>
    private void PerformIdleServerMaintenance()
    {
        BuildViews();
        int idle = 0;
        foreach (var v in _views) if (v.Idle) idle++;
        int active = _views.Count - idle;
        if (_pool.Pm == ProcessManagerStyle.Ondemand)
            Emit(FpmLogLevel.Debug, FpmLogFact.CurrentlyOndemand(_pool.Name, active, idle));
        else if (_pool.Pm == ProcessManagerStyle.Dynamic)
            Emit(FpmLogLevel.Debug, FpmLogFact.CurrentlyDynamic(_pool.Name, active, idle, _children.Count, _policy.IdleSpawnRate));
        var decision = _policy.Maintain(_views, _children.Count, T);
        CarryOut(decision);
        if (decision.Spawn > 0) Emit(FpmLogLevel.Debug, FpmLogFact.CreatedDynamically(_pool.Name, decision.Spawn));
        if (_recycling.KillAtMaintenance(_views, T) is var pid and > 0 && FindChild(pid) is { } c) SendSignal(c, SIGQUIT);
    }

    /// <summary>
    /// ondemand: the listening socket became readable (fpm_pctl_on_socket_accept). The event is
    /// edge-triggered: connections arriving at the same instant make one event, and a connection
    /// left waiting is not looked at again (php bug #69724): one child at most per instant.
    /// </summary>
    private void OnSocketReadable()
    {
        if (_lastEdge == _sim.Now) return;
        _lastEdge = _sim.Now;
        BuildViews();
        var decision = _policy.OnAccept(_views, _children.Count);
        CarryOut(decision);
        if (decision.Spawn > 0) Emit(FpmLogLevel.Debug, FpmLogFact.ForkedOnAccept(_pool.Name));
    }

    private void CarryOut(in Maintenance decision)
    {
        if (decision.Log is { } line) Emit(line.Level, line.Fact);
        if (decision.KillPid != 0 && FindChild(decision.KillPid) is { } victim)
        {
            // fpm_pctl_kill_idle_child: SIGQUIT (the child exits with code 0 and is not replaced), SIGKILL if it already had one
            victim.IdleKill = true;
            SendSignal(victim, decision.KillSignal);
        }
        for (int i = 0; i < decision.Spawn; i++) Fork(debug: true);
    }

    /// <summary>The scoreboard as the policy reads it: a child is idle when its stage says it waits in accept().</summary>
    private void BuildViews()
    {
        _views.Clear();
        foreach (var c in _children)
            _views.Add(new ChildView(c.Pid, Simulation.ToSeconds(c.ForkedAt), c.Stage == ChildStage.Idle,
                Simulation.ToSeconds(c.LastActivity), c.IdleKill));
    }
}
