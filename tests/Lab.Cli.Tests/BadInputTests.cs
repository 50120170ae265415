namespace Lab.Cli.Tests;

/// <summary>Bad input: a clear message naming what is wrong and where, exit code 2, nothing under results/.</summary>
public class BadInputTests : IDisposable
{
    private readonly LabSandbox _lab = new();
    public void Dispose() => _lab.Dispose();

    private LabSandbox.Result Bad(params string[] args) => _lab.RunBad(args);

    [Fact]
    public void Unknown_key_gets_did_you_mean()
    {
        var r = Bad("article-max-requests", "max_request=5", "engine=sim");
        Assert.Contains("max_request", r.Stderr);
        Assert.Contains("max_requests", r.Stderr);
        Assert.Contains("command line", r.Stderr);
    }

    [Fact]
    public void Ambiguous_leaf_lists_candidates()
    {
        var r = Bad("dynamic-spike", "rate=5", "engine=sim");
        Assert.Contains("rate", r.Stderr);
        Assert.Contains("load.phases", r.Stderr);
    }

    [Theory]
    [InlineData("max_requests=-1", "max_requests")]
    [InlineData("max_children=0", "max_children")]
    [InlineData("pm=dinamic", "dynamic")]
    [InlineData("memory_limit=12Q", "memory_limit")]
    [InlineData("duration=30", "duration")]
    [InlineData("seed=abc", "seed")]
    [InlineData("engine=docker", "engine")]
    [InlineData("sample_interval=-1s", "sample_interval")]
    public void Bad_values_are_named(string over, string key)
    {
        var r = Bad("article-max-requests", "engine=sim", over);
        Assert.Contains(key, r.Stderr);
    }

    [Fact]
    public void Min_spare_above_max_spare_is_refused_like_php_fpm()
    {
        var r = Bad("dynamic-spike", "min_spare_servers=9", "max_spare_servers=3", "engine=sim");
        Assert.Contains("min_spare_servers", r.Stderr);
        Assert.Contains("max_spare_servers", r.Stderr);
    }

    [Fact]
    public void A_rate_of_abc()
    {
        var r = Bad("article-max-requests", "load.phases.1.rate=abc", "engine=sim");
        Assert.Contains("rate", r.Stderr);
        Assert.Contains("abc", r.Stderr);
    }

    [Fact]
    public void Missing_scenario_lists_the_available_ones()
    {
        var r = Bad("article-max-request", "engine=sim");
        Assert.Contains("article-max-requests", r.Stderr);
    }

    [Fact]
    public void Broken_toml_names_file_and_line()
    {
        string path = Path.Combine(_lab.Root, "broken.toml");
        File.WriteAllText(path, "title = \"x\"\n[pool\nmax_children = 1\n");
        var r = Bad(path, "engine=sim");
        Assert.Contains("broken.toml", r.Stderr);
        Assert.Contains(":2", r.Stderr);
    }

    [Fact]
    public void Bad_value_in_a_file_names_file_and_line()
    {
        string path = Path.Combine(_lab.Root, "bad.toml");
        File.WriteAllText(path, "title = \"x\"\nengine = \"sim\"\n[pool]\npm = \"static\"\nmax_children = 1\nmax_requests = -3\n[[load.phases]]\nphase = \"inject\"\nrate = 1\nduring = \"5s\"\n");
        var r = Bad(path);
        Assert.Contains("bad.toml:6", r.Stderr);
        Assert.Contains("max_requests", r.Stderr);
    }

    [Fact]
    public void Override_without_equals_sign()
    {
        var r = Bad("article-max-requests", "engine=sim", "max_requests");
        Assert.Contains("max_requests", r.Stderr);
    }

    [Fact]
    public void Unknown_option()
    {
        var r = Bad("article-max-requests", "--outt", "x");
        Assert.Contains("--outt", r.Stderr);
    }

    [Fact]
    public void Out_folder_that_is_not_empty()
    {
        string dir = Path.Combine(_lab.Root, "taken");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "keep.txt"), "mine");
        var r = Bad("article-max-requests", "engine=sim", "--out", dir);
        Assert.Contains("not empty", r.Stderr);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(dir, "keep.txt")));
    }

    [Fact]
    public void No_scenario_at_all()
    {
        var r = Bad("max_requests=5");
        Assert.Contains("scenario", r.Stderr);
    }
}
