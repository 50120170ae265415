using System.Text;
using Lab.Scoreboard.Interop;

namespace Lab.Pool.Interop;

/// <summary>
/// posix_spawn(3) with the child's fds wired (dup2), every signal back to its default action and
/// an empty signal mask (the .NET runtime ignores SIGPIPE, and ignored signals survive exec).
/// </summary>
/// <remarks>
/// Linux ties PR_SET_PDEATHSIG to the *thread* that created the child: call this only from a
/// long-lived thread (the master's main loop, the launcher's own thread), never from the thread pool.
/// </remarks>
internal static unsafe class Spawner
{
    /// <param name="fds">(fd in this process, fd number in the child); the source fds are closed in the child when they differ.</param>
    /// <param name="processGroup">-1: inherit; 0: the child leads a new process group.</param>
    public static int Spawn(string path, IReadOnlyList<string> argv, IReadOnlyList<string> env,
        IReadOnlyList<(int From, int To)> fds, bool stdinDevNull, int processGroup = -1)
    {
        byte* fa = stackalloc byte[Native.SpawnObjectSize];
        byte* attr = stackalloc byte[Native.SpawnObjectSize];
        byte* sigset = stackalloc byte[128];
        if (Native.posix_spawn_file_actions_init(fa) != 0 || Native.posix_spawnattr_init(attr) != 0)
            throw new IOException("posix_spawn: cannot initialise");
        var handles = new List<nint>();
        try
        {
            if (stdinDevNull) Native.posix_spawn_file_actions_addopen(fa, 0, "/dev/null", Native.O_RDONLY, 0);
            foreach (var (from, to) in fds)
                Check(Native.posix_spawn_file_actions_adddup2(fa, from, to), "adddup2");
            var targets = new HashSet<int>();
            foreach (var (_, to) in fds) targets.Add(to);
            foreach (var (from, _) in fds)
                if (!targets.Contains(from)) Native.posix_spawn_file_actions_addclose(fa, from);

            short flags = Native.POSIX_SPAWN_SETSIGDEF | Native.POSIX_SPAWN_SETSIGMASK;
            Native.sigemptyset(sigset);
            Check(Native.posix_spawnattr_setsigmask(attr, sigset), "setsigmask");
            Native.sigfillset(sigset);
            Native.sigdelset(sigset, Native.SIGKILL);
            Native.sigdelset(sigset, 19 /* SIGSTOP */);
            Check(Native.posix_spawnattr_setsigdefault(attr, sigset), "setsigdefault");
            if (processGroup >= 0)
            {
                flags |= Native.POSIX_SPAWN_SETPGROUP;
                Check(Native.posix_spawnattr_setpgroup(attr, processGroup), "setpgroup");
            }
            Check(Native.posix_spawnattr_setflags(attr, flags), "setflags");

            byte* cPath = CString(path, handles);
            byte** cArgv = CStringArray(argv, handles);
            byte** cEnv = CStringArray(env, handles);
            int rc = Native.posix_spawn(out int pid, cPath, fa, attr, cArgv, cEnv);
            if (rc != 0) throw new IOException($"posix_spawn({path}) failed: {Native.ErrorText(rc)} ({rc})");
            return pid;
        }
        finally
        {
            Native.posix_spawn_file_actions_destroy(fa);
            Native.posix_spawnattr_destroy(attr);
            foreach (var h in handles) System.Runtime.InteropServices.NativeMemory.Free((void*)h);
        }
    }

    private static void Check(int rc, string what)
    {
        if (rc != 0) throw new IOException($"posix_spawn {what}: {Native.ErrorText(rc)}");
    }

    private static byte* CString(string s, List<nint> handles)
    {
        int n = Encoding.UTF8.GetByteCount(s);
        byte* p = (byte*)System.Runtime.InteropServices.NativeMemory.Alloc((nuint)n + 1);
        Encoding.UTF8.GetBytes(s, new Span<byte>(p, n));
        p[n] = 0;
        handles.Add((nint)p);
        return p;
    }

    private static byte** CStringArray(IReadOnlyList<string> items, List<nint> handles)
    {
        byte** arr = (byte**)System.Runtime.InteropServices.NativeMemory.Alloc((nuint)(items.Count + 1), (nuint)sizeof(nint));
        handles.Add((nint)arr);
        for (int i = 0; i < items.Count; i++) arr[i] = CString(items[i], handles);
        arr[items.Count] = null;
        return arr;
    }

    /// <summary>This process's environment as "KEY=value" lines for a child, without the variables <paramref name="drop"/> names.</summary>
    public static List<string> InheritedEnvironment(Func<string, bool> drop)
    {
        var env = new List<string>();
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            string key = (string)e.Key;
            if (!drop(key)) env.Add($"{key}={e.Value}");
        }
        return env;
    }

    /// <summary>(exited, code, signal, core) from a waitpid status.</summary>
    public static (bool Exited, int Code, int Signal, bool Core) Decode(int status)
    {
        int sig = status & 0x7f;
        if (sig == 0) return (true, (status >> 8) & 0xff, 0, false);
        return (false, 0, sig, (status & 0x80) != 0);
    }
}
