using System.Text;
using Lab.Pool.Interop;
using Lab.Scoreboard.Interop;

namespace Lab.Pool.Master;

/// <summary>
/// catch_workers_output (fpm_stdio.c): each child's stdout and stderr are pipes to the master;
/// one thread polls them all and hands every complete line (or a 1 KiB piece of a longer one)
/// to the callback with the child's pid.
/// </summary>
internal sealed unsafe class ChildOutput : IDisposable
{
    private const int MaxLine = 1024; // php-fpm's max_buf_size
    private readonly Action<int, bool, string> _onLine;
    private readonly object _gate = new();
    private readonly List<Pipe> _pipes = new();
    private readonly int _wakeRead, _wakeWrite;
    private readonly Thread _thread;
    private volatile bool _stopping;

    private sealed class Pipe(int fd, int pid, bool isStdout)
    {
        public int Fd = fd;
        public int Pid = pid;
        public bool IsStdout = isStdout;
        public readonly List<byte> Partial = new();
    }

    /// <param name="onLine">(pid, isStdout, line), called on the output thread.</param>
    public ChildOutput(Action<int, bool, string> onLine)
    {
        _onLine = onLine;
        (_wakeRead, _wakeWrite) = Pipe2(Native.O_CLOEXEC | Native.O_NONBLOCK);
        _thread = new Thread(Loop) { IsBackground = true, Name = "child output" };
        _thread.Start();
    }

    /// <summary>Makes a pipe for a child's stdout or stderr: (read end kept here, write end for the child).</summary>
    public static (int Read, int Write) CreatePipe() => Pipe2(Native.O_CLOEXEC);

    private static (int Read, int Write) Pipe2(int flags)
    {
        int* fds = stackalloc int[2];
        if (Native.pipe2(fds, flags) != 0) throw new IOException($"pipe2: {Native.ErrorText(Native.Errno)}");
        return (fds[0], fds[1]);
    }

    public void Add(int readFd, int pid, bool isStdout)
    {
        lock (_gate) _pipes.Add(new Pipe(readFd, pid, isStdout));
        Wake();
    }

    private void Wake()
    {
        byte b = 1;
        Native.write(_wakeWrite, &b, 1);
    }

    private void Loop()
    {
        var pollFds = new Native.PollFd[16];
        var current = new List<Pipe>();
        byte* buf = stackalloc byte[4096];
        while (!_stopping)
        {
            lock (_gate) { current.Clear(); current.AddRange(_pipes); }
            if (pollFds.Length < current.Count + 1) pollFds = new Native.PollFd[current.Count * 2 + 1];
            pollFds[0] = new Native.PollFd { Fd = _wakeRead, Events = Native.POLLIN };
            for (int i = 0; i < current.Count; i++) pollFds[i + 1] = new Native.PollFd { Fd = current[i].Fd, Events = Native.POLLIN };
            int ready;
            fixed (Native.PollFd* p = pollFds) ready = Native.poll(p, (nuint)(current.Count + 1), 1000);
            if (ready <= 0) continue;
            if ((pollFds[0].Revents & Native.POLLIN) != 0) while (Native.read(_wakeRead, buf, 4096) > 0) { }
            for (int i = 0; i < current.Count; i++)
            {
                short rev = pollFds[i + 1].Revents;
                if (rev == 0) continue;
                var pipe = current[i];
                nint n = Native.read(pipe.Fd, buf, 4096);
                if (n > 0) { Consume(pipe, new ReadOnlySpan<byte>(buf, (int)n)); continue; }
                if (n < 0 && Native.Errno == Native.EINTR) continue;
                // EOF: the child closed it (it exited); flush what is left
                if (pipe.Partial.Count > 0) Emit(pipe);
                Native.close(pipe.Fd);
                lock (_gate) _pipes.Remove(pipe);
            }
        }
    }

    private void Consume(Pipe pipe, ReadOnlySpan<byte> data)
    {
        foreach (byte b in data)
        {
            if (b == (byte)'\n') { Emit(pipe); continue; }
            pipe.Partial.Add(b);
            if (pipe.Partial.Count >= MaxLine) Emit(pipe);
        }
    }

    private void Emit(Pipe pipe)
    {
        string line = Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(pipe.Partial)).TrimEnd('\r');
        pipe.Partial.Clear();
        try { _onLine(pipe.Pid, pipe.IsStdout, line); } catch { /* logging must never stop the pump */ }
    }

    public void Dispose()
    {
        _stopping = true;
        Wake();
        _thread.Join(2000);
        lock (_gate) foreach (var p in _pipes) Native.close(p.Fd);
        Native.close(_wakeRead);
        Native.close(_wakeWrite);
    }
}
