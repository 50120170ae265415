using Lab.Core.Randomness;
using Lab.Core.Scenarios;

namespace Lab.Core.Requests;

/// <summary>What one request asks the child to do. Ids start at 1, in send order.</summary>
public readonly record struct RequestSpec(long Id, long LeakKb, long TransientKb, double WorkMs, double WaitMs)
{
    /// <summary>The query string every engine puts on the request (the PHP script reads the same).</summary>
    public string Query => $"id={Id}&leak_kb={LeakKb}&transient_kb={TransientKb}&work_ms={WorkMs.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)}&wait_ms={WaitMs.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)}";
}

/// <summary>
/// The scenario's request stream: request i's leak, transient memory and work are a pure
/// function of (seed, i), identical on every engine.
/// </summary>
public sealed class RequestStream(RequestProfile profile, ulong seed)
{
    public RequestProfile Profile { get; } = profile;
    public ulong Seed { get; } = seed;

    public RequestSpec For(long id)
    {
        ulong i = (ulong)id;
        long leak = (long)Math.Round(Profile.LeakKb.Draw(
            LabRandom.Uniform(Seed, LabRandom.Streams.Leak, 2 * i), LabRandom.Uniform(Seed, LabRandom.Streams.Leak, 2 * i + 1)));
        long transient = (long)Math.Round(Profile.TransientKb.Draw(
            LabRandom.Uniform(Seed, LabRandom.Streams.Transient, 2 * i), LabRandom.Uniform(Seed, LabRandom.Streams.Transient, 2 * i + 1)));
        double work = Profile.WorkMs.Draw(
            LabRandom.Uniform(Seed, LabRandom.Streams.Work, 2 * i), LabRandom.Uniform(Seed, LabRandom.Streams.Work, 2 * i + 1));
        work = Math.Round(work, 3);
        double wait = Profile.WaitMs.Draw(
            LabRandom.Uniform(Seed, LabRandom.Streams.Wait, 2 * i), LabRandom.Uniform(Seed, LabRandom.Streams.Wait, 2 * i + 1));
        wait = Math.Round(wait, 3);
        return new RequestSpec(id, leak, transient, work, wait);
    }
}
