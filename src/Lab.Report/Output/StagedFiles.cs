using System.Text;

namespace Lab.Report.Output;

/// <summary>
/// Files of a report written first under temporary names in their final folder, then renamed
/// into place together: a failure while making the report leaves the folder as it was (no
/// half-written plot or page), and a reader never sees a file half written.
/// </summary>
internal sealed class StagedFiles : IDisposable
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);
    private readonly string _dir;
    private readonly List<(string Temp, string Final)> _staged = new();
    private bool _committed;

    public StagedFiles(string dir) => _dir = dir;

    public void Write(string name, byte[] bytes)
    {
        string final = Path.Combine(_dir, name);
        string temp = Path.Combine(_dir, $".{name}.{Guid.NewGuid():N}.tmp");
        _staged.Add((temp, final));
        File.WriteAllBytes(temp, bytes);
    }

    public void Write(string name, string text) => Write(name, Utf8.GetBytes(text));

    /// <summary>Renames every staged file to its final name (replacing an older report's).</summary>
    public void Commit()
    {
        foreach (var (temp, final) in _staged) File.Move(temp, final, overwrite: true);
        _committed = true;
    }

    public void Dispose()
    {
        if (_committed) return;
        foreach (var (temp, _) in _staged)
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
