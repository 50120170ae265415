namespace Lab.Core.Scenarios;

/// <summary>
/// The [php] section: what the php-fpm engine runs. The simulator and the dotnet engine ignore
/// it (they run the lab's own request handler).
/// </summary>
public sealed record PhpSettings
{
    /// <summary>The document root (an absolute path): the user's own scripts. Null: the lab's scripts (lab/php).</summary>
    public string? Root { get; init; }
    /// <summary>php.ini directives, in order (name → value as php.ini writes it).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Ini { get; init; } = [];
    /// <summary>opcache on (production-like settings; the default) or off (opcache.enable = 0).</summary>
    public bool Opcache { get; init; } = true;
    /// <summary>PHP extensions by the distribution's package or module name ("php8.2-redis", "redis").</summary>
    public IReadOnlyList<string> Extensions { get; init; } = [];

    // The lists compare by value, so two equal scenarios are equal records.
    public bool Equals(PhpSettings? other) =>
        other is not null && Root == other.Root && Opcache == other.Opcache && Ini.SequenceEqual(other.Ini) && Extensions.SequenceEqual(other.Extensions);

    public override int GetHashCode() => HashCode.Combine(Root, Ini.Count, Extensions.Count);
}
