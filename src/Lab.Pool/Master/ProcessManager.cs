using Lab.Core.Logging;
using Lab.Core.ProcessManager;
using Lab.Core.Records;
using Lab.Core.Scenarios;
using Lab.Core.Status;
using Lab.Scoreboard.Interop;

namespace Lab.Pool.Master;

// The process manager (php-src fpm_process_ctl.c: fpm_pctl_perform_idle_server_maintenance,
// fpm_pctl_kill_idle_child, fpm_pctl_on_socket_accept): every decision is Lab.Core's
// ProcessManagerPolicy's, fed from the scoreboard.
public sealed partial class FpmMaster
{
    private System.Runtime.CompilerServices.StrongBox<bool>? _watcherStop;

    /// <summary>The scoreboard as the policy reads it: idle = the child's slot says it waits in accept() (fpm_request_is_idle).</summary>
    private List<ChildView> Views()
    {
        var views = new List<ChildView>(_children.Count);
        foreach (var c in _children.Values)
        {
            var s = c.Board.ReadSlot(c.Slot);
            views.Add(new ChildView(c.Pid, c.StartedNs / 1e9, s.Stage == RequestStage.Idle, s.LastActivityNs / 1e9, c.IdleKill));
        }
        return views;
    }

    /// <summary>The once-a-second maintenance, while the master can spawn: the status counters, then the policy's decision.</summary>
    private void PerformIdleServerMaintenance(long nowNs)
    {
        if (_board is null) return;
        UpdateListenQueue();
        var views = Views();
        int active = 0, idle = 0;
        foreach (var v in views) if (v.Idle) idle++; else active++;
        _board.NoteActive(active);
        if (Settings.Pm == ProcessManagerStyle.Ondemand)
            _log.Emit(FpmLogLevel.Debug, FpmLogFact.CurrentlyOndemand(PoolName, active, idle));
        else if (Settings.Pm == ProcessManagerStyle.Dynamic)
            _log.Emit(FpmLogLevel.Debug, FpmLogFact.CurrentlyDynamic(PoolName, active, idle, _children.Count, _policy.IdleSpawnRate));
        var m = _policy.Maintain(views, _children.Count, nowNs / 1e9);
        Apply(m);
        if (m.Spawn > 0) _log.Emit(FpmLogLevel.Debug, FpmLogFact.CreatedDynamically(PoolName, m.Spawn));
        if (_recycling.KillAtMaintenance(views, nowNs / 1e9) is var pid and > 0) Native.kill(pid, Native.SIGQUIT);
    }

    private void Apply(in Maintenance m)
    {
        if (m.Log is { } log) _log.Emit(log.Level, log.Fact);
        if (m.MaxChildrenReached) _board!.MaxChildrenReached = (int)_policy.MaxChildrenReached;
        if (m.KillPid != 0 && _children.TryGetValue(m.KillPid, out var victim))
        {
            victim.IdleKill = true; // fpm_pctl_kill_idle_child: SIGQUIT, or SIGKILL when it already had one
            Native.kill(victim.Pid, m.KillSignal);
        }
        for (int i = 0; i < m.Spawn; i++) SpawnChild(FpmLogLevel.Debug);
    }

    private void StartOndemandWatcher()
    {
        if (_watcherStop is not null) return;
        int listenFd = _listen!.Fd;
        var stop = _watcherStop = new System.Runtime.CompilerServices.StrongBox<bool>(false);
        new Thread(() => WatchSocket(listenFd, stop)) { IsBackground = true, Name = "ondemand accept watch" }.Start();
    }

    private void StopOndemandWatcher()
    {
        if (_watcherStop is { } stop) Volatile.Write(ref stop.Value, true);
        _watcherStop = null;
    }

    /// <summary>
    /// ondemand: an edge-triggered watch on the listening socket (php-fpm's FPM_EV_READ |
    /// FPM_EV_EDGE): each wake-up is one event, however many connections arrived meanwhile. As in
    /// php-fpm's single event loop, the socket is not watched again until the master has handled
    /// the event (its fork included): connections arriving meanwhile make the next event.
    /// </summary>
    private unsafe void WatchSocket(int listenFd, System.Runtime.CompilerServices.StrongBox<bool> stop)
    {
        int ep = Native.epoll_create1(Native.O_CLOEXEC);
        if (ep < 0) { Post(() => _log.Error($"epoll_create1: {Native.ErrorText(Native.Errno)}")); return; }
        var ev = new Native.EpollEvent { Events = unchecked((uint)(Native.EPOLLIN | Native.EPOLLET)), Data = (ulong)listenFd };
        Native.epoll_ctl(ep, Native.EPOLL_CTL_ADD, listenFd, &ev);
        Native.EpollEvent* events = stackalloc Native.EpollEvent[4];
        using var handled = new SemaphoreSlim(0);
        while (!Volatile.Read(ref stop.Value))
        {
            int n = Native.epoll_wait(ep, events, 4, 500);
            if (n <= 0 || Volatile.Read(ref stop.Value)) continue;
            Post(() => { try { OnSocketReadable(); } finally { handled.Release(); } });
            while (!handled.Wait(500) && !Volatile.Read(ref stop.Value)) { }
        }
        Native.close(ep);
    }

    /// <summary>
    /// fpm_pctl_on_socket_accept: one event, at most one child — the policy's rule, applied once.
    /// Connections left waiting get no second look (php bug #69724): nothing here retries.
    /// </summary>
    private void OnSocketReadable()
    {
        if (!_control.CanSpawn || Settings.Pm != ProcessManagerStyle.Ondemand) return;
        var m = _policy.OnAccept(Views(), _children.Count);
        Apply(m);
        if (m.Spawn > 0) _log.Emit(FpmLogLevel.Debug, FpmLogFact.ForkedOnAccept(PoolName));
    }
}
