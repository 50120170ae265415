using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Lab.Core.Requests;
using Lab.FastCgi;
using Lab.Scoreboard.Interop;
using Lab.Core.Status;
using Lab.Scoreboard;

namespace Lab.Worker;

/// <summary>
/// A php-fpm child: blocks in accept() on the pool's shared listening socket (fd 3), serves
/// one connection at a time, counts its requests and exits with code 0 after pm.max_requests.
/// Signals as php-fpm's children: SIGQUIT = finish the current request, then exit 0; SIGTERM =
/// die at once (default action). It dies with its master (PR_SET_PDEATHSIG = SIGKILL).
/// </summary>
internal static unsafe class Child
{
    private const int StateIdle = 0, StateBusy = 1;
    private static int _state = StateIdle;
    /// <summary>The shared application code (request.code), or null.</summary>
    private static SharedCode? _code;
    private static volatile bool _quit;
    private static readonly Encoding Utf8 = new UTF8Encoding(false);

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static int Run(WorkerSettings settings)
    {
        // Die with the master, and not a moment later: PDEATHSIG, then the race check (the
        // master may have died between our fork and the prctl).
        Native.prctl(Native.PR_SET_PDEATHSIG, Native.SIGKILL, 0, 0, 0);
        if (settings.MasterPid != 0 && Native.getppid() != settings.MasterPid) return 1;
        Native.SetName("lab-fpm");
        if (Environment.GetEnvironmentVariable("LISTEN_PID") is { Length: > 0 } lp
            && int.TryParse(lp, NumberStyles.None, Inv, out int listenPid) && listenPid != Native.getpid())
        {
            StderrLine($"LISTEN_PID={listenPid} is not this process ({Native.getpid()}): the listening socket is not for us");
            return 1;
        }

        SharedScoreboard? scoreboard = settings.ScoreboardFd is int sbFd ? SharedScoreboard.FromFd(sbFd) : null;
        int slot = settings.Slot;
        int pid = Native.getpid();
        scoreboard?.SetPid(slot, pid);
        using var code = settings.CodeFd is { } codeFd ? SharedCode.FromFd(codeFd, settings.CodeBytes) : null;
        _code = code;
        if (!DropPrivileges(settings)) return 70; // FPM_EXIT_SOFTWARE: never serve as root when told not to

        using var quit = PosixSignalRegistration.Create((PosixSignal)Native.SIGQUIT, OnQuit);
        // php-fpm's children keep the default action of every other signal (fpm_signals_init_child):
        // SIGTERM kills at once ("exited on signal 15"), and so do SIGSEGV and SIGBUS, which the .NET
        // runtime would otherwise catch (the emergency restart counts them)
        foreach (int signal in new[] { Native.SIGTERM, 11 /* SIGSEGV */, 7 /* SIGBUS */, Native.SIGINT })
            Native.signal(signal, 0 /* SIG_DFL */);
        bool unixSocket = IsUnixSocket(WorkerSettings.ListenFd);

        // when the child exits after a request: Lab.Core's Recycling (pm.max_requests, and [recycle] when the lab set it)
        var recycling = settings.Recycling;
        long limit = recycling.RequestLimit(settings.MaxRequests, slot + 1, settings.Life);
        long bornNs = Native.MonotonicNs();
        long served = 0;
        while (true)
        {
            scoreboard?.SetStage(slot, RequestStage.Idle);
            Volatile.Write(ref _state, StateIdle);
            if (_quit) return 0;

            int fd = Native.accept4(WorkerSettings.ListenFd, 0, 0, Native.O_CLOEXEC);
            if (fd < 0)
            {
                int e = Native.Errno;
                if (e is Native.EINTR or Native.ECONNABORTED or Native.EAGAIN) continue;
                StderrLine($"accept() failed: {Native.ErrorText(e)} ({e})");
                return 1;
            }
            if (Interlocked.CompareExchange(ref _state, StateBusy, StateIdle) != StateIdle)
            {
                // SIGQUIT won the race while we were accepting: the process is exiting.
                Native.close(fd);
                return 0;
            }
            long acceptedNs = Native.MonotonicNs();
            scoreboard?.SetStage(slot, RequestStage.ReadingHeaders);

            bool lastRequest = false;
            try
            {
                var connection = new FastCgiConnection(new FdStream(fd));
                while (true)
                {
                    var request = connection.ReadRequest();
                    if (request is null) break;
                    served++;
                    Serve(connection, request, settings, scoreboard, slot, pid, served, acceptedNs, unixSocket);
                    lastRequest = recycling.AfterRequest(served, limit, (Native.MonotonicNs() - bornNs) / 1e9,
                        recycling.ChildReadsRss ? SelfMemory.RssKb() : -1, recycling.ChildReadsUss ? SelfMemory.UssKb() : -1)
                        != Lab.Core.Records.ExitCause.None;
                    // a kept connection is closed after the last request, as php-fpm does
                    if (!request.KeepConnection || lastRequest || _quit) break;
                    acceptedNs = Native.MonotonicNs();
                    scoreboard?.SetStage(slot, RequestStage.ReadingHeaders);
                }
            }
            catch (IOException e)
            {
                StderrLine($"connection error: {e.Message}");
            }
            Native.close(fd);
            // pm.max_requests (or a [recycle] rule) reached: exit(0) at once (no runtime shutdown to wait for); the master respawns a child
            if (lastRequest) Native._exit(0);
        }
    }

