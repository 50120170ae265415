using System.Runtime.InteropServices;

namespace Lab.Core.Fitting;

/// <summary>What <see cref="LeakFit"/> found (KiB). NaN where it could not be told.</summary>
/// <param name="LeakKb">The leak per request: what grows without bound.</param>
/// <param name="StdErrKb">Its standard error (the uncertainty of the retention's rate included).</param>
/// <param name="Low95Kb">The 95% confidence interval's lower end (Student's t).</param>
/// <param name="High95Kb">Its upper end.</param>
/// <param name="GrowthKb">RSS growth per request over these lives (<see cref="RssGrowthFit"/>): leak and retention filling up together.</param>
/// <param name="GrowthStdErrKb">Its ordinary standard error.</param>
/// <param name="RetentionKb">What the allocator keeps once saturated (above the fresh child's RSS, besides the leak).</param>
/// <param name="BaselineKb">A fresh child's RSS, as the fit sees it.</param>
/// <param name="Rho">The share of its retention a child still holds one request later (0: none kept, near 1: slow to saturate).</param>
/// <param name="Points">The RSS points the fit used (request ends, or samples).</param>
/// <param name="FromRequests">True: from each request's rss_kb (exact points); false: from the sample ticks.</param>
public sealed record LeakFitResult(double LeakKb, double StdErrKb, double Low95Kb, double High95Kb,
    double GrowthKb, double GrowthStdErrKb, double RetentionKb, double BaselineKb, double Rho, long Points, bool FromRequests)
{
    public static readonly LeakFitResult None = new(double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, 0, false);

    /// <summary>A leak was fitted (it may still be undetermined: see <see cref="Determined"/>).</summary>
    public bool HasLeak => double.IsFinite(LeakKb);

    /// <summary>
    /// The RSS clearly grew (by at least 1 KiB and twice its standard error per request) but the
    /// leak's 95% interval is wider on either side than that growth: lives this short (or this
    /// few readings) cannot tell the leak from the allocator's retention filling up.
    /// </summary>
    public bool Undetermined =>
        HasLeak && double.IsFinite(GrowthKb) && GrowthKb >= 1 && (!double.IsFinite(GrowthStdErrKb) || GrowthKb >= 2 * GrowthStdErrKb)
        && (!double.IsFinite(High95Kb - Low95Kb) || (High95Kb - Low95Kb) / 2 > GrowthKb);

    /// <summary>A leak fitted and told apart from the retention.</summary>
    public bool Determined => HasLeak && !Undetermined;
}

/// <summary>
/// The leak per request, told apart from what saturates. A child's RSS after its n-th request is
/// <c>a + L·n + Rₙ</c>: a fresh child's baseline a (shared by the pool's children), the leak L
/// per request (kept for good, growing without bound), and Rₙ what the allocator keeps of the
/// requests' transient memory (and caches) — bounded: it starts empty in a fresh child and
/// saturates, <c>Rₙ = ρ·Rₙ₋₁ + m + f·Tₙ + εₙ</c> (Tₙ the request's transient KiB, known for
/// every request; m what else each request adds to it; 0 ≤ ρ &lt; 1 how much of it survives the
/// next request). Folding the retention out (Rₙ₋₁ = yₙ₋₁ − a − L·(n−1)) leaves, for consecutive
/// requests of one child,
/// <c>yₙ − ρ·yₙ₋₁ = (1−ρ)·a + m + f·Tₙ + L·(n − ρ·(n−1)) + εₙ</c>, and for a child's first
/// request <c>y₁ = a + m + f·T₁ + L + ε₁</c> (R₀ = 0): a linear least-squares fit for every ρ,
/// whose profile over ρ gives the maximum-likelihood fit (an AR(1) allocator with independent
/// innovations). Its standard error adds the uncertainty of ρ (delta method on the profile).
/// Fitting RSS straight against requests served (<see cref="RssGrowthFit"/>) folds the
/// retention filling up into the slope: over short lives (pm.max_requests = 5) that is 10–15%
/// too much.
/// <para>Points come in two kinds: request ends (the serving child's rss_kb right after the
/// request: exact, used whenever the run has them) or sample ticks (older results folders and
/// imported ps logs: a child's first sample at each new count of requests served; a count that
/// skips ahead starts the chain again, with no row). Streaming, in constant memory: the sums of
/// the rows' products are kept as polynomials in ρ (every row is linear in ρ), per child only its
/// last point.</para>
/// </summary>
public sealed class LeakFit
{
    /// <summary>How the leak was fitted, in words (summary.json's leak_fit).</summary>
    public const string Method =
        "per child, RSS after each request against the requests it had served, with a bounded allocator-retention term that fills from empty in every fresh child (AR(1), fed by each request's transient memory); each child's own baseline where a sample caught it fresh, else one shared by the pool";

