using System.Globalization;
using Lab.Core.Logging;
using Lab.Core.ProcessManager;
using Lab.Core.Records;
using Lab.Pool.Interop;
using Lab.Scoreboard;
using Lab.Scoreboard.Interop;

namespace Lab.Pool.Master;

// The children (php-src fpm_children.c): fork (fpm_children_make) as posix_spawn of the worker,
// the environment it needs, its caught output (fpm_stdio.c), and burying it when it ends
// (fpm_children_bury): the line, the respawn and the emergency restart are Lab.Core's
// ProcessControl.ChildExited.
public sealed partial class FpmMaster
{
    private sealed class ChildProc
    {
        public required int Pid;
        public required int Slot;
        public required SharedScoreboard Board;
        public required long StartedNs;
        /// <summary>php-fpm's child->idle_kill.</summary>
        public bool IdleKill;
        /// <summary>The accept time of the request already logged as slow (php-fpm's child->slow_logged).</summary>
        public long SlowLoggedFor;
        /// <summary>The master stopped it to trace a slow request (php-fpm's child->tracer).</summary>
        public bool TracePending;
        /// <summary>Its life number (the pool's forks from 0) and request limit (Recycle.cs).</summary>
        public long Life, Limit;
        /// <summary>A [recycle] rule of the master ended it (kill_rss, pool_budget).</summary>
        public bool LabRecycled;
    }

    private readonly Dictionary<int, ChildProc> _children = new();
    /// <summary>What every child of the current configuration gets in its environment but its slot (see <see cref="ChildEnvironment"/>).</summary>
    private List<string> _childEnv = [];

    /// <summary>Forks one child when process control allows it (fpm_pctl_can_spawn_children); "child N started" at this level.</summary>
    private ChildProc? SpawnChild(FpmLogLevel startedLevel)
    {
        if (!_control.CanSpawn) return null;
        var board = _board!;
        var used = new HashSet<int>();
        foreach (var c in _children.Values) if (c.Board == board) used.Add(c.Slot);
        int slot = -1;
        for (int i = 0; i < board.SlotCount; i++) if (!used.Contains(i)) { slot = i; break; }
        if (slot < 0)
        {
            _log.Error($"[pool {PoolName}] no free scoreboard slot: {used.Count} children for {board.SlotCount} slots");
            return null;
        }
        long startedNs = NowNs;
        board.InitSlot(slot, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), startedNs);