    private static void Serve(FastCgiConnection connection, FastCgiRequest request, WorkerSettings settings,
        SharedScoreboard? scoreboard, int slot, int pid, long served, long acceptedNs, bool unixSocket)
    {
        long cpuStart = Native.ClockNs(Native.CLOCK_PROCESS_CPUTIME_ID);
        string scriptName = request.Param("SCRIPT_NAME");
        if (scriptName.Length == 0) scriptName = request.Param("DOCUMENT_URI");
        string query = request.Param("QUERY_STRING");
        string method = request.Param("REQUEST_METHOD");
        string scriptFilename = request.Param("SCRIPT_FILENAME");
        long.TryParse(request.Param("CONTENT_LENGTH"), NumberStyles.None, Inv, out long contentLength);
        if (scoreboard is not null)
        {
            scoreboard.BeginRequest(slot, acceptedNs);
            scoreboard.IncrementAcceptedConn();
            scoreboard.SetRequestInfo(slot, method, scriptName, query, scriptFilename, contentLength, request.Param("REMOTE_USER"));
            scoreboard.SetStage(slot, RequestStage.Running);
            scoreboard.NoteActive(scoreboard.CountActive());
        }

        var headers = new List<KeyValuePair<string, string>>(4)
        {
            new(LabHeaders.Pid, pid.ToString(Inv)),
            new("X-Lab-Requests", served.ToString(Inv)),
        };
        byte[] stdout;
        byte[] stderr = [];
        long memory = 0;
        bool isStatus = settings.StatusPath.Length > 0
            && (scriptName == settings.StatusPath || request.Param("DOCUMENT_URI") == settings.StatusPath);
        if (isStatus)
        {
            var (format, full) = StatusPage.Parse(query);
            string body = "";
            if (scoreboard is not null)
            {
                if (ListenQueue.Read(WorkerSettings.ListenFd, unixSocket) is { } lq) scoreboard.SetListenQueue(lq.Queued, lq.Size);
                body = StatusPage.Render(scoreboard.Snapshot(), format, full, DateTimeOffset.UtcNow, Native.MonotonicNs());
            }
            headers.Add(new("Expires", "Thu, 01 Jan 1970 00:00:00 GMT"));
            headers.Add(new("Cache-Control", "no-cache, no-store, must-revalidate, max-age=0"));
            headers.Add(new("Content-Type", StatusPage.ContentType(format)));
            stdout = CgiResponse.Build(200, "OK", headers, Utf8.GetBytes(body));
        }
        else
        {
            var spec = LeakRequest.Parse(query);
            _code?.Touch(); // the request runs the application's code (request.code): every page of it
            var result = LeakScript.Run(spec, settings.MemoryLimitBytes, scriptFilename);
            // the child's RSS right after the request's work (its transient memory freed)
            long rssKb = SelfRss.ReadKb();
            if (rssKb >= 0) headers.Add(new(LabHeaders.RssKb, rssKb.ToString(Inv)));
            if (result.MemoryLimitExceeded)
            {
                // PHP writes the fatal error to its error log, the child's stderr ("NOTICE: PHP message: ...",
                // which the master logs as "child N said into stderr"),
                // sends it to the web server (FCGI_STDERR) and answers 500; the child lives on.
                StderrLine(result.ProcessLogLine!);
                stderr = Utf8.GetBytes("PHP message: " + result.FatalError);
                headers.Add(new("Content-type", "text/html; charset=UTF-8"));
                stdout = CgiResponse.Build(500, "Internal Server Error", headers, Utf8.GetBytes(result.FatalError + "\n"));
            }
            else
            {
                memory = result.MemoryBytes;
                headers.Add(new("Content-type", "text/plain;charset=UTF-8"));
                string body = string.Create(Inv,
                    $"ok id={spec.Id} pid={pid} requests={served} leak_kb={spec.LeakKb} leaked_kb={LeakScript.LeakedBytes / 1024} transient_kb={spec.TransientKb} work_ms={spec.WorkMs} wait_ms={spec.WaitMs}\n");
                stdout = CgiResponse.Build(200, "OK", headers, Utf8.GetBytes(body));
            }
        }

        scoreboard?.SetStage(slot, RequestStage.Ending);
        connection.WriteResponse(request, stdout, stderr);
        if (scoreboard is not null)
        {
            long now = Native.MonotonicNs();
            long durationNs = Math.Max(1, now - acceptedNs);
            double cpu = (Native.ClockNs(Native.CLOCK_PROCESS_CPUTIME_ID) - cpuStart) * 100.0 / durationNs;
            scoreboard.EndRequest(slot, now, durationNs / 1000, cpu, memory);
        }
    }

