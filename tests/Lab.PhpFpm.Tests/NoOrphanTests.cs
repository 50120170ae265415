using System.Diagnostics;

namespace Lab.PhpFpm.Tests;

/// <summary>
/// After a run, after Ctrl-C, after the lab is SIGKILLed: no php-fpm or nginx process of the run
/// is left. (php-fpm's children outlive a SIGKILLed master: the lab arranges it with a PID
/// namespace, see Lab.Linux.Processes.IsolatedProcess.)
/// </summary>
[Collection("real php-fpm")]
public class NoOrphanTests : IDisposable
{
    private readonly LabSandbox _lab = new();
    public void Dispose() => _lab.Dispose();

    [Theory]
    [InlineData("fastcgi")]
    [InlineData("nginx")]
    public void No_process_of_the_run_is_left_after_a_run_after_ctrl_c_and_after_the_lab_is_killed(string front)
    {
        RealStack.PhpFpm();
        if (front == "nginx") RealStack.Nginx();
        string name = _lab.Scenario("long-" + front, $"""
            engine = "php-fpm"
            front = "{front}"
            [pool]
            pm = "static"
            max_children = 3
            [request]
            leak = "256K"
            wait = "50ms"
            [[load.phases]]
            phase = "inject"
            rate = 10
            during = "60s"
            """);

        // a normal end
        using (var p = _lab.Start(name, "duration=2s", "--out", Path.Combine(_lab.Root, "done-" + front)))
        using (var watch = new ProcessWatch(p.Id))
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            WaitForPool(watch, front);
            Assert.True(p.WaitForExit(120_000), "the run did not end");
            Assert.True(p.ExitCode == 0, $"exit {p.ExitCode}: {stderr.Result}\n{stdout.Result}");
            Assert.True(watch.WaitUntilAllGone(), "still running after the run: " + string.Join("; ", watch.Alive()));
        }

        foreach (var (signal, exitCode) in new[] { ("INT", 3), ("KILL", 137) })
        {
            string dir = Path.Combine(_lab.Root, $"sig-{signal}-{front}");
            using var p = _lab.Start(name, "--out", dir);
            using var watch = new ProcessWatch(p.Id);
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            WaitForPool(watch, front);
            watch.Poll();
            Process.Start("kill", $"-{signal} {p.Id}")!.WaitForExit();
            Assert.True(p.WaitForExit(60_000), $"the lab did not end on SIG{signal}");
            // Ctrl-C: the run ends as incomplete (3); SIGKILL: the lab dies at once (128 + 9)
            Assert.True(p.ExitCode == exitCode, $"exit {p.ExitCode} after SIG{signal}: {stderr.Result}\n{stdout.Result}");
            Assert.True(watch.WaitUntilAllGone(), $"still running after SIG{signal} to the lab: " + string.Join("; ", watch.Alive()));
            Assert.True(File.Exists(Path.Combine(dir, "samples.csv")));
            // a SIGKILLed lab cannot remove its private temporary folder (nothing runs there any more): the test does
            foreach (var temp in watch.Seen.Values.SelectMany(n => System.Text.RegularExpressions.Regex.Matches(n, @"/tmp/leaklab-\w+").Select(m => m.Value)).Distinct())
                if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        }
    }

    /// <summary>Waits until the run's pool (3 php-fpm children, and nginx's worker) is up.</summary>
    private static void WaitForPool(ProcessWatch watch, string front)
    {
        for (int i = 0; i < 600; i++)
        {
            var seen = watch.Seen.Values.ToList();
            bool pool = seen.Count(n => n.StartsWith("php-fpm: pool", StringComparison.Ordinal)) >= 3;
            bool nginx = front != "nginx" || seen.Any(n => n.StartsWith("nginx: worker", StringComparison.Ordinal));
            if (pool && nginx) { Thread.Sleep(500); return; }
            Thread.Sleep(100);
        }
        throw new TimeoutException("the run's pool did not show up: " + string.Join("; ", watch.Seen.Values));
    }
}
