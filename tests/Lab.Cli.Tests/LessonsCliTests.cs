using Lab.Analysis.Lessons;
using Lab.Core.Paths;

namespace Lab.Cli.Tests;

/// <summary>
/// The course in lab/: ./run.sh lessons regenerates every figure a lesson shows (no broken image
/// link), and the course's links and manifest agree.
/// </summary>
public class LessonsCliTests : IDisposable
{
    private readonly LabSandbox _lab = new();
    public void Dispose() => _lab.Dispose();

    private static string RepoLab => LabPaths.LabDir;

    /// <summary>The course without its figures, copied into the sandbox.</summary>
    private string CopyCourse()
    {
        string lab = Path.Combine(_lab.Root, "lab");
        string lessons = Path.Combine(lab, "lessons");
        Directory.CreateDirectory(Path.Combine(lessons, "data"));
        File.Copy(Path.Combine(RepoLab, "README.md"), Path.Combine(lab, "README.md"));
        foreach (var f in Directory.GetFiles(Path.Combine(RepoLab, "lessons")))
            File.Copy(f, Path.Combine(lessons, Path.GetFileName(f)));
        foreach (var f in Directory.GetFiles(Path.Combine(RepoLab, "lessons", "data")))
            File.Copy(f, Path.Combine(lessons, "data", Path.GetFileName(f)));
        return lab;
    }

    [Fact]
    public void Lessons_regenerates_every_figure_the_lessons_show()
    {
        string lab = CopyCourse();
        var before = DateTime.UtcNow.AddSeconds(-2);
        var r = _lab.Run("lessons");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);

        var images = LessonLinks.CourseFiles(lab).SelectMany(LessonLinks.Of).Where(l => l.Image).ToList();
        Assert.True(images.Count >= 14, $"{images.Count} images in the lessons");
        foreach (var link in images)
        {
            string file = LessonLinks.Resolve(link);
            Assert.True(File.Exists(file), $"{Path.GetFileName(link.File)}:{link.Line}: {link.Target} was not made");
            var bytes = File.ReadAllBytes(file);
            Assert.True(bytes.Length > 10_000 && bytes[1] == 'P' && bytes[2] == 'N' && bytes[3] == 'G', $"{link.Target} is not a plot");
            Assert.True(File.GetLastWriteTimeUtc(file) >= before, $"{link.Target} was not regenerated");
        }
        Assert.Empty(LessonLinks.Broken(lab).Where(l => l.Image));
        Assert.Contains($"{images.Select(l => Path.GetFileName(l.Target)).Distinct().Count()} figures rebuilt", r.Stdout);
    }

    [Fact]
    public void A_lesson_image_no_step_makes_fails_the_lessons_command()
    {
        string lab = CopyCourse();
        File.AppendAllText(Path.Combine(lab, "lessons", "01-memory-limit-is-not-rss.md"), "\n![nothing](figures/01-not-made.png)\n");
        var r = _lab.Run("lessons");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("01-not-made.png does not exist", r.Stderr);
    }

    [Fact]
    public void The_repository_s_course_has_no_broken_link_and_no_orphan_figure()
    {
        Assert.Empty(LessonLinks.Broken(RepoLab).Select(l => $"{l.File}:{l.Line}: {l.Target}"));
        var manifest = LessonManifest.Read(Path.Combine(RepoLab, "lessons", LessonManifest.FileName));
        var shown = LessonLinks.CourseFiles(RepoLab).SelectMany(LessonLinks.Of).Where(l => l.Image)
            .Select(l => Path.GetFileName(l.Target)).ToHashSet();
        var made = manifest.Steps.SelectMany(s => s.Figures.Select(f => f.Value)).ToHashSet();
        Assert.Equal(made.Order(), shown.Order());
        // the lessons (seven at least), each with its figures, its questions and answers, the real engines
        var lessons = Directory.GetFiles(Path.Combine(RepoLab, "lessons"), "0*.md").Order().ToList();
        Assert.True(lessons.Count >= 7, $"{lessons.Count} lessons");
        foreach (var f in lessons)
        {
            string text = File.ReadAllText(f);
            Assert.Contains("./run.sh", text);
            Assert.Contains("engine=php-fpm", text);
            Assert.True(text.Split("<details>").Length - 1 >= 2, $"{Path.GetFileName(f)}: fewer than 2 answers");
            Assert.Contains("## Questions", text);
        }
        Assert.Equal(lessons.Select(f => int.Parse(Path.GetFileName(f)[..2], System.Globalization.CultureInfo.InvariantCulture)),
            manifest.Steps.Select(s => s.Lesson).Distinct().Order());
    }

    /// <summary>Every ./run.sh line of the lessons' code blocks, as words after ./run.sh (comments cut).</summary>
    private static IEnumerable<(string File, string[] Words)> LessonCommands()
    {
        foreach (var f in Directory.GetFiles(Path.Combine(RepoLab, "lessons"), "0*.md").Order())
            foreach (var line in File.ReadLines(f))
            {
                string l = line.Trim();
                if (!l.StartsWith("./run.sh ", StringComparison.Ordinal)) continue;
                int hash = l.IndexOf(" #", StringComparison.Ordinal);
                if (hash > 0) l = l[..hash];
                yield return (Path.GetFileName(f), l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..]);
            }
    }

    [Fact]
    public void Every_command_the_lessons_show_is_valid_input()
    {
        int checkedCommands = 0;
        foreach (var (file, words) in LessonCommands())
        {
            string where = $"{file}: ./run.sh {string.Join(' ', words)}";
            switch (words[0])
            {
                case "sweep":
                    var a = Lab.Cli.Commands.SweepCommand.Parse(words[1..]);
                    var plan = Lab.Analysis.Sweeps.SweepPlan.Create(a.Scenario, a.KeyValues, LabPaths.Scenarios);
                    Assert.True(plan.Cells.Count >= 2, where);
                    break;
                case "advise":
                    var advise = Lab.Cli.Commands.AdviseCommand.Parse(words[1..]);
                    Assert.True(advise.Request.RamGiven, where);
                    break;
                case "import":
                    // the lab's own log must be there; "my-ps.log" is the reader's
                    if (words[1].StartsWith("lab/", StringComparison.Ordinal)) Assert.True(File.Exists(Path.Combine(LabPaths.Root, words[1])), where);
                    break;
                case "calibrate":
                    // a real run's folder, the reader's own: one argument
                    Assert.True(words.Length == 2 && words[1].StartsWith("results/", StringComparison.Ordinal), where);
                    break;
                case "report":
                    Assert.Contains(words[2], new[] { "--x", "--memory" });
                    Lab.Cli.Commands.ReportCommand.ParseMemory(words[2] == "--memory" ? words[3] : "rss");
                    break;
                default:
                    var scenario = Lab.Scenarios.ScenarioLoader.Load(words[0], words[1..], LabPaths.Scenarios);
                    Assert.NotNull(scenario);
                    break;
            }
            checkedCommands++;
        }
        Assert.True(checkedCommands >= 25, $"{checkedCommands} commands found in the lessons");
    }

    [Fact]
    public void A_broken_manifest_is_exit_2()
    {
        string lab = CopyCourse();
        File.WriteAllText(Path.Combine(lab, "lessons", "lessons.toml"), "[[step]]\nlesson = 1\nid = \"x\"\ncommand = \"article-growth\"\n");
        var r = _lab.Run("lessons");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("engine=sim", r.Stderr);
    }
}