        (int Read, int Write) stdout = (-1, -1), stderr = (-1, -1);
        if (_config.Pool.CatchWorkersOutput)
        {
            stdout = ChildOutput.CreatePipe();
            stderr = ChildOutput.CreatePipe();
        }
        var (life, limit) = NextLife(slot);
        int pid;
        try
        {
            pid = Spawner.Spawn(_options.WorkerPath, [$"lab-fpm: pool {PoolName}"], 
                [.. _childEnv, $"LAB_FPM_SLOT={slot.ToString(CultureInfo.InvariantCulture)}", $"LAB_FPM_LIFE={life.ToString(CultureInfo.InvariantCulture)}"],
                [(_listen!.Fd, 3), (board.Fd, 4), (stdout.Write >= 0 ? stdout.Write : _devNull, 1), (stderr.Write >= 0 ? stderr.Write : _devNull, 2),
                 .. (_codeFd >= 0 ? new[] { (_codeFd, 5) } : [])],
                stdinDevNull: true);
        }
        catch (IOException e)
        {
            _log.Error($"[pool {PoolName}] fork() failed: {e.Message}");
            foreach (int fd in new[] { stdout.Read, stdout.Write, stderr.Read, stderr.Write }) if (fd >= 0) Native.close(fd);
            board.FreeSlot(slot);
            return null;
        }
        if (stdout.Write >= 0)
        {
            Native.close(stdout.Write);
            Native.close(stderr.Write);
            _output!.Add(stdout.Read, pid, isStdout: true);
            _output.Add(stderr.Read, pid, isStdout: false);
        }
        board.SetPid(slot, pid);
        var child = new ChildProc { Pid = pid, Slot = slot, Board = board, StartedNs = startedNs, Life = life, Limit = limit };
        _children[pid] = child;
        _reaper!.ChildSpawned();
        _log.Emit(startedLevel, FpmLogFact.ChildStarted(PoolName, pid));
        return child;
    }

    /// <summary>
    /// The children's environment for the current configuration (built at start and at each
    /// reload, not per spawn): the master's own, the listening socket (LISTEN_FDS, fd 3), the
    /// scoreboard (fd 4), the pool's settings, and the user to drop to when the master is root
    /// (php-fpm's user/group: the child does setgroups, setgid, setuid and keeps no capability).
    /// </summary>
    private List<string> ChildEnvironment()
    {
        var env = Spawner.InheritedEnvironment(key => key.StartsWith("LAB_FPM_", StringComparison.Ordinal) || key is "LISTEN_FDS" or "LISTEN_PID");
        var inv = CultureInfo.InvariantCulture;
        var pool = _config.Pool;
        env.Add("LISTEN_FDS=1");
        env.Add("LAB_FPM_SCOREBOARD_FD=4");
        if (_codeFd >= 0) env.Add($"LAB_FPM_CODE_FD=5;{_codeBytes.ToString(inv)}"); // request.code: fd 5, its size
        env.Add($"LAB_FPM_MAX_REQUESTS={Settings.MaxRequests.ToString(inv)}");
        env.Add($"LAB_FPM_MEMORY_LIMIT={Settings.MemoryLimitBytes.ToString(inv)}");
        env.Add($"LAB_FPM_STATUS_PATH={pool.StatusPath}");
        env.Add($"LAB_FPM_MASTER_PID={_pid.ToString(inv)}");
        if (Native.geteuid() == 0 && pool.User is not null)
        {
            if (Native.LookupUser(pool.User) is { } u)
            {
                env.Add($"LAB_FPM_UID={u.Uid.ToString(inv)}");
                uint gid = pool.Group is not null && Native.LookupGroup(pool.Group) is { } g ? g : u.Gid;
                env.Add($"LAB_FPM_GID={gid.ToString(inv)}");
            }
            else throw new Config.FpmConfigException($"[pool {PoolName}] cannot get uid for user '{pool.User}'");
        }
        return env;
    }

    /// <summary>catch_workers_output: a child's line, decorated as php-fpm does ("child N said into stderr").</summary>
    private void OnChildOutput(int pid, bool isStdout, string line)
    {
        if (_config.Pool.DecorateWorkersOutput)
            _log.Emit(FpmLogLevel.Warning, isStdout ? FpmLogFact.ChildStdout(PoolName, pid, line) : FpmLogFact.ChildStderr(PoolName, pid, line));
        else
            _log.WriteRaw(line); // decorate_workers_output = no: the child's line as it is
    }

    /// <summary>
    /// waitpid said something of a child (the reaper waits with WUNTRACED, as fpm_children_bury):
    /// stopped — "stopped for tracing", and the slow log's trace when the master stopped it; or
    /// gone — buried by Lab.Core's rules, and replaced when they say so.
    /// </summary>
    private void OnChildStatus(int pid, int status)
    {
        if (!_children.TryGetValue(pid, out var child)) return;
        if ((status & 0xff) == 0x7f) // WIFSTOPPED
        {
            _log.Emit(FpmLogLevel.Notice, FpmLogFact.ChildStoppedForTracing(pid));
            if (child.TracePending) Trace(child);
            return;
        }
        var (exited, code, signal, core) = Spawner.Decode(status);
        NoteChildRecycle(child, exited, code);
        _children.Remove(pid);
        child.Board.FreeSlot(child.Slot);
        double seconds = (NowNs - child.StartedNs) / 1e9;
        var how = exited ? ExitStatus.Code(code) : ExitStatus.Signal(signal);
        var burial = _control.ChildExited(PoolName, pid, how, child.IdleKill, seconds, _children.Count, NowNs / 1_000_000_000L);
        var line = burial.Line;
        if (core && line.Fact.Kind == FpmLogKind.ChildExitedSignal) line = line with { Fact = line.Fact with { Core = true } };
        _log.Emit(line.Level, line.Fact);
        CarryOut(burial.Control);
        if (burial.Respawn && !_exit) SpawnChild(FpmLogLevel.Notice); // fpm_children_make(wp, 1, 1, 0): NOTICE
    }
}
