namespace Lab.Core.Scenarios;

/// <summary>How open-model requests are spaced: evenly (wrk2, k6) or as a Poisson process.</summary>
public enum ArrivalProcess { Even, Poisson }

/// <summary>
/// The load: phases in NBomber's vocabulary, played one after the other.
/// Open model: inject, ramping-inject, inject-random. Closed model: keep-constant,
/// ramping-constant. And pause.
/// </summary>
public sealed record LoadPlan
{
    public IReadOnlyList<LoadPhase> Phases { get; init; } = [];
    public ArrivalProcess Arrivals { get; init; } = ArrivalProcess.Even;
    /// <summary>Stop after this many requests were sent (an alternative stop condition), null = no cap.</summary>
    public long? Iterations { get; init; }
    /// <summary>
    /// Open model: most requests in flight at once (k6's maxVUs). A request whose intended send
    /// time finds this many in flight is counted as dropped. Keeps the driver's memory bounded.
    /// </summary>
    public int MaxInFlight { get; init; } = 1024;
    /// <summary>Client-side timeout of one request (status 504 when it passes).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan TotalDuration
    {
        get
        {
            var total = TimeSpan.Zero;
            foreach (var p in Phases) total += p.During;
            return total;
        }
    }
}

public enum LoadPhaseKind { Inject, RampingInject, InjectRandom, KeepConstant, RampingConstant, Pause }

/// <summary>
/// One load phase. Rates are requests per second (fractional allowed); Copies are closed-model
/// users. Ramping phases go linearly from the previous phase's level to theirs.
/// </summary>
public sealed record LoadPhase
{
    public required LoadPhaseKind Kind { get; init; }
    public required TimeSpan During { get; init; }
    /// <summary>inject / ramping-inject: target rate (req/s).</summary>
    public double Rate { get; init; }
    /// <summary>inject-random: lowest and highest rate (req/s), redrawn every RandomInterval.</summary>
    public double MinRate { get; init; }
    public double MaxRate { get; init; }
    public TimeSpan RandomInterval { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>keep-constant / ramping-constant: number of looping users.</summary>
    public int Copies { get; init; }
    /// <summary>keep-constant / ramping-constant: pause of a user between its requests.</summary>
    public TimeSpan Think { get; init; } = TimeSpan.Zero;

    public bool IsOpen => Kind is LoadPhaseKind.Inject or LoadPhaseKind.RampingInject or LoadPhaseKind.InjectRandom;
    public bool IsClosed => Kind is LoadPhaseKind.KeepConstant or LoadPhaseKind.RampingConstant;

    /// <summary>The NBomber-style name used in scenario files.</summary>
    public string KindName => Kind switch
    {
        LoadPhaseKind.Inject => "inject",
        LoadPhaseKind.RampingInject => "ramping-inject",
        LoadPhaseKind.InjectRandom => "inject-random",
        LoadPhaseKind.KeepConstant => "keep-constant",
        LoadPhaseKind.RampingConstant => "ramping-constant",
        _ => "pause",
    };
}
