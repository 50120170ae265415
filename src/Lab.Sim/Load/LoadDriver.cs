using Lab.Core.Load;
using Lab.Core.Records;
using Lab.Core.Requests;
using Lab.Core.Scenarios;
using Lab.Sim.Engine;
using Lab.Sim.Pool;

namespace Lab.Sim.Load;

/// <summary>
/// The client side in virtual time: the open model's arrivals (LoadSchedule.OpenArrivals) and
/// the closed model's looping users (LoadSchedule.UserChanges), the client time-out (504),
/// max_in_flight (dropped, status 0), iterations, and one requests.csv record per request.
/// The sim's client is never late: a request is sent at its intended time, so t_start = t_intended;
/// the wait in the listen queue is part of the latency (an <see cref="ISimObserver"/> sees when a
/// child accepted it).
/// </summary>
internal sealed class LoadDriver : ISimHandler
{
    /// <summary>
    /// A closed-model user whose request came back in zero virtual time (refused, or failed at
    /// once on memory_limit) waits at least this long before its next request: the round trip a
    /// real client always pays, without which such a user would loop forever at one instant.
    /// </summary>
    public const long ZeroTimeRetryUs = 1_000;

    private const int EventUserSend = 1, EventUserChange = 2;

    private struct Slot
    {
        public RequestSpec Spec;
        public long Intended;
        public int Pid;
        public int User;      // closed-model user, -1 for the open model
        public int Gen;       // bumped on reuse, so a stale time-out entry is recognised
        public bool ClientDone, ServerDone, Free;
        public int NextFree;
    }

    private readonly Simulation _sim;
    private readonly IRunSink _sink;
    /// <summary>The pools (pool.pools; usually one): each request goes to the next in turn, as nginx's round-robin upstream sends it.</summary>
    private readonly IReadOnlyList<Fpm> _fpms;
    private int _turn;
    private readonly ISimObserver? _observer;
    private readonly RequestStream _stream;
    private readonly LoadSchedule _schedule;
    private readonly long _loadEnd;
    private readonly long _timeoutUs;
    private readonly int _maxInFlight;
    private readonly long? _iterations;
    private readonly ArrivalStream _arrivals;
    private readonly ClientTimeouts _timeouts;

    private Slot[] _slots = new Slot[256];
    private int _slotsUsed;
    private int _freeSlot = -1;

    private long _lastId;
    private long _sent;
    private int _inFlight;
    private bool _stopWhenIdle;

    // closed model
    private readonly IEnumerator<(double T, int Users)> _userChanges;
    private bool[] _userActive = new bool[16];
    private int _wantedUsers;

    public LoadDriver(Simulation sim, Scenario scenario, IReadOnlyList<Fpm> fpms, IRunSink sink, ISimObserver? observer)
    {
        _sim = sim;
        _sink = sink;
        _fpms = fpms;
        _observer = observer;
        _stream = new RequestStream(scenario.Request, scenario.Seed);
        _schedule = new LoadSchedule(scenario.Load, scenario.Seed, scenario.RunLength.TotalSeconds);
        _loadEnd = Simulation.FromSeconds(_schedule.End);
        _timeoutUs = Math.Max(1, Simulation.FromTimeSpan(scenario.Load.Timeout));
        _maxInFlight = Math.Max(1, scenario.Load.MaxInFlight);
        _iterations = scenario.Load.Iterations;
        _arrivals = new ArrivalStream(this, _schedule.OpenArrivals().GetEnumerator(), _loadEnd);
        _timeouts = new ClientTimeouts(this);
        _userChanges = _schedule.UserChanges().GetEnumerator();
    }

    /// <summary>The open model's intended send times, merged by the simulation with its heap.</summary>
    public EventStream Arrivals => _arrivals;
    /// <summary>The client time-outs, in send order (every request has the same time-out).</summary>
    public EventStream Timeouts => _timeouts;

    /// <summary>Requests sent and not yet answered (nor timed out).</summary>
    public int InFlight => _inFlight;

    private bool CapReached => _iterations is { } cap && _sent >= cap;

    /// <summary>Arms the first arrival and the first closed-model user change.</summary>
    public void Start()
    {
        _arrivals.Advance();
        ScheduleNextUserChange();
    }

