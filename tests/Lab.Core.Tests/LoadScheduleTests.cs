using Lab.Core.Load;
using Lab.Core.Scenarios;

namespace Lab.Core.Tests;

public class LoadScheduleTests
{
    private static LoadPlan Plan(ArrivalProcess arrivals = ArrivalProcess.Even, params LoadPhase[] phases) =>
        new() { Phases = phases, Arrivals = arrivals };

    private static LoadPhase Inject(double rate, double s) => new() { Kind = LoadPhaseKind.Inject, Rate = rate, During = TimeSpan.FromSeconds(s) };
    private static LoadPhase Ramp(double rate, double s) => new() { Kind = LoadPhaseKind.RampingInject, Rate = rate, During = TimeSpan.FromSeconds(s) };
    private static LoadPhase Pause(double s) => new() { Kind = LoadPhaseKind.Pause, During = TimeSpan.FromSeconds(s) };

    [Fact]
    public void Inject_is_evenly_spaced_from_the_start_and_the_count_is_exact()
    {
        var times = new LoadSchedule(Plan(phases: Inject(2, 20)), 1).OpenArrivals().ToList();
        Assert.Equal(40, times.Count);
        for (int k = 0; k < times.Count; k++) Assert.Equal(k * 0.5, times[k], 9);
    }

    [Fact]
    public void Fractional_rates_carry_across_a_pause()
    {
        // 0.5/s for 5 s = 2.5 requests (0, 2, 4), pause 5 s, then 1/s: the 4th falls half a second in.
        var times = new LoadSchedule(Plan(phases: [Inject(0.5, 5), Pause(5), Inject(1, 3)]), 1).OpenArrivals().ToList();
        Assert.Equal(new[] { 0, 2, 4, 10.5, 11.5, 12.5 }, times.Select(t => Math.Round(t, 9)));
    }

    [Fact]
    public void Ramping_inject_sends_the_area_under_the_rate()
    {
        // from 0 to 100/s over 10 s: 500 requests, denser at the end
        var s = new LoadSchedule(Plan(phases: [Inject(0, 1), Ramp(100, 10)]), 1);
        var times = s.OpenArrivals().ToList();
        Assert.InRange(times.Count, 499, 500);
        int firstHalf = times.Count(t => t < 6);
        Assert.InRange(firstHalf, 120, 130); // 25% of the area lies in the first half of a linear ramp
        Assert.True(times.Zip(times.Skip(1)).All(p => p.Second > p.First));
    }

    [Fact]
    public void Poisson_arrivals_have_the_right_mean_and_are_seeded()
    {
        var a = new LoadSchedule(Plan(ArrivalProcess.Poisson, Inject(100, 1000)), 7).OpenArrivals().ToList();
        var b = new LoadSchedule(Plan(ArrivalProcess.Poisson, Inject(100, 1000)), 7).OpenArrivals().ToList();
        var c = new LoadSchedule(Plan(ArrivalProcess.Poisson, Inject(100, 1000)), 8).OpenArrivals().ToList();
        Assert.Equal(a, b);
        Assert.NotEqual(a.Take(10), c.Take(10));
        Assert.InRange(a.Count, 100_000 - 1_500, 100_000 + 1_500); // ±4.7 sigma
        var gaps = a.Zip(a.Skip(1), (x, y) => y - x).ToList();
        double mean = gaps.Average(), var = gaps.Select(g => (g - mean) * (g - mean)).Average();
        Assert.InRange(Math.Sqrt(var) / mean, 0.97, 1.03); // exponential: coefficient of variation 1
    }

    [Fact]
    public void Duration_override_truncates_the_schedule()
    {
        var times = new LoadSchedule(Plan(phases: Inject(1, 100)), 1, endOverride: 10).OpenArrivals().ToList();
        Assert.Equal(10, times.Count);
    }

    [Fact]
    public void Closed_users_follow_keep_and_ramping_constant()
    {
        var plan = Plan(phases: [
            new LoadPhase { Kind = LoadPhaseKind.KeepConstant, Copies = 4, During = TimeSpan.FromSeconds(10) },
            new LoadPhase { Kind = LoadPhaseKind.RampingConstant, Copies = 8, During = TimeSpan.FromSeconds(4) },
            Pause(5)]);
        var s = new LoadSchedule(plan, 1);
        Assert.Equal(4, s.UsersAt(0));
        Assert.Equal(4, s.UsersAt(9.99));
        Assert.Equal(5, s.UsersAt(11.0));
        Assert.Equal(0, s.UsersAt(14.5));
        var changes = s.UserChanges().ToList();
        Assert.Equal((0.0, 4), changes[0]);
        Assert.Equal(new[] { 5, 6, 7 }, changes.Skip(1).Take(3).Select(c => c.Users));
        Assert.Equal(0, changes[^1].Users);
        Assert.Equal(14, changes[^1].T, 9);
        foreach (var (t, u) in changes) Assert.Equal(u, s.UsersAt(t + 1e-7));
    }

    [Fact]
    public void Inject_random_stays_within_its_bounds()
    {
        var plan = Plan(phases: new LoadPhase { Kind = LoadPhaseKind.InjectRandom, MinRate = 10, MaxRate = 20, During = TimeSpan.FromSeconds(100) });
        var s = new LoadSchedule(plan, 3);
        Assert.Equal(100, s.Open.Count);
        Assert.All(s.Open, seg => Assert.InRange(seg.RateStart, 10, 20));
        Assert.InRange(s.OpenArrivals().Count(), 1000, 2000);
    }
}
