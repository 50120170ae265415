using Lab.Linux.Processes;

namespace Lab.PhpFpm.Tests;

/// <summary>The launcher that ties a server's life (and its workers') to the lab's.</summary>
[Collection("real php-fpm")]
public class IsolatedProcessTests
{
    private static IsolatedStart Shell(string script) => new("/bin/sh", ["-c", script], "sh");

    [Fact]
    public void A_server_in_its_pid_namespace_is_pid_1_there_and_its_pids_map_to_the_hosts()
    {
        Assert.True(IsolatedProcess.IsRoot, "the lab's tests run as root (CI, ./run.sh test): a PID namespace needs it");
        var lines = new List<string>();
        // the shell prints its own pid and its child's, as the namespace sees them
        using var p = IsolatedProcess.Start(Shell("sleep 60 & echo \"pids $$ $!\"; wait"), l => { lock (lines) lines.Add(l); }, Isolation.PidNamespace);
        int server = p.WaitForServerPid(TimeSpan.FromSeconds(10));
        Assert.True(server > 0);
        Assert.NotEqual(p.LauncherPid, server);
        Assert.Equal(1, ProcInfo.NamespacePids(server)[^1]);
        for (int i = 0; i < 200 && lines.Count == 0; i++) Thread.Sleep(10);
        var ids = lines.Single(l => l.StartsWith("pids ", StringComparison.Ordinal)).Split(' ');
        Assert.Equal("1", ids[1]);
        int sleepNs = int.Parse(ids[2]);
        Assert.Equal(server, p.MapPid(1));
        int sleepHost = p.MapPid(sleepNs);
        Assert.True(sleepHost > 0 && sleepHost != sleepNs);
        // the shell's child may not have exec'd sleep yet when its pid is printed: its cmdline is briefly the shell's, or empty
        for (int i = 0; i < 200 && !File.ReadAllText($"/proc/{sleepHost}/cmdline").Contains("sleep"); i++) Thread.Sleep(10);
        Assert.Contains("sleep", File.ReadAllText($"/proc/{sleepHost}/cmdline"));
        Assert.Equal(0, p.MapPid(99_999)); // unknown
        // SIGKILL of the namespace's init takes every process of it
        p.Kill();
        Assert.True(p.Exited.Wait(10_000));
        for (int i = 0; i < 100 && ProcInfo.IsAlive(sleepHost); i++) Thread.Sleep(20);
        Assert.False(ProcInfo.IsAlive(sleepHost));
        Assert.True(p.Knows(sleepNs)); // remembered after it ended
    }

    [Fact]
    public void A_server_is_in_a_session_of_its_own_and_its_output_comes_back_line_by_line()
    {
        var lines = new List<string>();
        // (a namespace's init gets only the signals it handles: the shell traps SIGTERM, as php-fpm and nginx do)
        using var p = IsolatedProcess.Start(Shell("trap 'exit 0' TERM; echo out; echo err >&2; sleep 60 & wait"), l => { lock (lines) lines.Add(l); });
        int server = p.WaitForServerPid(TimeSpan.FromSeconds(10));
        Assert.True(server > 0);
        for (int i = 0; i < 300 && lines.Count < 2; i++) Thread.Sleep(10);
        lock (lines) Assert.Equal(["err", "out"], lines.Order());
        // the session is not the lab's: a Ctrl-C typed at the lab's terminal does not reach it
        Assert.NotEqual(Session(Environment.ProcessId), Session(server));
        Assert.True(p.Stop(15, TimeSpan.FromSeconds(5)));
        Assert.False(ProcInfo.IsAlive(server));
        // what an error message quotes: the last lines, indented, those the filter keeps
        Assert.Contains("\n  out", p.Tail());
        Assert.DoesNotContain("err", p.Tail(l => l != "err"));
    }

    private static string Session(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        return stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[3]; // state ppid pgrp session
    }

    [Fact]
    public void The_parent_death_signal_mode_maps_pids_as_they_are()
    {
        using var p = IsolatedProcess.Start(Shell("exec sleep 60"), _ => { }, Isolation.ParentDeathSignal);
        int server = p.WaitForServerPid(TimeSpan.FromSeconds(10));
        Assert.Equal(p.LauncherPid, server);
        Assert.Equal(12345, p.MapPid(12345));
        Assert.Contains("--pdeathsig", IsolatedProcess.Command(new IsolatedStart("/bin/true", [], "t"), Isolation.ParentDeathSignal));
        p.Kill();
        Assert.True(p.Exited.Wait(10_000));
    }

    [Fact]
    public void The_command_lines_of_each_isolation()
    {
        var start = new IsolatedStart("/usr/sbin/php-fpm8.2", ["-F"], "php-fpm");
        var ns = IsolatedProcess.Command(start, Isolation.PidNamespace).Select(Path.GetFileName).ToList();
        Assert.Equal(["--pdeathsig", "KILL", "--", "setsid", "unshare", "--pid", "--fork", "--kill-child=SIGKILL", "--", "php-fpm8.2", "-F"], ns);
        var user = IsolatedProcess.Command(start, Isolation.UserPidNamespace).Select(Path.GetFileName).ToList();
        Assert.Contains("--map-current-user", user);
        var pdeath = IsolatedProcess.Command(start, Isolation.ParentDeathSignal).Select(Path.GetFileName).ToList();
        Assert.Equal(["--pdeathsig", "TERM", "--", "setsid", "php-fpm8.2", "-F"], pdeath);
    }
}
