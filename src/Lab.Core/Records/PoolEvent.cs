using System.Globalization;
using Lab.Core.Logging;

namespace Lab.Core.Records;

/// <summary>What happened (events.csv's event column).</summary>
public enum PoolEventKind
{
    /// <summary>A master started (detail: its pool settings).</summary>
    Start,
    /// <summary>A master stopped (detail: why).</summary>
    Stop,
    /// <summary>A child was forked (detail: why).</summary>
    Spawn,
    /// <summary>A child ended (detail: how;why).</summary>
    Exit,
    /// <summary>A signal was sent to a child by its master or by the lab (detail: signal N;why).</summary>
    Kill,
    /// <summary>A child died on a signal nobody in the pool sent it, or on the lab's kill-child (detail: signal N (NAME)).</summary>
    Crash,
    /// <summary>The pool was restarted: its master killed and a new one started (the article's restart).</summary>
    Restart,
    /// <summary>A graceful reload began (SIGUSR2, or php-fpm's emergency restart).</summary>
    Reload,
    /// <summary>A request hit memory_limit; the child lives on.</summary>
    MemoryLimit,
    /// <summary>request_terminate_timeout passed: the master terminates the child.</summary>
    Timeout,
    /// <summary>request_slowlog_timeout passed: the request is logged as slow.</summary>
    Slow,
    /// <summary>The process manager reached pm.max_children.</summary>
    MaxChildren,
    /// <summary>The memory guard stopped the run.</summary>
    Guard,
    /// <summary>A scenario action began.</summary>
    Action,
    /// <summary>An event name the lab does not know (an events.csv from elsewhere).</summary>
    Other,
}

/// <summary>How a process ended, or which signal was sent: exit code N, signal N, or unknown (an imported ps log).</summary>
public readonly record struct ExitStatus
{
    private readonly int _number;
    private readonly byte _kind; // 0 unknown, 1 code, 2 signal

    private ExitStatus(byte kind, int number) { _kind = kind; _number = number; }

    public static ExitStatus Code(int code) => new(1, code);
    public static ExitStatus Signal(int signal) => new(2, signal);
    public static readonly ExitStatus Unknown = default;

    public bool Known => _kind != 0;
    public bool Signaled => _kind == 2;
    public bool Exited => _kind == 1;
    /// <summary>The exit code or the signal number.</summary>
    public int Number => _number;

    /// <summary>"code N", "signal N" or "unknown" (events.csv).</summary>
    public override string ToString() => _kind switch
    {
        1 => "code " + _number.ToString(CultureInfo.InvariantCulture),
        2 => "signal " + _number.ToString(CultureInfo.InvariantCulture),
        _ => "unknown",
    };
}

/// <summary>Why a child ended (or why a signal was sent, or why a master stopped).</summary>
public enum ExitCause
{
    None,
    /// <summary>pm.max_requests reached: the child exited by itself (code 0).</summary>
    MaxRequests,
    /// <summary>Killed by the process manager as idle (dynamic: too many spare; ondemand: process_idle_timeout).</summary>
    Idle,
    /// <summary>The lab's kill-child action.</summary>
    KillChild,
    /// <summary>request_terminate_timeout.</summary>
    Timeout,
    /// <summary>The pool was restarted (kill + start).</summary>
    Restart,
    /// <summary>A graceful reload ended it.</summary>
    Reload,
    /// <summary>The master was stopped (terminate or finish).</summary>
    Shutdown,
    /// <summary>It died on a signal nobody in the pool sent.</summary>
    Crash,
    /// <summary>It exited with a non-zero code by itself.</summary>
    Error,
    /// <summary>It exited with code 0 by itself, with no pm.max_requests to explain it.</summary>
    Exit,
    /// <summary>Imported ps log: the PID disappeared and another took its place.</summary>
    Recycled,
    /// <summary>[recycle] max_rss (not php-fpm's): the child found its RSS at the limit after a request and exited (code 0).</summary>
    MaxRss,
    /// <summary>[recycle] max_uss (not php-fpm's): the same on the child's USS.</summary>
    MaxUss,
    /// <summary>[recycle] kill_rss (not php-fpm's): the master SIGKILLed a child past the limit (uWSGI's evil reload).</summary>
    KillRss,
    /// <summary>[recycle] pool_budget (not php-fpm's): the pool's total passed the budget; the master ended its largest child (SIGQUIT).</summary>
    PoolBudget,
    /// <summary>Imported ps log: the PID disappeared.</summary>
    Gone,
    /// <summary>Not known.</summary>
    Unknown,
}

