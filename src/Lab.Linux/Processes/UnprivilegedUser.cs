namespace Lab.Linux.Processes;

/// <summary>
/// The user php-fpm's children and nginx's workers run as when the lab runs as root: www-data
/// (Debian's web user, nginx's default there), else nobody. php-fpm's socket is owned by it
/// (listen.owner/listen.group, mode 0660) so nginx's workers can connect.
/// </summary>
public sealed record UnprivilegedUser(string User, string Group)
{
    /// <summary>The user to drop to, or null when the lab does not run as root (then everything runs as the lab's user).</summary>
    public static UnprivilegedUser? ForThisLab() => IsolatedProcess.IsRoot ? Find("/etc/passwd", "/etc/group") : null;

    /// <summary>www-data, else nobody, with its primary group's name; null if neither exists.</summary>
    public static UnprivilegedUser? Find(string passwdPath, string groupPath)
    {
        var users = ReadTable(passwdPath);
        var groups = ReadTable(groupPath);
        foreach (var name in new[] { "www-data", "nobody" })
        {
            if (!users.TryGetValue(name, out var fields) || fields.Length < 4) continue;
            string gid = fields[3];
            string group = groups.Values.FirstOrDefault(g => g.Length >= 3 && g[2] == gid)?[0] ?? name;
            return new UnprivilegedUser(name, group);
        }
        return null;
    }

    /// <summary>A user's uid and primary gid from /etc/passwd (null if unknown).</summary>
    public static (int Uid, int Gid)? Ids(string user, string passwdPath = "/etc/passwd") =>
        ReadTable(passwdPath).TryGetValue(user, out var f) && f.Length >= 4
            && int.TryParse(f[2], out int uid) && int.TryParse(f[3], out int gid) ? (uid, gid) : null;

    /// <summary>A group's gid from /etc/group (null if unknown).</summary>
    public static int? GroupId(string group, string groupPath = "/etc/group") =>
        ReadTable(groupPath).TryGetValue(group, out var f) && f.Length >= 3 && int.TryParse(f[2], out int gid) ? gid : null;

    /// <summary>The name of a uid (passwd) or gid (group), null if unknown.</summary>
    public static string? NameOf(int id, string tablePath) =>
        ReadTable(tablePath).Values.FirstOrDefault(f => f.Length >= 3 && f[2] == id.ToString(System.Globalization.CultureInfo.InvariantCulture))?[0];

    private static Dictionary<string, string[]> ReadTable(string path)
    {
        var table = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!File.Exists(path)) return table;
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            var f = line.Split(':');
            if (f.Length > 0) table.TryAdd(f[0], f);
        }
        return table;
    }
}
