using System.Globalization;
using Lab.Scoreboard;
using Lab.Scoreboard.Interop;

namespace Lab.Pool.Master;

// request.code: the application's code, made once by the master before any child (as php-fpm's
// opcache memory is created in the master) and kept over reloads; each child gets it as fd 5.
public sealed partial class FpmMaster
{
    private int _codeFd = -1;
    private long _codeBytes;

    /// <summary>LAB_FPM_CODE_KB (from the launcher: request.code): the shared code's file, written, opened read-only and unlinked.</summary>
    private void OpenSharedCode()
    {
        if (!long.TryParse(Environment.GetEnvironmentVariable("LAB_FPM_CODE_KB"), NumberStyles.None, CultureInfo.InvariantCulture, out long kb) || kb <= 0)
            return;
        string dir = Path.GetDirectoryName(Path.GetFullPath(_options.ConfigPath)) ?? Path.GetTempPath();
        _codeFd = SharedCode.Create(Path.Combine(dir, $"{PoolName}.code.{_pid}"), kb);
        _codeBytes = kb * 1024;
    }

    private void CloseSharedCode()
    {
        if (_codeFd >= 0) Native.close(_codeFd);
        _codeFd = -1;
    }
}
