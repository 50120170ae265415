using Lab.Core.Scenarios;

namespace Lab.Core.ProcessManager;

/// <summary>
/// When a child is recycled: the seam where policies php-fpm does not have plug in (a child
/// that exits after a request for its own reasons, a master that kills a child at maintenance).
/// The simulator, the dotnet master and the dotnet worker consult it; php-fpm's own rule is
/// <see cref="PhpFpmRecycling"/>: pm.max_requests, nothing at maintenance.
/// </summary>
public interface IRecyclePolicy
{
    /// <summary>A child has just finished a request (its <paramref name="served"/>-th): does it exit now, with code 0?</summary>
    bool ExitAfterRequest(long served, PoolSettings settings);

    /// <summary>At the maintenance heartbeat: a child the master ends now (SIGQUIT), or 0.</summary>
    int KillAtMaintenance(IReadOnlyList<ChildView> children, double now);
}

/// <summary>php-fpm's recycling (fpm_main.c's request loop): the pm.max_requests-th request is the child's last.</summary>
public sealed class PhpFpmRecycling : IRecyclePolicy
{
    public static readonly PhpFpmRecycling Instance = new();

    public bool ExitAfterRequest(long served, PoolSettings settings) => settings.MaxRequests > 0 && served >= settings.MaxRequests;

    public int KillAtMaintenance(IReadOnlyList<ChildView> children, double now) => 0;
}