    // A row's columns: wk (a small offset common to the children whose own baseline was measured),
    // wu (the baseline shared by the others), m (retention's constant input), T (transient KiB),
    // n (requests served: the leak), y (RSS, less the child's own baseline or a reference).
    private const int WK = 0, WU = 1, M = 2, T = 3, N = 4, Y = 5, K = 6;

    private readonly Chains _requests = new();
    private readonly GapChains _samples = new();

    /// <summary>
    /// A request ended and the child's RSS right after it is known: servedAfter is the requests
    /// the child has served with it (1 for its first), transientKb what the request allocated and
    /// freed (0 for a request that failed before allocating).
    /// </summary>
    /// <param name="sentT">When the request was sent: a fresh reading of the child taken after it may hold the request already.</param>
    public void AddRequest(int child, long servedAfter, double rssKb, double transientKb, double sentT = double.PositiveInfinity) =>
        _requests.Add(child, servedAfter, rssKb, transientKb, sentT);

    /// <summary>
    /// A child's RSS before its first request (a fresh child, sampled at time t): its own
    /// baseline is what those readings repeat most (a process still starting up is smaller than
    /// it will be when it serves; a sample taken once its first request was on its way may hold
    /// that request's leak and transient memory). Children differ by a few hundred KiB on real
    /// engines; with each one's own baseline, that difference is not taken for the allocator's
    /// retention.
    /// </summary>
    public void AddBaseline(int child, double t, double rssKb) => _requests.AddBaseline(child, t, rssKb);

    /// <summary>
    /// A sample of a child that had served servedSoFar requests (ignored below 1; a count seen
    /// again is the same point; counts may skip: the samples fall between requests anywhere).
    /// </summary>
    public void AddSample(int child, double servedSoFar, double rssKb) => _samples.Add(child, servedSoFar, rssKb);

    /// <summary>
    /// The chain of a child's points is broken (a request whose answer was lost, so the count of
    /// requests served is no longer known exactly): the next point starts again.
    /// </summary>
    public void Break(int child) { _requests.Break(child); _samples.Break(child); }

    /// <summary>The child's life ended (it exited): its state is let go.</summary>
    public void End(int child) { _requests.End(child); _samples.End(child); }

    /// <summary>Request points seen so far (0: the fit will use the samples).</summary>
    public long RequestPoints => _requests.Points;

    public LeakFitResult Result() =>
        // Request ends are exact; samples may catch a child mid-request. Use the samples only
        // when the run has no per-request RSS at all (a folder from before rss_kb, an import).
        _requests.Points > 0 ? _requests.Fit(fromRequests: true) : _samples.Fit();

    /// <summary>The rows of one kind of point: the sums Σp·pᵀ, Σp·qᵀ, Σq·qᵀ of rows v = p − ρ·q, and per child its last point.</summary>
    private sealed class Chains
    {
        private readonly double[] _a = new double[K * K], _b = new double[K * K], _c = new double[K * K];
        private readonly Dictionary<int, (long N, double Y, double Base, bool Known)> _last = new();
        // each child's fresh readings, the latest few, until its first request
        private const int FreshKept = 8;
        private readonly Dictionary<int, List<(double T, double Rss)>> _fresh = new();
        private readonly RssGrowthFit _growth = new();
        // what children with a measured baseline held above it, by requests served (1..64, then the rest): Σ(y − base), Σn, count
        private const int Levels = 65;
        private readonly double[] _heldSum = new double[Levels], _heldN = new double[Levels], _heldCount = new double[Levels];
        // the same for the children without one, above the reference (the shared baseline's estimate is subtracted at the end)
        private readonly double[] _sharedSum = new double[Levels], _sharedN = new double[Levels], _sharedCount = new double[Levels];
        private double _yRef = double.NaN;
        private long _rows;

