namespace Lab.Core.Fitting;

/// <summary>A least-squares solution from a Gram matrix (see <see cref="LastColumnLeastSquares"/>).</summary>
/// <param name="Ok">False when the last column (the one the fit is for) adds nothing to the others: it cannot be told.</param>
/// <param name="Beta">The coefficient of each column (0 for a column left out).</param>
/// <param name="Sse">The residual sum of squares.</param>
/// <param name="InvLast">The last column's diagonal element of (XᵀX)⁻¹: its coefficient's variance is σ² × this.</param>
/// <param name="Columns">The columns kept.</param>
/// <param name="Kept">Bit j set: column j was kept.</param>
internal readonly record struct LsSolution(bool Ok, double[] Beta, double Sse, double InvLast, int Columns, int Kept);

/// <summary>
/// Least squares of y on columns 0 .. size−2 from their Gram matrix (Σ v·vᵀ over the rows, y the
/// last of the size columns): a Cholesky factorisation in column order that leaves out a column
/// adding nothing to those before it (no transient memory at all, every request alike, ...).
/// The column the fit is for comes last (size − 2): its pivot gives its variance factor, and a
/// fit where it is left out is not Ok.
/// </summary>
internal static class LastColumnLeastSquares
{
    public static LsSolution Solve(ReadOnlySpan<double> gram, int size)
    {
        int last = size - 2, y = size - 1;
        Span<double> l = stackalloc double[size * size];
        Span<int> kept = stackalloc int[size];
        int nk = 0;
        for (int j = 0; j <= last; j++)
        {
            double d = gram[j * size + j];
            for (int k = 0; k < nk; k++) d -= l[j * size + k] * l[j * size + k];
            if (!(d > 1e-9 * Math.Max(gram[j * size + j], 1e-300)))
            {
                if (j == last) return default;
                continue;
            }
            double root = Math.Sqrt(d);
            kept[nk] = j;
            l[j * size + nk] = root;
            for (int i = 0; i < size; i++)
            {
                if (i == j || IsKept(kept, nk, i)) continue;
                double v = gram[i * size + j];
                for (int k = 0; k < nk; k++) v -= l[i * size + k] * l[j * size + k];
                l[i * size + nk] = v / root;
            }
            nk++;
        }
        // y's residual after the kept columns, and back substitution Lᵀβ = l[y, ·]
        double sse = gram[y * size + y];
        for (int k = 0; k < nk; k++) sse -= l[y * size + k] * l[y * size + k];
        var beta = new double[size - 1];
        Span<double> b = stackalloc double[size];
        for (int k = nk - 1; k >= 0; k--)
        {
            double v = l[y * size + k];
            for (int k2 = k + 1; k2 < nk; k2++) v -= l[kept[k2] * size + k] * b[k2];
            b[k] = v / l[kept[k] * size + k];
        }
        int mask = 0;
        for (int k = 0; k < nk; k++)
        {
            beta[kept[k]] = b[k];
            mask |= 1 << kept[k];
        }
        double pivot = l[last * size + (nk - 1)];
        return new LsSolution(true, beta, Math.Max(0, sse), 1 / (pivot * pivot), nk, mask);
    }

    private static bool IsKept(ReadOnlySpan<int> kept, int count, int column)
    {
        for (int k = 0; k < count; k++) if (kept[k] == column) return true;
        return false;
    }
}
