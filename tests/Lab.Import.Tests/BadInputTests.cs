namespace Lab.Import.Tests;

/// <summary>Files that are no ps log: a clear message saying what was expected, with an example line; nothing created.</summary>
public class BadInputTests
{
    private static ImportException Fails(string text, string name = "notes.txt")
    {
        using var tmp = new TempDir();
        string path = tmp.Path(name);
        File.WriteAllText(path, text);
        var e = Assert.Throws<ImportException>(() => PsLogImport.Read(path, Imports.Options));
        Assert.Equal([name], Directory.GetFileSystemEntries(tmp.Root).Select(Path.GetFileName)); // nothing created
        return e;
    }

    [Fact]
    public void A_missing_file()
    {
        using var tmp = new TempDir();
        var e = Assert.Throws<ImportException>(() => PsLogImport.Read(tmp.Path("nope.txt"), Imports.Options));
        Assert.Contains("nope.txt: no such file", e.Message);
        Assert.Contains("ps aux | grep php", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(tmp.Root));
    }

    [Fact]
    public void A_folder()
    {
        using var tmp = new TempDir();
        var e = Assert.Throws<ImportException>(() => PsLogImport.Read(tmp.Root, Imports.Options));
        Assert.Contains("is a folder", e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n   \n")]
    public void An_empty_file(string text)
    {
        var e = Fails(text);
        Assert.Contains("notes.txt is empty", e.Message);
        Assert.Contains("php-fpm: pool www", e.Message); // an example line
    }

    [Fact]
    public void Random_text()
    {
        var e = Fails("Lorem ipsum dolor sit amet,\nconsectetur adipiscing elit.\n\nSed do eiusmod tempor 12 34 56.\n");
        Assert.Contains("no ps output found in its 4 line(s)", e.Message);
        Assert.Contains("[root@lab ~]# ps aux | grep php", e.Message);
        Assert.Contains("root     13670  0.0  0.0  60284 16008 ?", e.Message);
        Assert.Contains("line 1: Lorem ipsum", e.Message);
    }

    [Fact]
    public void Only_prompts_of_other_commands()
    {
        var e = Fails("[root@lab ~]# uptime\n 04:32:10 up 3 days,  2:01,  1 user,  load average: 0.00, 0.01, 0.05\n[root@lab ~]# free -m\n");
        Assert.Contains("no ps output found", e.Message);
    }

    [Fact]
    public void Ps_output_without_any_php_fpm_process()
    {
        var e = Fails("""
            $ ps aux | grep php
            www-data  2001  0.0  0.1 120000 30000 ?        S    04:32   0:03 php /var/www/artisan queue:work
            root      2050  0.0  0.0   3892  1956 ?        S    04:32   0:00 grep php
            """);
        Assert.Contains("1 ps block(s) found, but no php-fpm process in them", e.Message);
        Assert.Contains("php /var/www/artisan queue:work", e.Message);
        Assert.Contains("php-fpm: master process", e.Message);
    }

    [Fact]
    public void Ps_ef_has_no_RSS()
    {
        var e = Fails("""
            $ ps -ef | grep php
            root      13670      1  0 04:32 ?        00:00:00 php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)
            nobody    13672  13670  0 04:32 ?        00:00:00 php-fpm: pool www
            """);
        Assert.Contains("no ps output found", e.Message);
        Assert.Contains("2 line(s) mention fpm but are not in a layout with PID and RSS columns (ps -ef and top have no RSS column", e.Message);
    }

    [Fact]
    public void A_php_fpm_log_without_a_block_has_a_message_not_a_crash()
    {
        var e = Fails("[06-Jan-2026 04:32:10] NOTICE: fpm is running, pid 13670\n[06-Jan-2026 04:32:10] NOTICE: ready to handle connections\n");
        Assert.Contains("no ps output found", e.Message);
    }
}