        public long Points { get; private set; }

        public void AddBaseline(int child, double t, double rssKb)
        {
            if (!double.IsFinite(rssKb) || rssKb <= 0 || _last.ContainsKey(child)) return; // only before its first request
            if (!_fresh.TryGetValue(child, out var list)) _fresh[child] = list = new List<(double, double)>(2);
            if (list.Count == FreshKept) list.RemoveAt(0);
            list.Add((t, rssKb));
        }

        /// <summary>
        /// The child's fresh baseline: the RSS its fresh readings repeat most (an idle process reads
        /// the same RSS tick after tick; one still starting up reads less, one caught in its first
        /// request more; a tie goes to the latest), and not above its first request's reading y by
        /// more than a few pages (the worker's own reading and the sampler's may differ by some
        /// buffers). Else, among readings that all differ, the largest not above y by more than
        /// that. None when every reading is above.
        /// </summary>
        private bool TakeBaseline(int child, double y, double sentT, out double baseline)
        {
            baseline = double.NaN;
            if (!_fresh.Remove(child, out var list)) return false;
            double ceiling = y + 64;
            int bestCount = 0;
            for (int i = list.Count - 1; i >= 0; i--)
            {
                double v = list[i].Rss;
                if (v > ceiling) continue;
                int count = 0;
                foreach (var r in list) if (r.Rss == v) count++;
                // a reading taken once the request was on its way counts only when it repeats (the child still idle)
                if (list[i].T >= sentT && count < 2) continue;
                if (count > bestCount || (count == bestCount && count == 1 && v > baseline)) { bestCount = count; baseline = v; }
            }
            return bestCount > 0;
        }

        public void Add(int child, long n, double y, double transient, double sentT)
        {
            if (n < 1 || !double.IsFinite(y)) return;
            ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_last, child, out bool has);
            var last = slot;
            if (has && n <= last.N) { _growth.End(child); has = false; } // the count did not rise: another life under the same key
            Points++;
            _growth.Add(child, n, y);
            if (double.IsNaN(_yRef)) _yRef = y;
            // the child's own baseline, when a sample caught it fresh (and below its first reading)
            double baseRef;
            bool known;
            if (has) (baseRef, known) = (last.Base, last.Known);
            else
            {
                known = TakeBaseline(child, y, sentT, out double b);
                baseRef = known ? b : _yRef;
            }
            double yc = y - baseRef; // centred: the intercept columns absorb the shift exactly
            int level = (int)Math.Min(n, Levels) - 1;
            if (known) { _heldSum[level] += yc; _heldN[level] += n; _heldCount[level]++; }
            else { _sharedSum[level] += yc; _sharedN[level] += n; _sharedCount[level]++; }
            Span<double> p = stackalloc double[K];
            Span<double> q = stackalloc double[K];
            p[known ? WK : WU] = 1; p[M] = 1; p[T] = transient; p[N] = n; p[Y] = yc;
            int baseColumn = known ? WK : WU;
            if (has && n == last.N + 1)
            {
                q[baseColumn] = 1; q[N] = last.N; q[Y] = last.Y - baseRef;
                AddRow(p, q, baseColumn, withQ: true);
            }
            else if (!has && n == 1) AddRow(p, q, baseColumn, withQ: false); // a child's first request: nothing retained before it
            // otherwise (a count that skipped ahead): the point only conditions the next one
            slot = (n, y, baseRef, known);
        }

        /// <summary>
        /// One row's products: ΣppT's upper triangle (Solve mirrors it), and, for a row with a
        /// previous point, the products with q, whose only non-zero columns are the baseline's,
        /// n's and y's (a first row has q = 0). Millions of requests pass here: the work is kept small.
        /// </summary>
        private void AddRow(ReadOnlySpan<double> p, ReadOnlySpan<double> q, int baseColumn, bool withQ)
        {
            _rows++;
            var a = _a;
            for (int i = 0; i < K; i++)
            {
                double pi = p[i];
                if (pi == 0) continue;
                int row = i * K;
                for (int j = i; j < K; j++) a[row + j] += pi * p[j];
            }
            if (!withQ) return;
            double qb = q[baseColumn], qn = q[N], qy = q[Y];
            var b = _b;
            for (int i = 0; i < K; i++)
            {
                double pi = p[i];
                if (pi == 0) continue;
                int row = i * K;
                b[row + baseColumn] += pi * qb;
                b[row + N] += pi * qn;
                b[row + Y] += pi * qy;
            }
            var c = _c;
            c[baseColumn * K + baseColumn] += qb * qb; c[baseColumn * K + N] += qb * qn; c[baseColumn * K + Y] += qb * qy;
            c[N * K + N] += qn * qn; c[N * K + Y] += qn * qy; c[Y * K + Y] += qy * qy;
        }

