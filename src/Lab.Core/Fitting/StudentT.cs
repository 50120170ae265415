namespace Lab.Core.Fitting;

/// <summary>Student's t distribution: the two-sided 95% quantile a confidence interval needs.</summary>
public static class StudentT
{
    /// <summary>The normal distribution's 97.5% quantile.</summary>
    public const double Z975 = 1.959963984540054;

    /// <summary>
    /// t(0.975; df): exact for 1 and 2 degrees of freedom, else the Cornish–Fisher expansion
    /// around the normal quantile (Abramowitz &amp; Stegun 26.7.5; within 0.005 from 3 on); NaN below 1.
    /// </summary>
    public static double Quantile975(double df)
    {
        if (!(df >= 1)) return double.NaN;
        if (df < 1.5) return 12.706204736174705;
        if (df < 2.5) return 4.302652729749464;
        double z = Z975, z2 = z * z, v = df;
        double z3 = z * z2, z5 = z3 * z2, z7 = z5 * z2, z9 = z7 * z2;
        return z
            + (z3 + z) / (4 * v)
            + (5 * z5 + 16 * z3 + 3 * z) / (96 * v * v)
            + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * v * v * v)
            + (79 * z9 + 776 * z7 + 1482 * z5 - 1920 * z3 - 945 * z) / (92160 * v * v * v * v);
    }
}
