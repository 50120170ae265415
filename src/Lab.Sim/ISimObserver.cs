namespace Lab.Sim;

/// <summary>
/// What the simulator can tell beyond the results files, for tests and analyses: the moment a
/// child accepted a request. requests.csv's t_start_s is the send time (the sim's client is
/// never late, so it equals t_intended_s); the wait in the listen queue is accepted − intended.
/// </summary>
public interface ISimObserver
{
    /// <param name="requestId">The request's id (1, 2, ... in send order).</param>
    /// <param name="tIntended">When it was sent (seconds since the start of the run).</param>
    /// <param name="tAccepted">When a child accepted it.</param>
    /// <param name="pid">The child.</param>
    void Accepted(long requestId, double tIntended, double tAccepted, int pid);
}