        public void Break(int child) => _last.Remove(child);

        public void End(int child)
        {
            _last.Remove(child);
            _fresh.Remove(child);
            _growth.End(child);
        }

        public LeakFitResult Fit(bool fromRequests)
        {
            var (growth, growthSe, _) = _growth.Result();
            if (_rows < 3) return LeakFitResult.None with { GrowthKb = growth, GrowthStdErrKb = growthSe, Points = Points, FromRequests = fromRequests };

            // The profile over ρ: a grid, then golden-section search around its best point.
            const double top = 0.99;
            double bestRho = 0, bestCrit = double.PositiveInfinity;
            for (int i = 0; i <= 99; i++)
            {
                double r = i * 0.01;
                double c = Criterion(r);
                if (c < bestCrit) { bestCrit = c; bestRho = r; }
            }
            double lo = Math.Max(0, bestRho - 0.01), hi = Math.Min(top, bestRho + 0.01);
            double g = (Math.Sqrt(5) - 1) / 2;
            double x1 = hi - g * (hi - lo), x2 = lo + g * (hi - lo);
            double f1 = Criterion(x1), f2 = Criterion(x2);
            for (int it = 0; it < 40; it++)
            {
                if (f1 <= f2) { hi = x2; x2 = x1; f2 = f1; x1 = hi - g * (hi - lo); f1 = Criterion(x1); }
                else { lo = x1; x1 = x2; f1 = f2; x2 = lo + g * (hi - lo); f2 = Criterion(x2); }
            }
            double rho = (lo + hi) / 2;
            if (Criterion(rho) > bestCrit) rho = bestRho;

            var s = Solve(rho);
            if (!s.Ok) return LeakFitResult.None with { GrowthKb = growth, GrowthStdErrKb = growthSe, Points = Points, FromRequests = fromRequests };
            double dof = _rows - s.Columns - 1; // the columns kept, and ρ
            double variance = dof >= 1 ? Variance(rho, s, dof) : double.NaN;
            double se = variance >= 0 ? Math.Sqrt(variance) : double.NaN;
            double t = StudentT.Quantile975(dof);
            double leak = s.Beta[N];
            double retention = Retention(leak, rho, (s.Kept & (1 << WU)) != 0 ? s.Beta[WU] : double.NaN);
            // the shared baseline where some children had none of their own, else the measured ones' offset (≈ 0) on the reference
            double baseline = (s.Kept & (1 << WU)) != 0 ? s.Beta[WU] + _yRef : double.NaN;
            return new LeakFitResult(leak, se, leak - t * se, leak + t * se, growth, growthSe,
                retention, baseline, rho, Points, fromRequests);
        }

        /// <summary>
        /// What the allocator keeps once saturated: what children held above baseline + L × n
        /// (their own measured baseline, else the shared one the fit found), over their readings
        /// past one time constant of the retention (n ≥ 1/(1 − ρ)) — measured, not the model's
        /// extrapolation, which ρ near 0 leaves undetermined.
        /// </summary>
        private double Retention(double leak, double rho, double sharedOffset)
        {
            int start = (int)Math.Clamp(Math.Ceiling(1 / Math.Max(1e-9, 1 - rho)), 1, Levels);
            double Held(double[] sums, double[] ns, double[] counts, double offset)
            {
                // past one time constant; if no reading is that late, all of them
                foreach (int from in start > 1 ? new[] { start, 1 } : new[] { 1 })
                {
                    double sum = 0, n = 0, count = 0;
                    for (int l = from - 1; l < Levels; l++) { sum += sums[l]; n += ns[l]; count += counts[l]; }
                    if (count > 0) return (sum - offset * count - leak * n) / count;
                }
                return double.NaN;
            }
            // measured against each child's own baseline where there is one, else against the shared one
            double held = Held(_heldSum, _heldN, _heldCount, 0);
            // (the shared baseline is told from the retention's own constant only where ρ is clear of 0)
            if (double.IsNaN(held) && double.IsFinite(sharedOffset) && rho >= 0.05) held = Held(_sharedSum, _sharedN, _sharedCount, sharedOffset);
            return double.IsFinite(held) ? Math.Max(0, held) : double.NaN;
        }