    /// <summary>After the load's end: the run ends as soon as no request is outstanding.</summary>
    public void StopWhenIdle()
    {
        _stopWhenIdle = true;
        CheckIdle();
    }

    public ref readonly RequestSpec Spec(int slot) => ref _slots[slot].Spec;

    /// <summary>A child accepted the request (end of its wait in the listen queue).</summary>
    public void Accepted(int slot, int pid)
    {
        ref var s = ref _slots[slot];
        s.Pid = pid;
        _observer?.Accepted(s.Spec.Id, Simulation.ToSeconds(s.Intended), Simulation.ToSeconds(_sim.Now), pid);
    }

    /// <summary>The pool's answer (200, 500, 502, 503) now; ignored by the client if it already timed out.</summary>
    /// <param name="rssKb">The serving child's RSS right after the request (-1: none, it died or never served it).</param>
    public void Answer(int slot, int status, int pid, long rssKb = -1)
    {
        ref var s = ref _slots[slot];
        s.ServerDone = true;
        if (pid != 0) s.Pid = pid;
        if (!s.ClientDone)
        {
            s.ClientDone = true;
            _inFlight--;
            Record(in s, status, _sim.Now, rssKb);
            if (s.User >= 0) UserAnswered(s.User, zeroTime: _sim.Now == s.Intended);
        }
        Release(slot);
        _timeouts.TrimAnswered();
        CheckIdle();
    }

    private void Record(in Slot s, int status, long end, long rssKb = -1)
    {
        double intended = Simulation.ToSeconds(s.Intended);
        var r = new RequestRecord(s.Spec.Id, intended, intended, Simulation.ToSeconds(end), status == RequestStatus.Refused ? 0 : s.Pid,
            status, (end - s.Intended) / 1000.0, s.Spec.LeakKb, s.Spec.TransientKb, rssKb, Kind: s.Spec.Kind);
        _sink.Request(in r);
    }

    private void CheckIdle()
    {
        if (_stopWhenIdle && _inFlight == 0) _sim.Stop();
    }

    /// <summary>A request leaves the client now: a slot, a time-out, a connection to the pool.</summary>
    private void Send(long id, int user)
    {
        int slot = AllocSlot();
        ref var s = ref _slots[slot];
        s.Spec = _stream.For(id);
        s.Intended = _sim.Now;
        s.Pid = 0;
        s.User = user;
        s.ClientDone = s.ServerDone = false;
        _sent++;
        _inFlight++;
        int gen = s.Gen;
        if (CapReached) _stopWhenIdle = true; // iterations: an alternative stop condition
        var fpm = _fpms[_turn];
        _turn = _turn + 1 == _fpms.Count ? 0 : _turn + 1;
        fpm.Connect(slot);
        // A request answered at once (refused: the listen queue is full) needs no time-out; only
        // the others wait in the queue of deadlines, so it holds about the requests in flight
        // even under a flood (deadlines stay in send order: the same time-out for every request).
        if (!IsAnswered(slot, gen)) _timeouts.Add(_sim.Now + _timeoutUs, slot, gen);
        CheckIdle();
    }

    // ---- open model ----

    private void OnArrival()
    {
        long id = ++_lastId;
        if (_inFlight >= _maxInFlight)
        {
            var spec = _stream.For(id);
            double t = Simulation.ToSeconds(_sim.Now);
            _sink.Request(new RequestRecord(id, t, t, t, 0, RequestStatus.Dropped, 0, spec.LeakKb, spec.TransientKb, Kind: spec.Kind));
            return;
        }
        Send(id, user: -1);
    }

    private sealed class ArrivalStream(LoadDriver driver, IEnumerator<double> times, long end) : EventStream
    {
        public override void Fire(Simulation sim)
        {
            driver.OnArrival();
            Advance();
        }

        public void Advance()
        {
            if (driver.CapReached || !times.MoveNext()) { NextTime = Simulation.Never; return; }
            long t = Simulation.FromSeconds(times.Current);
            NextTime = t < end ? t : Simulation.Never;
        }
    }

    // ---- closed model ----

    public void Handle(Simulation sim, in SimEvent e)
    {
        if (e.Kind == EventUserSend) UserSend(e.Target);
        else if (e.Kind == EventUserChange) OnUserChange(e.Target);
    }

