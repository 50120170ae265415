using System.Diagnostics;
using System.Globalization;
using Lab.Core.Records;
using Lab.Core.Scenarios;

namespace Lab.Engines.Tests;

/// <summary>
/// A pool nobody else can touch: during a dotnet-engine run behind nginx, started as root, an
/// unprivileged local user (nobody) tries to read or rewrite the run's files, to drive the pool
/// through its socket or nginx's, and to signal its workers — and fails; the workers run as the
/// pool's user, without capabilities. The same attempts as root succeed, so each check can fail.
/// </summary>
public class PoolAccessTests
{
    private sealed class Watch(Action<int> onTick) : IRunSink
    {
        private readonly Dictionary<int, ProcessRole> _roles = new();
        private int _ticks;
        public int MasterPid { get; private set; }
        public List<int> Children { get; } = new();
        public void Process(ProcessInfo process) { }
        public void Sample(in Sample sample)
        {
            if (sample.Role == ProcessRole.Master) MasterPid = sample.Pid;
            else if (!Children.Contains(sample.Pid)) Children.Add(sample.Pid);
        }
        public void EndTick(double t) => onTick(++_ticks);
        public void Event(in PoolEvent e) { }
        public void Request(in RequestRecord r) { }
        public void Log(double t, FpmLogLevel level, string message) { }
        public void RawLog(string line) { }
    }

    [Fact]
    public async Task Another_local_user_cannot_read_write_drive_or_signal_a_dotnet_pool()
    {
        var scenario = new Scenario
        {
            Name = "access", Title = "access", Engine = EngineKind.Dotnet, Front = FrontKind.Nginx,
            SampleInterval = TimeSpan.FromMilliseconds(250), Duration = TimeSpan.FromSeconds(4),
            Pool = new PoolSettings { Pm = ProcessManagerStyle.Static, MaxChildren = 2, RequestSlowlogTimeout = TimeSpan.FromSeconds(30) },
            Request = new RequestProfile(),
            Load = new LoadPlan { Phases = [new LoadPhase { Kind = LoadPhaseKind.Inject, Rate = 2, During = TimeSpan.FromSeconds(4) }] },
        };
        var failures = new List<string>();
        bool checkedOnce = false;
        Watch? watch = null;
        watch = new Watch(tick =>
        {
            if (checkedOnce || tick < 6 || watch!.MasterPid == 0) return;
            checkedOnce = true;
            try { Check(watch, failures); }
            catch (Exception e) { failures.Add($"the checks failed: {e}"); }
        });
        var outcome = await EngineFactory.Create(scenario, _ => { }).RunAsync(scenario, watch, CancellationToken.None);
        Assert.Equal(Lab.Core.Engines.RunStatus.Complete, outcome.Status);
        Assert.True(checkedOnce, "the run ended before the checks");
        Assert.Empty(failures);
    }

    private static void Check(Watch watch, List<string> failures)
    {
        // the run's private folder: where the master's configuration is (its title names it)
        string title = File.ReadAllText($"/proc/{watch.MasterPid}/cmdline").TrimEnd('\0');
        string config = title[(title.IndexOf('(') + 1)..title.LastIndexOf(')')];
        string dir = Path.GetDirectoryName(config)!;
        string scoreboard = Directory.GetFiles(dir, "*.scoreboard.*").Single();
        string poolSocket = Path.Combine(dir, "pool.sock"), frontSocket = Path.Combine(dir, "front", "http.sock");

        // the run's own files: 0600 (the socket 0660, for the pool's user); nothing writable by others
        foreach (var f in new[] { config, scoreboard, Path.Combine(dir, "fpm.log"), Path.Combine(dir, "fpm.pid"), Path.Combine(dir, "nginx", "nginx.conf") })
            if (Mode(f) != "600") failures.Add($"{f}: mode {Mode(f)}, not 600");
        if (Mode(poolSocket) != "660") failures.Add($"{poolSocket}: mode {Mode(poolSocket)}, not 660");
        // nginx makes its socket 0666: the folder around it is the lab's alone
        if (Mode(Path.GetDirectoryName(frontSocket)!) != "700") failures.Add($"{Path.GetDirectoryName(frontSocket)}: mode {Mode(Path.GetDirectoryName(frontSocket)!)}, not 700");
        foreach (var f in Directory.EnumerateFileSystemEntries(dir, "*", SearchOption.AllDirectories))
            if ((File.GetUnixFileMode(f) & (UnixFileMode.OtherWrite | UnixFileMode.GroupWrite)) != 0 && f != poolSocket && f != frontSocket)
                failures.Add($"{f} is writable by others (mode {Mode(f)})");

        // the workers: not root, no capability, no way to gain one
        foreach (int pid in watch.Children.Where(p => File.Exists($"/proc/{p}/status")))
        {
            var status = File.ReadAllLines($"/proc/{pid}/status").ToDictionary(l => l[..l.IndexOf(':')], l => l[(l.IndexOf(':') + 1)..].Trim());
            if (status["Uid"].Split('\t')[0] == "0") failures.Add($"worker {pid} runs as root");
            if (status["CapEff"] != "0000000000000000") failures.Add($"worker {pid} has capabilities {status["CapEff"]}");
            if (status["NoNewPrivs"] != "1") failures.Add($"worker {pid} may gain privileges (NoNewPrivs {status["NoNewPrivs"]})");
        }

        if (Environment.UserName != "root")
        {
            failures.Add("this test tries the pool as another local user, which needs the lab to run as root (./run.sh test and CI do)");
            return;
        }
        int worker = watch.Children.First(p => File.Exists($"/proc/{p}/status"));
        // each attempt: as root it works (so the check can fail), as nobody it must not
        var attempts = new (string What, string[] Command)[]
        {
            ("append to the scoreboard", ["sh", "-c", $"printf x >> '{scoreboard}'"]),
            ("read the pool's configuration", ["cat", config]),
            ("connect to the pool's FastCGI socket", ["php", "-r", $"exit(@stream_socket_client('unix://{poolSocket}') ? 0 : 1);"]),
            ("connect to nginx's socket", ["php", "-r", $"exit(@stream_socket_client('unix://{frontSocket}') ? 0 : 1);"]),
            ("signal a worker", ["kill", "-0", worker.ToString(CultureInfo.InvariantCulture)]),
        };
        foreach (var (what, command) in attempts)
        {
            if (what != "append to the scoreboard" && Run(command) != 0) failures.Add($"root could not {what}: the check proves nothing");
            if (Run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", .. command]) == 0) failures.Add($"nobody could {what}");
        }
    }

    private static string Mode(string path) => Convert.ToString((int)File.GetUnixFileMode(path), 8);

    private static int Run(string[] command)
    {
        var psi = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in command.Skip(1)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode;
    }
}
