namespace Lab.Scenarios.Tests;

public class UnitsTests
{
    [Theory]
    [InlineData("4M", 4096)]
    [InlineData("4m", 4096)]
    [InlineData("4MiB", 4096)]
    [InlineData("512K", 512)]
    [InlineData("1.5G", 1.5 * 1024 * 1024)]
    [InlineData("100B", 100.0 / 1024)]
    [InlineData("0K", 0)]
    [InlineData(" 2 M ", 2048)]
    public void Sizes_parse_to_KiB(string text, double kb) => Assert.Equal(kb, ScenarioUnits.ParseSizeKb(text, out _));

    [Theory]
    [InlineData("4", "needs a unit")]
    [InlineData("4X", "unknown size unit")]
    [InlineData("-4M", "must not be negative")]
    [InlineData("M", "is not a size")]
    public void Bad_sizes_say_why(string text, string problem)
    {
        Assert.Null(ScenarioUnits.ParseSizeKb(text, out var why));
        Assert.Contains(problem, why);
    }

    [Theory]
    [InlineData("250ms", 250 * TimeSpan.TicksPerMillisecond)]
    [InlineData("1m30s", 90 * TimeSpan.TicksPerSecond)]
    [InlineData("1.5s", 15 * TimeSpan.TicksPerSecond / 10)]
    [InlineData("100us", 1000)]
    [InlineData("2h", 2 * TimeSpan.TicksPerHour)]
    [InlineData("1m 30s", 90 * TimeSpan.TicksPerSecond)]
    public void Durations_parse(string text, long ticks) => Assert.Equal(TimeSpan.FromTicks(ticks), ScenarioUnits.ParseDuration(text, out _));

    [Theory]
    [InlineData("30", "needs a unit")]
    [InlineData("30 sec", "unknown time unit \"sec\"")]
    [InlineData("-5s", "must not be negative")]
    [InlineData("", "is empty")]
    public void Bad_durations_say_why(string text, string problem)
    {
        Assert.Null(ScenarioUnits.ParseDuration(text, out var why));
        Assert.Contains(problem, why);
    }

    [Fact]
    public void Sizes_and_durations_format_to_text_that_parses_back_exactly()
    {
        var rng = new Random(12345);
        for (int i = 0; i < 5000; i++)
        {
            double kb = i switch
            {
                < 1000 => rng.Next(0, 1 << 22),
                < 2000 => rng.Next(0, 100_000) / 1024.0,
                < 3000 => Math.Round(rng.NextDouble() * 10_000, rng.Next(0, 6)),
                _ => rng.NextDouble() * Math.Pow(10, rng.Next(-3, 9)),
            };
            string size = ScenarioUnits.FormatSizeKb(kb);
            Assert.Equal(kb, ScenarioUnits.ParseSizeKb(size, out _));

            double ms = kb / 7;
            string duration = ScenarioUnits.FormatDurationMs(ms);
            Assert.Equal(ms, ScenarioUnits.ParseDurationMs(duration, out _));

            var t = TimeSpan.FromTicks((long)(kb * 997));
            Assert.Equal(t, ScenarioUnits.ParseDuration(ScenarioUnits.FormatDuration(t), out _));

            long bytes = (long)(kb * 1024);
            Assert.Equal(bytes, (long)Math.Round(ScenarioUnits.ParseSizeKb(ScenarioUnits.FormatSizeBytes(bytes), out _)!.Value * 1024));
            if (bytes > 0) Assert.Equal(bytes, ScenarioUnits.ParseMemoryLimit(ScenarioUnits.FormatMemoryLimit(bytes), out _));
        }
    }

    [Theory]
    [InlineData(4096.0, "4M")]
    [InlineData(2048.0, "2M")]
    [InlineData(7148.0, "7148K")]
    [InlineData(16.0 * 1024 * 1024, "16G")]
    [InlineData(0.5, "512B")]
    [InlineData(1.3, "1.3K")]
    public void Sizes_format_in_the_largest_exact_unit(double kb, string text) => Assert.Equal(text, ScenarioUnits.FormatSizeKb(kb));

    [Theory]
    [InlineData(60_000, "60s")]
    [InlineData(90_000, "90s")]
    [InlineData(600_000, "10m")]
    [InlineData(250, "250ms")]
    [InlineData(0.1, "100us")]
    [InlineData(0, "0ms")]
    public void Durations_format_readably(double ms, string text) => Assert.Equal(text, ScenarioUnits.FormatDurationMs(ms));

    [Theory]
    [InlineData("KILL", 9)]
    [InlineData("sigterm", 15)]
    [InlineData("SEGV", 11)]
    [InlineData("30", 30)]
    public void Signals_parse_by_name_or_number(string text, int signal) => Assert.Equal(signal, ScenarioUnits.ParseSignal(text, out _));

    [Fact]
    public void Suggestions_use_damerau_levenshtein()
    {
        Assert.Equal(1, Suggest.Distance("dinamic", "dynamic"));
        Assert.Equal(1, Suggest.Distance("max_reqeusts", "max_requests"));
        Assert.Equal(3, Suggest.Distance("kitten", "sitting"));
        Assert.Null(Suggest.Closest("xyz", ["static", "dynamic"]));
    }
}
