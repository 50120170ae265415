using System.Globalization;
using Lab.Core.Scenarios;

namespace Lab.Core.ProcessManager;

/// <summary>
/// How the dotnet engine hands the [recycle] rules and the seed to its master and children: one
/// environment variable, <c>LAB_RECYCLE=jitter=250;delta=0;max_rss=0;max_uss=0;kill_rss=0;pool_budget=0;check_ms=3000;min_lifetime_ms=0;seed=1</c>
/// (php-fpm's configuration file has no place for them: they are not php-fpm directives).
/// </summary>
public static class RecycleEnvironment
{
    public const string Variable = "LAB_RECYCLE";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Format(RecycleSettings r, ulong seed) => string.Create(Inv,
        $"jitter={r.Jitter};delta={r.Delta};max_rss={r.MaxRssBytes};max_uss={r.MaxUssBytes};kill_rss={r.KillRssBytes};pool_budget={r.PoolBudgetBytes};check_ms={(long)r.CheckInterval.TotalMilliseconds};min_lifetime_ms={(long)r.MinLifetime.TotalMilliseconds};seed={seed}");

    /// <summary>The rules and seed from the variable's value; php-fpm's recycling alone when absent or empty.</summary>
    public static Recycling Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return Recycling.PhpFpm;
        var r = new RecycleSettings();
        ulong seed = 0;
        foreach (var part in value.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=');
            if (eq < 0) throw new FormatException($"{Variable}: '{part}' is not key=value");
            string key = part[..eq].Trim(), text = part[(eq + 1)..].Trim();
            if (key == "seed") { seed = ulong.Parse(text, NumberStyles.None, Inv); continue; }
            long n = long.Parse(text, NumberStyles.None, Inv);
            r = key switch
            {
                "jitter" => r with { Jitter = (int)n },
                "delta" => r with { Delta = (int)n },
                "max_rss" => r with { MaxRssBytes = n },
                "max_uss" => r with { MaxUssBytes = n },
                "kill_rss" => r with { KillRssBytes = n },
                "pool_budget" => r with { PoolBudgetBytes = n },
                "check_ms" => r with { CheckInterval = TimeSpan.FromMilliseconds(Math.Max(1, n)) },
                "min_lifetime_ms" => r with { MinLifetime = TimeSpan.FromMilliseconds(n) },
                _ => throw new FormatException($"{Variable}: unknown key '{key}'"),
            };
        }
        return new Recycling(r, seed);
    }
}
