using Lab.Core.Records;
using Lab.Pool.Logging;

namespace Lab.Pool.Tests;

public class FpmLogTests
{
    [Fact]
    public void Notice_level_lines_have_seconds_and_debug_lines_have_microseconds_pid_function_and_line()
    {
        string dir = Directory.CreateTempSubdirectory("lab-log-").FullName;
        try
        {
            var at = new DateTime(2026, 11, 25, 4, 32, 10, DateTimeKind.Local).AddTicks(1234567);
            using (var notice = new FpmLog(Path.Combine(dir, "n.log"), FpmLogLevel.Notice))
            {
                Assert.Equal("[25-Nov-2026 04:32:10] NOTICE: ready to handle connections",
                    notice.Format(at, FpmLogLevel.Notice, "ready to handle connections", "Run", 7));
                notice.Debug("not written at notice level");
                notice.Warning("written");
            }
            Assert.Single(File.ReadAllLines(Path.Combine(dir, "n.log")));

            using var debug = new FpmLog(Path.Combine(dir, "d.log"), FpmLogLevel.Debug);
            Assert.Equal($"[25-Nov-2026 04:32:10.123456] DEBUG: pid {Environment.ProcessId}, SpawnChild(), line 42: [pool www] child 9 started",
                debug.Format(at, FpmLogLevel.Debug, "[pool www] child 9 started", "SpawnChild", 42));
        }
        finally { Directory.Delete(dir, true); }
    }
}
