namespace Lab.Core.Scenarios;

public enum ActionKind
{
    /// <summary>Kill the master and start a new one, as the article does (kill + start).</summary>
    Restart,
    /// <summary>Graceful reload (php-fpm's SIGUSR2), optionally with changed pool settings.</summary>
    Reload,
    /// <summary>Kill one child with a signal, to inject a crash.</summary>
    KillChild,
    /// <summary>Stop the master: SIGQUIT, php-fpm's graceful stop ("Finishing ..."), or SIGTERM ("Terminating ..."). No new master follows.</summary>
    Stop,
}

/// <summary>Which child a kill-child action hits.</summary>
public enum ChildSelector { Oldest, Newest, Busy, Idle, Largest }

/// <summary>A timed action of the scenario.</summary>
public sealed record ScenarioAction
{
    public required TimeSpan At { get; init; }
    public required ActionKind Kind { get; init; }
    /// <summary>Reload: the pool settings after the reload (null = unchanged).</summary>
    public PoolSettings? NewPool { get; init; }
    /// <summary>kill-child: which child.</summary>
    public ChildSelector Target { get; init; } = ChildSelector.Oldest;
    /// <summary>kill-child: the signal number (9 = SIGKILL, 15 = SIGTERM, 11 = SIGSEGV); stop: 3 (SIGQUIT) or 15 (SIGTERM).</summary>
    public int Signal { get; init; } = 9;

    public string KindName => Kind switch
    {
        ActionKind.Restart => "restart",
        ActionKind.Reload => "reload",
        ActionKind.Stop => "stop",
        _ => "kill-child",
    };
}