    private void ScheduleNextUserChange()
    {
        if (!_userChanges.MoveNext()) return;
        var (t, users) = _userChanges.Current;
        long at = Simulation.FromSeconds(t);
        if (at >= _loadEnd && users > 0) return;
        _sim.ScheduleAt(at, this, EventUserChange, users);
    }

    /// <summary>The wanted user count changes: new users start now; users above it stop after their current request.</summary>
    private void OnUserChange(int users)
    {
        _wantedUsers = users;
        if (_userActive.Length < users) Array.Resize(ref _userActive, Math.Max(users, _userActive.Length * 2));
        for (int i = 0; i < users; i++)
        {
            if (_userActive[i]) continue;
            _userActive[i] = true;
            UserSend(i);
        }
        ScheduleNextUserChange();
    }

    private void UserSend(int user)
    {
        if (!StopsIfUnwanted(user)) Send(++_lastId, user);
    }

    /// <summary>The user got its answer: it thinks, then sends again (if it is still wanted then).</summary>
    private void UserAnswered(int user, bool zeroTime)
    {
        if (StopsIfUnwanted(user)) return;
        long think = Simulation.FromSeconds(_schedule.ThinkAt(Simulation.ToSeconds(_sim.Now)));
        if (zeroTime) think = Math.Max(think, ZeroTimeRetryUs);
        // a heap event even with no think time: the pool finishes what it is doing at this instant first
        _sim.Schedule(think, this, EventUserSend, user);
    }

    /// <summary>A user above the wanted count, past the load's end or over `iterations` stops (true).</summary>
    private bool StopsIfUnwanted(int user)
    {
        if (user < _wantedUsers && _sim.Now < _loadEnd && !CapReached) return false;
        _userActive[user] = false;
        return true;
    }

    // ---- time-outs ----

    private void OnTimeout(int slot)
    {
        ref var s = ref _slots[slot];
        s.ClientDone = true;
        _inFlight--;
        Record(in s, RequestStatus.ClientTimeout, _sim.Now);
        if (s.User >= 0) UserAnswered(s.User, zeroTime: false);
        Release(slot); // the child may still be working on it: the slot lives until the pool is done too
        CheckIdle();
    }

    private bool IsAnswered(int slot, int gen) => _slots[slot].Gen != gen || _slots[slot].ClientDone;

    /// <summary>Every request's client deadline, in send order; answered ones are skipped lazily.</summary>
    private sealed class ClientTimeouts(LoadDriver driver) : EventStream
    {
        private readonly Queue<(long Deadline, int Slot, int Gen)> _pending = new();

        public void Add(long deadline, int slot, int gen)
        {
            _pending.Enqueue((deadline, slot, gen));
            if (_pending.Count == 1) NextTime = deadline;
        }

        /// <summary>Drops answered requests from the front, so the queue holds about the requests in flight.</summary>
        public void TrimAnswered()
        {
            while (_pending.TryPeek(out var front) && driver.IsAnswered(front.Slot, front.Gen)) _pending.Dequeue();
            NextTime = _pending.TryPeek(out var next) ? next.Deadline : Simulation.Never;
        }

        public override void Fire(Simulation sim)
        {
            var (_, slot, gen) = _pending.Dequeue();
            if (!driver.IsAnswered(slot, gen)) driver.OnTimeout(slot);
            TrimAnswered();
        }
    }

    // ---- request slots ----

    private int AllocSlot()
    {
        int slot;
        if (_freeSlot >= 0)
        {
            slot = _freeSlot;
            _freeSlot = _slots[slot].NextFree;
        }
        else
        {
            if (_slotsUsed == _slots.Length) Array.Resize(ref _slots, _slots.Length * 2);
            slot = _slotsUsed++;
        }
        _slots[slot].Gen++;
        _slots[slot].Free = false;
        return slot;
    }

    /// <summary>A slot is reused once both the client and the pool are done with it.</summary>
    private void Release(int slot)
    {
        ref var s = ref _slots[slot];
        if (!s.ClientDone || !s.ServerDone || s.Free) return;
        s.Free = true;
        s.NextFree = _freeSlot;
        _freeSlot = slot;
    }
}