    /// <summary>SIGQUIT: graceful. Idle in accept() → exit now; busy → exit after the current request.</summary>
    private static void OnQuit(PosixSignalContext context)
    {
        context.Cancel = true;
        _quit = true;
        if (Interlocked.CompareExchange(ref _state, StateBusy + 1, StateIdle) == StateIdle) Native._exit(0);
    }

    private static bool IsUnixSocket(int fd)
    {
        int domain = 0, len = sizeof(int);
        return Native.getsockopt(fd, Native.SOL_SOCKET, 39 /* SO_DOMAIN */, &domain, &len) == 0 && domain == Native.AF_UNIX;
    }

    /// <summary>
    /// php-fpm's user/group for a master running as root (fpm_unix.c: fpm_unix_init_child): no
    /// supplementary groups, the pool's group, the pool's user — setuid to a non-root user drops
    /// every capability — and no way back (PR_SET_NO_NEW_PRIVS). False when it could not be done.
    /// </summary>
    private static bool DropPrivileges(WorkerSettings s)
    {
        if (Native.geteuid() != 0 || s.Uid is null) return true;
        uint uid = s.Uid.Value, gid = s.Gid ?? uid;
        if (Native.setgroups(0, null) != 0) { StderrLine($"setgroups() failed: {Native.ErrorText(Native.Errno)}"); return false; }
        if (Native.setgid(gid) != 0) { StderrLine($"setgid({gid}) failed: {Native.ErrorText(Native.Errno)}"); return false; }
        if (Native.setuid(uid) != 0) { StderrLine($"setuid({uid}) failed: {Native.ErrorText(Native.Errno)}"); return false; }
        Native.prctl(Native.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        return Native.geteuid() == uid;
    }

    /// <summary>A line on the process's stderr (the master's pipe: catch_workers_output).</summary>
    internal static void StderrLine(string text) => Native.WriteAll(2, Utf8.GetBytes(text + "\n"));
}
