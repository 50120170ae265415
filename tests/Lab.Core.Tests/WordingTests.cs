using System.Diagnostics;
using System.Text;
using Lab.Core.Logging;

namespace Lab.Core.Tests;

/// <summary>The wording table is php-fpm 8.2's: every template's literal text is in the php-fpm8.2 binary's format strings.</summary>
public class WordingTests
{
    private const string Binary = "/usr/sbin/php-fpm8.2";

    [Fact]
    public void Every_template_is_a_format_string_of_php_fpm_8_2()
    {
        Assert.True(File.Exists(Binary), $"{Binary} is not installed (./run.sh test installs php8.2-fpm)");
        string strings = Strings(File.ReadAllBytes(Binary));
        var missing = new List<string>();
        foreach (var m in FpmMessages.Table.Append(FpmMessages.PhpMemoryLimit))
        {
            if (m.Kind == FpmLogKind.ChildStderr || m.Kind == FpmLogKind.ChildStdout) continue; // built by zlog_stream from pieces
            if (m == FpmMessages.PhpMemoryLimit) continue;                                        // PHP's, not php-fpm's
            if (m.Kind is FpmLogKind.ChildExitedCode or FpmLogKind.ChildExitedSignal) continue;  // "exited %s after", pieces below
            foreach (var (placeholder, text) in m.Segments)
            {
                if (placeholder || text.Trim().Length < 3) continue;
                if (!strings.Contains(text, StringComparison.Ordinal)) missing.Add($"{m.Kind}: \"{text}\"");
            }
        }
        Assert.Empty(missing);
        Assert.Contains("[pool %s] child %d exited %s after %ld.%06d seconds from start", strings);
        Assert.Contains("with code %d", strings);
        Assert.Contains("on signal %d (%s%s)", strings);
        Assert.Contains("[pool %s] child %d said into %s: ", strings);
        Assert.Contains("Allowed memory size of %zu bytes exhausted (tried to allocate %zu bytes)", strings);
    }

    [Fact]
    public void Rendering_fills_every_placeholder()
    {
        var f = new FpmLogFact(FpmLogKind.Other, Pool: "www", Pid: 12, Code: 1, Signal: 9, Core: true, Seconds: 1.5, N: 2, M: 3, K: 4, Text: "t", Script: "s", Method: "GET", Uri: "/u");
        foreach (var m in FpmMessages.Table)
        {
            string line = FpmMessages.Fill(m, f with { Kind = m.Kind });
            Assert.DoesNotContain("{", line);
        }
        Assert.Equal("[pool www] child 12 exited on signal 9 (SIGKILL - core dumped) after 1.500000 seconds from start",
            FpmMessages.Render(FpmLogFact.ChildSignaled("www", 12, 9, 1.5, core: true)));
    }

    /// <summary>The printable runs of a binary, as strings(1) finds them.</summary>
    private static string Strings(byte[] bytes)
    {
        var sb = new StringBuilder();
        int start = -1;
        for (int i = 0; i <= bytes.Length; i++)
        {
            bool printable = i < bytes.Length && bytes[i] is >= 0x20 and < 0x7f or (byte)'\t';
            if (printable) { if (start < 0) start = i; continue; }
            if (start >= 0 && i - start >= 4) sb.Append(Encoding.ASCII.GetString(bytes, start, i - start)).Append('\n');
            start = -1;
        }
        return sb.ToString();
    }
}