        /// <summary>
        /// L's variance with ρ's uncertainty in it: over the profile likelihood of ρ (a grid over
        /// [0, 0.99], each ρ weighted by exp(−Δcriterion/2)), the mean of L's variance at that ρ
        /// plus the spread of L itself — which holds where the profile is flat, lopsided or
        /// against a bound, as a curvature at the best point does not.
        /// </summary>
        private double Variance(double bestRho, LsSolution best, double dof)
        {
            double bestCrit = Criterion(bestRho);
            double sw = 0, swL = 0, swL2 = 0, swV = 0;
            for (int i = 0; i <= 198; i++)
            {
                double r = i * 0.005;
                var s = i == 0 && bestRho == 0 ? best : Solve(r);
                if (!s.Ok) continue;
                double c = Criterion(r) - bestCrit;
                if (!double.IsFinite(c) || c > 40) continue;
                double w = Math.Exp(-c / 2);
                double d = _rows - s.Columns - 1;
                if (d < 1) continue;
                double v = s.Sse / d * s.InvLast;
                sw += w; swL += w * s.Beta[N]; swL2 += w * s.Beta[N] * s.Beta[N]; swV += w * v;
            }
            if (sw <= 0) return best.Sse / dof * best.InvLast;
            double mean = swL / sw;
            double spread = Math.Max(0, swL2 / sw - mean * mean);
            return swV / sw + spread + (best.Beta[N] - mean) * (best.Beta[N] - mean);
        }

        /// <summary>−2 log-likelihood up to a constant: rows × log(SSE / rows); +∞ when the leak cannot be told.</summary>
        private double Criterion(double rho)
        {
            var s = Solve(rho);
            if (!s.Ok) return double.PositiveInfinity;
            double sse = Math.Max(s.Sse, 1e-9);
            return _rows * Math.Log(sse / _rows);
        }


