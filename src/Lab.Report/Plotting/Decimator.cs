namespace Lab.Report.Plotting;

/// <summary>
/// Thins a line for drawing without changing how it looks: per pixel column it keeps the
/// first, lowest, highest and last point, in their order, so every peak and trough of a
/// sawtooth is exact and a million samples draw as a few thousand points.
/// </summary>
internal sealed class Decimator
{
    private readonly double _x0, _scale;
    private readonly List<double> _xs = new(), _ys = new();
    private int _col = int.MinValue;
    // The current column's first, min, max and last points.
    private double _fx, _fy, _minX, _minY, _maxX, _maxY, _lx, _ly;
    private int _n, _minI, _maxI;

    /// <param name="xMin">Left edge of the plotted x range.</param>
    /// <param name="xMax">Right edge of the plotted x range.</param>
    /// <param name="columns">Pixel columns across that range.</param>
    public Decimator(double xMin, double xMax, int columns)
    {
        _x0 = xMin;
        double span = xMax - xMin;
        _scale = span > 0 && double.IsFinite(span) ? columns / span : 0;
    }

    public void Add(double x, double y)
    {
        if (!double.IsFinite(x) || !double.IsFinite(y)) return;
        int col = _scale > 0 ? (int)Math.Floor((x - _x0) * _scale) : 0;
        if (col != _col) { Flush(); _col = col; }
        if (_n == 0) { _fx = x; _fy = y; _minX = _maxX = x; _minY = _maxY = y; _minI = _maxI = 0; }
        else
        {
            if (y < _minY) { _minY = y; _minX = x; _minI = _n; }
            if (y > _maxY) { _maxY = y; _maxX = x; _maxI = _n; }
        }
        _lx = x; _ly = y;
        _n++;
    }

    private void Flush()
    {
        if (_n == 0) return;
        Emit(_fx, _fy);
        // min and max in the order they came, each only if it is not the first or last point.
        bool minMid = _minI != 0 && _minI != _n - 1, maxMid = _maxI != 0 && _maxI != _n - 1;
        if (minMid && maxMid && _minI != _maxI)
        {
            if (_minI < _maxI) { Emit(_minX, _minY); Emit(_maxX, _maxY); }
            else { Emit(_maxX, _maxY); Emit(_minX, _minY); }
        }
        else if (minMid) Emit(_minX, _minY);
        else if (maxMid) Emit(_maxX, _maxY);
        if (_n > 1) Emit(_lx, _ly);
        _n = 0;
    }

    private void Emit(double x, double y) { _xs.Add(x); _ys.Add(y); }

    /// <summary>The thinned points (call once, after the last Add).</summary>
    public (double[] Xs, double[] Ys) Finish()
    {
        Flush();
        return (_xs.ToArray(), _ys.ToArray());
    }
}
