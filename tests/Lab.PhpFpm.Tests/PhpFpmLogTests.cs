using Lab.Core.Logging;
using Lab.Results.Reading;

namespace Lab.PhpFpm.Tests;

/// <summary>php-fpm's log lines from inside its PID namespace, as the lab keeps them.</summary>
public class PhpFpmLogTests
{
    private static readonly Dictionary<int, int> Namespace = new() { [1] = 4100, [2] = 4102, [3] = 4107 };
    private static int Map(int pid) => Namespace.TryGetValue(pid, out int host) ? host : 0;

    [Theory]
    [InlineData("[25-Nov-2026 06:12:45.679628] NOTICE: pid 1, fpm_init(), line 83: fpm is running, pid 1",
                "[25-Nov-2026 06:12:45.679628] NOTICE: pid 4100, fpm_init(), line 83: fpm is running, pid 4100")]
    [InlineData("[25-Nov-2026 06:12:45.679997] DEBUG: pid 1, fpm_children_make(), line 468: [pool www] child 2 started",
                "[25-Nov-2026 06:12:45.679997] DEBUG: pid 4100, fpm_children_make(), line 468: [pool www] child 4102 started")]
    [InlineData("[25-Nov-2026 06:14:09.476806] NOTICE: pid 1, fpm_children_bury(), line 289: [pool www] child 2 exited with code 0 after 83.796823 seconds from start",
                "[25-Nov-2026 06:14:09.476806] NOTICE: pid 4100, fpm_children_bury(), line 289: [pool www] child 4102 exited with code 0 after 83.796823 seconds from start")]
    [InlineData("[25-Nov-2026 06:14:09] WARNING: [pool www] child 9 exited on signal 9 (SIGKILL) after 1.0 seconds from start",
                "[25-Nov-2026 06:14:09] WARNING: [pool www] child 9 exited on signal 9 (SIGKILL) after 1.0 seconds from start")] // unknown: as written
    public void Namespace_pids_become_host_pids(string line, string expected) =>
        Assert.Equal(expected, PhpFpmLog.ToHostPids(line, Map));

    [Fact]
    public void What_a_child_said_is_left_as_it_said_it()
    {
        string line = "[25-Nov-2026 06:14:09.530911] WARNING: [pool www] child 3 said into stderr: \"NOTICE: PHP message: pid 2, child 1 started\"";
        Assert.Equal("[25-Nov-2026 06:14:09.530911] WARNING: [pool www] child 4107 said into stderr: \"NOTICE: PHP message: pid 2, child 1 started\"",
            PhpFpmLog.ToHostPids(line, Map));
    }

    [Fact]
    public void A_relayed_line_loses_its_empty_function_and_parses_like_any_other()
    {
        string raw = "[25-Nov-2026 06:14:09.530911] WARNING: pid 1, (null)(), line 0: [pool www] child 3 said into stderr: \"NOTICE: sapi_cgi_log_message(), line 632: PHP message: PHP Fatal error:  Allowed memory size of 8388608 bytes exhausted (tried to allocate 10244096 bytes) in /tmp/x/php/leak.php on line 40\"";
        string line = PhpFpmLog.ToHostPids(PhpFpmLog.DropEmptyFunction(raw), Map);
        Assert.StartsWith("[25-Nov-2026 06:14:09.530911] WARNING: [pool www] child 4107 said into stderr: ", line);
        var parsed = FpmLogParser.ParseLine(line);
        Assert.NotNull(parsed);
        var fact = FpmLogParser.Classify(parsed!.Message);
        Assert.Equal(FpmLogKind.ChildStderr, fact.Kind);
        Assert.Equal(4107, fact.Pid);
        Assert.Contains("Allowed memory size of 8388608 bytes exhausted", fact.Text);
    }

    [Fact]
    public void Started_lines_name_the_new_child()
    {
        Assert.Equal(2, PhpFpmLog.StartedChild("[x] DEBUG: pid 1, fpm_children_make(), line 468: [pool www] child 2 started"));
        Assert.Equal(0, PhpFpmLog.StartedChild("[x] NOTICE: [pool www] child 2 exited with code 0 after 1 seconds from start"));
    }
}
