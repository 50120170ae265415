using Lab.Testing;

namespace Lab.Cli.Tests;

/// <summary>
/// ./run.sh conform: the conformance suite against the real php-fpm 8.2, as a user runs it. Every
/// rule must be the same on the dotnet engine and the simulator; the tables name every rule and
/// engine; bad input is refused before anything runs.
/// </summary>
// php-fpm's timing rules (a 666 ms check period, the maintenance's 1 s) are compared on a 2-core
// machine: the other real-process tests of this project run before or after, never beside.
[Collection("real processes")]
public sealed class ConformCliTests : IDisposable
{
    private readonly LabSandbox _lab = new("leaklab-conform-");

    public void Dispose() => _lab.Dispose();

    [Fact]
    public void Every_rule_is_the_same_on_the_dotnet_engine_and_the_simulator_as_on_php_fpm()
    {
        string dir = Path.Combine(_lab.Root, "conform");
        var r = _lab.RunFor(TimeSpan.FromMinutes(12), "conform", "--out", dir);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(Path.Combine(dir, "conformance.html"), Path.GetFullPath(Path.Combine(_lab.Root, r.LastLine)));
        string md = File.ReadAllText(Path.Combine(dir, "conformance.md"));
        Assert.Contains("| rule | php-fpm | dotnet | sim |", md);
        // a rule that differs is named, with the whole table (its figures say by how much)
        var differing = Lab.Analysis.Conformance.ConformanceSuite.Rules
            .Where(rule => !md.Contains($"| {rule.Id.Replace("_", "\\_")} | reference | same | same |")).Select(rule => rule.Id).ToList();
        Assert.True(differing.Count == 0, $"not the same as php-fpm: {string.Join(", ", differing)}\n{md}");
        Assert.Contains("Every rule is the same on dotnet and sim as on the real php-fpm.", md);
        // every engine's run of every scenario is there, to look at or report on
        foreach (var scenario in Lab.Analysis.Conformance.ConformanceSuite.Scenarios)
            foreach (var engine in new[] { "php-fpm", "dotnet", "sim" })
                Assert.True(File.Exists(Path.Combine(dir, scenario, engine, "events.csv")), $"{scenario}/{engine}");
    }

    [Theory]
    [InlineData("--engines", "dotnet,sim", "php-fpm must be one of them")]
    [InlineData("--engines", "php-fpm,apache", "unknown engine 'apache'")]
    [InlineData("--frobnicate", "", "unknown option '--frobnicate'")]
    public void Bad_input_is_refused_before_anything_runs(string option, string value, string message)
    {
        var r = value.Length > 0 ? _lab.Run("conform", option, value) : _lab.Run("conform", option);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Stderr);
        Assert.True(_lab.ResultsEmpty);
    }
}