        /// <summary>
        /// Least squares at one ρ from the Gram matrix Σv·vᵀ = A − ρ(B + Bᵀ) + ρ²C: a Cholesky
        /// factorisation in the order wk, wu, m, T, n (a column that adds nothing — no child with
        /// its own baseline, no transient memory at all, every request alike — is left out), n
        /// last so its pivot gives L's variance factor.
        /// </summary>
        private LsSolution Solve(double rho)
        {
            Span<double> gram = stackalloc double[K * K];
            for (int i = 0; i < K; i++)
                for (int j = 0; j < K; j++)
                {
                    int lo = Math.Min(i, j), hi = Math.Max(i, j); // ΣppT and ΣqqT are kept as upper triangles
                    gram[i * K + j] = _a[lo * K + hi] - rho * (_b[i * K + j] + _b[j * K + i]) + rho * rho * _c[lo * K + hi];
                }
            return LastColumnLeastSquares.Solve(gram, K);
        }
    }

    /// <summary>
    /// Samples: a child's points at any counts of requests served (real numbers: an imported
    /// log's estimated requests), consecutive points d requests apart giving the row
    /// <c>yₙ − ρᵈ·yₙ₋d = (1−ρᵈ)·a + m·(1−ρᵈ)/(1−ρ) + L·(n − ρᵈ·(n−d))</c> with the variance of d
    /// innovations, (1−ρ²ᵈ)/(1−ρ²). Not linear in ρ: the Gram matrices are kept for a grid of ρ
    /// (the profile's best point refined by a parabola). A child's first sample only conditions
    /// the next (a sampled child's past is not known: it may have served requests before).
    /// </summary>
    private sealed class GapChains
    {
        private const int C = 4; // w, m, n, y
        private static readonly double[] Grid = Enumerable.Range(0, 50).Select(i => i * 0.02).ToArray();
        private readonly double[][] _gram = Grid.Select(_ => new double[C * C]).ToArray();
        private readonly double[] _logDet = new double[Grid.Length];
        private readonly Dictionary<int, (double N, double Y)> _last = new();
        private readonly RssGrowthFit _growth = new();
        private double _yRef = double.NaN;
        private long _rows, _points;

        public void Add(int child, double n, double y)
        {
            if (!(n >= 1) || !double.IsFinite(y)) return;
            bool has = _last.TryGetValue(child, out var last);
            if (has && n == last.N) return; // the same count seen again: the first sample stands
            if (has && n < last.N) { _growth.End(child); has = false; } // another life under the same key
            _points++;
            _growth.Add(child, n, y);
            if (double.IsNaN(_yRef)) _yRef = y;
            if (has)
            {
                double d = n - last.N;
                double yc = y - _yRef, y0 = last.Y - _yRef;
                Span<double> v = stackalloc double[C];
                for (int g = 0; g < Grid.Length; g++)
                {
                    double rho = Grid[g];
                    double r = Math.Pow(rho, d);
                    double var = rho == 0 ? 1 : (1 - r * r) / (1 - rho * rho);
                    double scale = 1 / Math.Sqrt(var);
                    v[0] = (1 - r) * scale;
                    v[1] = (rho == 0 ? 1 : (1 - r) / (1 - rho)) * scale;
                    v[2] = (n - r * last.N) * scale;
                    v[3] = (yc - r * y0) * scale;
                    var gram = _gram[g];
                    for (int i = 0; i < C; i++)
                        for (int j = 0; j < C; j++) gram[i * C + j] += v[i] * v[j];
                    _logDet[g] += Math.Log(var);
                }
                _rows++;
            }
            _last[child] = (n, y);
        }

        public void Break(int child) => _last.Remove(child);

        public void End(int child)
        {
            _last.Remove(child);
            _growth.End(child);
        }

        public LeakFitResult Fit()
        {
            var (growth, growthSe, _) = _growth.Result();
            var none = LeakFitResult.None with { GrowthKb = growth, GrowthStdErrKb = growthSe, Points = _points };
            if (_rows < 3) return none;
            var crit = new double[Grid.Length];
            var sols = new LsSolution[Grid.Length];
            int best = -1;
            for (int g = 0; g < Grid.Length; g++)
            {
                sols[g] = Solve(_gram[g]);
                crit[g] = sols[g].Ok ? _rows * Math.Log(Math.Max(sols[g].Sse, 1e-9) / _rows) + _logDet[g] : double.PositiveInfinity;
                if (sols[g].Ok && (best < 0 || crit[g] < crit[best])) best = g;
            }
            if (best < 0) return none;
            var s = sols[best];
            double leak = s.Beta[2], rho = Grid[best];
            double dof = _rows - s.Columns - 1;
            double variance = double.NaN;
            if (dof >= 1)
            {
                // L's variance with ρ's uncertainty in it, over the profile likelihood of ρ (as for request readings)
                double sw = 0, swL = 0, swL2 = 0, swV = 0;
                for (int g = 0; g < Grid.Length; g++)
                {
                    if (!sols[g].Ok) continue;
                    double c = crit[g] - crit[best];
                    double d = _rows - sols[g].Columns - 1;
                    if (!double.IsFinite(c) || c > 40 || d < 1) continue;
                    double w = Math.Exp(-c / 2);
                    sw += w; swL += w * sols[g].Beta[2]; swL2 += w * sols[g].Beta[2] * sols[g].Beta[2]; swV += w * sols[g].Sse / d * sols[g].InvLast;
                }
                double mean = sw > 0 ? swL / sw : leak;
                variance = sw > 0 ? swV / sw + Math.Max(0, swL2 / sw - mean * mean) + (leak - mean) * (leak - mean) : s.Sse / dof * s.InvLast;
            }
            double se = variance >= 0 ? Math.Sqrt(variance) : double.NaN;
            double t = StudentT.Quantile975(dof);
            double retention = rho < 1 ? s.Beta[1] / (1 - rho) : double.NaN;
            return new LeakFitResult(leak, se, leak - t * se, leak + t * se, growth, growthSe, retention, s.Beta[0] + _yRef, rho, _points, false);
        }

        private static LsSolution Solve(double[] gram) => LastColumnLeastSquares.Solve(gram, C);
    }
}