/// <summary>Why a child was forked.</summary>
public enum SpawnCause
{
    None,
    /// <summary>At the master's start (fpm_children_create_initial).</summary>
    Initial,
    /// <summary>To replace a child that ended (fpm_children_bury).</summary>
    Respawn,
    /// <summary>The dynamic process manager's maintenance (too few spare children).</summary>
    Maintenance,
    /// <summary>ondemand: a connection found no idle child.</summary>
    Ondemand,
    /// <summary>Imported ps log: a child of a restarted pool.</summary>
    Restart,
    /// <summary>Imported ps log: a PID that appeared.</summary>
    Appeared,
}

/// <summary>
/// One event of a run (one row of events.csv), typed: what happened, to which process, and for a
/// child's end how and why. <see cref="Event"/> and <see cref="Detail"/> are its text as
/// events.csv holds it (ARCHITECTURE.md, "events.csv vocabulary"): this type is the one writer of
/// that text, whatever engine or import produced the event, and <see cref="FromCsv"/> its one reader.
/// </summary>
/// <param name="T">Seconds since the start of the run.</param>
/// <param name="How">Exit and Crash: how the child ended; Kill: the signal sent.</param>
/// <param name="Why">Exit, Kill, Stop: why.</param>
/// <param name="Spawned">Spawn: why.</param>
/// <param name="Note">Free text for the other kinds (a master's settings, a timeout's elapsed time, ...).</param>
public readonly record struct PoolEvent(double T, PoolEventKind Kind, int Pid, ExitStatus How = default, ExitCause Why = ExitCause.None,
    SpawnCause Spawned = SpawnCause.None, string Note = "")
{
    /// <summary>An event from its events.csv text (see <see cref="FromCsv"/>).</summary>
    public PoolEvent(double t, string @event, int pid, string detail) : this(t, PoolEventKind.Other, pid) { this = FromCsv(t, @event, pid, detail); }

    public static PoolEvent Of(double t, PoolEventKind kind, int pid, string note = "") => new(t, kind, pid, Note: note);
    public static PoolEvent Exit(double t, int pid, ExitStatus how, ExitCause why) => new(t, PoolEventKind.Exit, pid, how, why);
    public static PoolEvent Kill(double t, int pid, int signal, ExitCause why) => new(t, PoolEventKind.Kill, pid, ExitStatus.Signal(signal), why);
    public static PoolEvent Crash(double t, int pid, ExitStatus how) => new(t, PoolEventKind.Crash, pid, how);
    public static PoolEvent Spawn(double t, int pid, SpawnCause why) => new(t, PoolEventKind.Spawn, pid, Spawned: why);
    public static PoolEvent Stop(double t, int pid, ExitCause why, string note = "") => new(t, PoolEventKind.Stop, pid, Why: why, Note: note);

    /// <summary>events.csv's event column.</summary>
    public string Event => Kind == PoolEventKind.Other ? Note.Split(';', 2)[0] : EventNames.Of(Kind);

    /// <summary>events.csv's detail column.</summary>
    public string Detail => Kind switch
    {
        PoolEventKind.Exit or PoolEventKind.Kill => How + ";" + CauseName(Why),
        PoolEventKind.Crash => How.Signaled ? $"{How} ({FpmMessages.SignalName(How.Number)})" : How.ToString(),
        PoolEventKind.Spawn => Spawned == SpawnCause.None ? Note : SpawnName(Spawned),
        PoolEventKind.Stop => Why == ExitCause.None ? Note : Note.Length > 0 ? CauseName(Why) + ";" + Note : CauseName(Why),
        PoolEventKind.Other => Note.Contains(';') ? Note.Split(';', 2)[1] : "",
        _ => Note,
    };

    /// <summary>The why of an exit, kill or stop as events.csv writes it.</summary>
    public static string CauseName(ExitCause why) => why switch
    {
        ExitCause.MaxRequests => "max_requests",
        ExitCause.Idle => "idle",
        ExitCause.KillChild => "kill-child",
        ExitCause.Timeout => "timeout",
        ExitCause.Restart => "restart",
        ExitCause.Reload => "reload",
        ExitCause.Shutdown => "shutdown",
        ExitCause.Crash => "crash",
        ExitCause.Error => "error",
        ExitCause.Exit => "exit",
        ExitCause.Recycled => "recycled",
        ExitCause.Gone => "gone",
        ExitCause.MaxRss => "max_rss",
        ExitCause.MaxUss => "max_uss",
        ExitCause.KillRss => "kill_rss",
        ExitCause.PoolBudget => "pool_budget",
        ExitCause.None => "",
        _ => "unknown",
    };

    public static string SpawnName(SpawnCause why) => why switch
    {
        SpawnCause.Initial => "initial",
        SpawnCause.Respawn => "respawn",
        SpawnCause.Maintenance => "maintenance",
        SpawnCause.Ondemand => "ondemand",
        SpawnCause.Restart => "restart",
        SpawnCause.Appeared => "appeared",
        _ => "",
    };

    /// <summary>
    /// An event from events.csv's text (a results folder read back, also one written before
    /// events were typed): the kind from the name, an exit's or kill's "how;why", a spawn's or
    /// stop's why; what is not one of the lab's words stays as the note.
    /// </summary>
    public static PoolEvent FromCsv(double t, string @event, int pid, string detail)
    {
        var kind = EventNames.KindOf(@event);
        switch (kind)
        {
            case PoolEventKind.Exit:
            case PoolEventKind.Kill:
            {
                int semi = detail.IndexOf(';');
                string how = semi >= 0 ? detail[..semi] : detail;
                string why = semi >= 0 ? detail[(semi + 1)..] : "";
                var status = ParseStatus(how);
                var cause = ParseCause(why.Trim());
                // a kill's detail written before events were typed: "idle", "timeout" (no signal)
                if (!status.Known && semi < 0 && ParseCause(how.Trim()) is var c and not ExitCause.Unknown) return new(t, kind, pid, Why: c);
                return new(t, kind, pid, status, why.Trim().Length == 0 ? ExitCause.Unknown : cause);
            }
            case PoolEventKind.Crash:
            {
                string how = detail.Split(' ', 3) is { Length: >= 2 } p ? p[0] + " " + p[1] : detail;
                var status = ParseStatus(how);
                return status.Known ? Crash(t, pid, status) : Of(t, kind, pid, detail);
            }
            case PoolEventKind.Spawn:
                return ParseSpawn(detail) is var s and not SpawnCause.None ? Spawn(t, pid, s) : Of(t, kind, pid, detail);
            case PoolEventKind.Stop:
            {
                int semi = detail.IndexOf(';');
                string first = semi >= 0 ? detail[..semi] : detail;
                var cause = ParseCause(first.Trim());
                return cause is ExitCause.Unknown or ExitCause.None
                    ? Of(t, kind, pid, detail)
                    : Stop(t, pid, cause, semi >= 0 ? detail[(semi + 1)..] : "");
            }
            case PoolEventKind.Other:
                return Of(t, kind, pid, @event + ";" + detail);
            default:
                return Of(t, kind, pid, detail);
        }
    }

    private static ExitStatus ParseStatus(string how)
    {
        how = how.Trim();
        int sp = how.IndexOf(' ');
        if (sp < 0 || !int.TryParse(how[(sp + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int n)) return ExitStatus.Unknown;
        return how[..sp] switch
        {
            "code" => ExitStatus.Code(n),
            "signal" => ExitStatus.Signal(n),
            _ => ExitStatus.Unknown,
        };
    }

    /// <summary>A child recycled: ended by a recycling rule (pm.max_requests, or a [recycle] rule of the sim and dotnet engines).</summary>
    public static bool IsRecycle(ExitCause why) => why is ExitCause.MaxRequests or ExitCause.MaxRss
        or ExitCause.MaxUss or ExitCause.KillRss or ExitCause.PoolBudget;

    /// <summary>A child that a recycling rule ended after a request (pm.max_requests, max_rss, max_uss), not the master's kill.</summary>
    public static bool IsRecycleAfterRequest(ExitCause why) => why is ExitCause.MaxRequests or ExitCause.MaxRss or ExitCause.MaxUss;

    /// <summary>
    /// A child renewed: a recycle, or a reload's exit (a cron-driven reload is how a php-fpm operator
    /// renews children without pm.max_requests). What the recycle storm's figures and plot count.
    /// </summary>
    public static bool IsRenewal(ExitCause why) => IsRecycle(why) || why == ExitCause.Reload;

    public static ExitCause ParseCause(string why)
    {
        foreach (var c in Enum.GetValues<ExitCause>())
            if (c != ExitCause.None && CauseName(c) == why) return c;
        return ExitCause.Unknown;
    }

    private static SpawnCause ParseSpawn(string why)
    {
        foreach (var c in Enum.GetValues<SpawnCause>())
            if (c != SpawnCause.None && SpawnName(c) == why) return c;
        return SpawnCause.None;
    }

    /// <summary>A master's settings as a start (or reload) event notes them: "pm=static max_children=1 max_requests=5".</summary>
    public static string SettingsNote(Scenarios.PoolSettings p) => string.Create(CultureInfo.InvariantCulture,
        $"pm={p.Pm.ToString().ToLowerInvariant()} max_children={p.MaxChildren} max_requests={p.MaxRequests}");
}

/// <summary>The event names of events.csv.</summary>
public static class EventNames
{
    public const string Start = "start";              // master started
    public const string Stop = "stop";                // master stopped
    public const string Spawn = "spawn";              // child forked
    public const string Exit = "exit";                // child exited (detail: code N / signal N, reason)
    public const string Kill = "kill";                // a signal sent to a child (detail: signal N;reason)
    public const string Crash = "crash";              // a child died on a signal it was not sent by its master
    public const string Restart = "restart";          // the pool was restarted (kill + start)
    public const string Reload = "reload";            // graceful reload
    public const string MemoryLimit = "memory_limit"; // a request hit memory_limit (the child lives on)
    public const string Timeout = "timeout";          // request_terminate_timeout passed
    public const string Slow = "slow";                // request_slowlog_timeout passed
    public const string MaxChildren = "max_children"; // pm.max_children reached
    public const string Guard = "guard";              // the memory guard stopped the run
    public const string Action = "action";            // a scenario action started

    public static string Of(PoolEventKind kind) => kind switch
    {
        PoolEventKind.Start => Start,
        PoolEventKind.Stop => Stop,
        PoolEventKind.Spawn => Spawn,
        PoolEventKind.Exit => Exit,
        PoolEventKind.Kill => Kill,
        PoolEventKind.Crash => Crash,
        PoolEventKind.Restart => Restart,
        PoolEventKind.Reload => Reload,
        PoolEventKind.MemoryLimit => MemoryLimit,
        PoolEventKind.Timeout => Timeout,
        PoolEventKind.Slow => Slow,
        PoolEventKind.MaxChildren => MaxChildren,
        PoolEventKind.Guard => Guard,
        PoolEventKind.Action => Action,
        _ => "other",
    };

    public static PoolEventKind KindOf(string name)
    {
        for (var k = PoolEventKind.Start; k < PoolEventKind.Other; k++)
            if (Of(k) == name) return k;
        return PoolEventKind.Other;
    }
}
