using Lab.Core.Scenarios;

namespace Lab.Scenarios.Tests;

internal static class Helpers
{
    public const string Source = "scenarios/x.toml";

    public static Scenario Parse(string toml, params string[] overrides) => ScenarioLoader.Parse(toml, Source, "x", overrides);

    public static ScenarioException Bad(string toml, params string[] overrides) =>
        Assert.Throws<ScenarioException>(() => ScenarioLoader.Parse(toml, Source, "x", overrides));

    /// <summary>The smallest valid scenario plus the given lines (appended after one inject phase).</summary>
    public const string OnePhase = """
        [[load.phases]]
        phase = "inject"
        rate = 2
        during = "10s"

        """;

    /// <summary>Scenario equality by value (the record's lists compare by reference).</summary>
    public static void AssertSame(Scenario expected, Scenario actual)
    {
        Assert.Equal(expected.Load.Phases, actual.Load.Phases);
        Assert.Equal(expected.Actions, actual.Actions);
        Assert.Equal(Strip(expected), Strip(actual));
    }

    private static readonly LoadPhase[] NoPhases = [];
    private static readonly ScenarioAction[] NoActions = [];

    private static Scenario Strip(Scenario s) => s with { Load = s.Load with { Phases = NoPhases }, Actions = NoActions };

    /// <summary>1-based line of the first line containing the text.</summary>
    public static int LineOf(string toml, string text) =>
        toml.Replace("\r\n", "\n").Split('\n').Select((l, i) => (l, i)).First(x => x.l.Contains(text)).i + 1;
}
