using Lab.Core.Scenarios;
using static Lab.Scenarios.Tests.Helpers;

namespace Lab.Scenarios.Tests;

/// <summary>Issue 10's keys: pss_interval, request.code, php.opcache, memory.shared and memory.master_pss.</summary>
public class SharedMemoryKeysTests
{
    [Fact]
    public void Defaults_opcache_on_no_code_pss_every_second()
    {
        var s = Parse(OnePhase);
        Assert.True(s.Php.Opcache);
        Assert.Equal(0, s.Request.CodeKb);
        Assert.Equal(TimeSpan.FromSeconds(1), s.PssInterval);
        Assert.Equal(0, s.Memory.SharedKb);
        Assert.Null(s.Memory.MasterPssKb);
    }

    [Fact]
    public void File_and_overrides_set_them_and_the_resolved_scenario_reads_back()
    {
        var s = Parse("pss_interval = \"2s\"\n[request]\ncode = \"8M\"\n[php]\nopcache = false\n[memory]\nshared = \"12M\"\nmaster_pss = \"5M\"\n" + OnePhase);
        Assert.Equal(TimeSpan.FromSeconds(2), s.PssInterval);
        Assert.Equal(8192, s.Request.CodeKb);
        Assert.False(s.Php.Opcache);
        Assert.Equal(12 * 1024, s.Memory.SharedKb);
        Assert.Equal(5 * 1024, s.Memory.MasterPssKb);
        string toml = ScenarioWriter.ToToml(s);
        Assert.Contains("opcache = false", toml);
        Assert.Contains("code = \"8M\"", toml);
        var again = ScenarioLoader.Parse(toml, "scenario.toml", "x", []);
        Assert.Equal(toml, ScenarioWriter.ToToml(again));
        Assert.Equal((s.PssInterval, s.Request, s.Php, s.Memory), (again.PssInterval, again.Request, again.Php, again.Memory));

        var o = Parse(OnePhase, "php.opcache=false", "request.code=2M", "pss_interval=500ms", "memory.shared=1M");
        Assert.False(o.Php.Opcache);
        Assert.Equal(2048, o.Request.CodeKb);
        Assert.Equal(TimeSpan.FromMilliseconds(500), o.PssInterval);
        Assert.Equal(1024, o.Memory.SharedKb);
    }

    [Fact]
    public void Bad_values_name_the_key()
    {
        Assert.Contains("php.opcache", Bad("[php]\nopcache = \"yes\"\n" + OnePhase).Message);
        Assert.Contains("true or false", Bad(OnePhase, "php.opcache=maybe").Message);
        Assert.Contains("pss_interval", Bad("pss_interval = \"0s\"\n" + OnePhase).Message);
        Assert.Contains("request.code", Bad("[request]\ncode = 5\n" + OnePhase).Message);
    }
}
