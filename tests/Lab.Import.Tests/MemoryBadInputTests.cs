using static Lab.Import.Tests.MemoryCaptureTests;

namespace Lab.Import.Tests;

/// <summary>smem output and smaps_rollup dumps that cannot be imported: one message naming the file and line; nothing created.</summary>
public class MemoryBadInputTests
{
    private static string Fails(string text, string name = "paste.txt")
    {
        using var tmp = new TempDir();
        string path = tmp.Path(name);
        File.WriteAllText(path, text);
        var e = Assert.Throws<ImportException>(() => PsLogImport.Read(path, Imports.Options));
        Assert.Equal([name], Directory.GetFileSystemEntries(tmp.Root).Select(Path.GetFileName)); // nothing created
        Assert.DoesNotContain("\n   at ", e.Message);
        return e.Message;
    }

    private const string Header = "  PID User     Command                         Swap      USS      PSS      RSS ";

    [Fact]
    public void A_smem_row_with_a_size_that_is_no_size()
    {
        string m = Fails($"{Header}\n30187 root     php-fpm: master process (/e        0      524     1369     5952 \n30188 www-data php-fpm: pool www                  0     45x2     7076    16420 \n");
        Assert.StartsWith("paste.txt:3: not a smem process line: \"30188 www-data php-fpm: pool www", m);
        Assert.Contains("PID User Command Swap USS PSS RSS", m);
    }

    [Fact]
    public void A_smem_row_cut_short()
    {
        string m = Fails($"{Header}\n30187 root     php-fpm: master process (/e        0      524\n");
        Assert.StartsWith("paste.txt:2: not a smem process line", m);
    }

    [Fact]
    public void Smem_percentages()
    {
        string m = Fails($"{Header}\n30187 root     php-fpm: master process (/e    0.00%    0.01%    0.02%    0.07% \n");
        Assert.StartsWith("paste.txt:2: smem printed percentages (smem -p)", m);
    }

    [Fact]
    public void A_smem_header_without_pss()
    {
        string m = Fails("  PID User     Command                          USS      RSS \n30187 root     php-fpm: master process (/e      524     5952 \n");
        Assert.StartsWith("paste.txt:1: smem's header has no PSS column", m);
    }

    [Fact]
    public void Smem_output_without_php_fpm()
    {
        string m = Fails($"{Header}\n31000 root     /usr/bin/python3 /usr/bin/s        0    11016    11243    13316 \n");
        Assert.StartsWith("paste.txt: 1 smem snapshot(s) found, but no php-fpm process in them (commands seen: /usr/bin/python3 /usr/bin/s)", m);
    }

    [Fact]
    public void A_rollup_field_before_any_pid_line()
    {
        string m = Fails("Rss:                5908 kB\nPss:                1406 kB\n" + Dump("10", 6000, 1500, 500));
        Assert.StartsWith("paste.txt:1: \"Rss:                5908 kB\" comes before any PID line", m);
    }

    [Fact]
    public void A_rollup_value_that_is_no_number()
    {
        string m = Fails(Dump("10", 6000, 1500, 500).Replace("Pss:                1500 kB", "Pss:                15x0 kB"));
        Assert.StartsWith("paste.txt:4: \"Pss:                15x0 kB\" is not a smaps_rollup line", m);
    }

    [Fact]
    public void Smaps_instead_of_smaps_rollup()
    {
        string m = Fails(Dump("10", 6000, 1500, 500) + "\nRss:                  12 kB\n");
        Assert.StartsWith("paste.txt:12: a second Rss: line under PID 10: this looks like /proc/PID/smaps", m);
    }

    [Fact]
    public void A_dump_cut_before_its_private_lines()
    {
        string m = Fails("10\n55d1c0f4e000-7ffd5e3b1000 ---p 00000000 00:00 0    [rollup]\nRss:                6000 kB\nPss:                1500 kB\n");
        Assert.StartsWith("paste.txt:1: the smaps_rollup under PID 10 has no Private_Clean: line", m);
    }
}
