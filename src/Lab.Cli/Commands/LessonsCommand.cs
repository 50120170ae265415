using System.Globalization;
using Lab.Analysis.Lessons;
using Lab.Core.Paths;

namespace Lab.Cli.Commands;

/// <summary>
/// ./run.sh lessons [--keep]: rebuilds every figure of the course in lab/: runs the steps of
/// lab/lessons/lessons.toml in order — each the very command a lesson shows (runs and sweeps on
/// the simulator, so every reader gets the same figures), its output folder under
/// results/lessons-&lt;UTC&gt;/ — and copies the plots each lesson shows into lab/lessons/figures/.
/// Then checks that every image the lessons link exists. Each step's own output goes to
/// &lt;step&gt;.log beside its folder; the lines printed say what ran and what was made. Exit 0
/// when every step ran and every image is there, 1 otherwise, 2 for a broken manifest.
/// </summary>
public static class LessonsCommand
{
    public const string Usage = "./run.sh lessons";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public sealed record LessonsArgs;

    public static LessonsArgs Bind(IReadOnlyList<string> words) =>
        words.Count > 0 ? throw new LabUsageException($"lessons takes no argument (got '{words[0]}'). Usage: {Usage}") : new LessonsArgs();

    public static async Task<int> RunAsync(LessonsArgs _)
    {

        string lessonsDir = Path.Combine(LabPaths.LabDir, "lessons");
        LessonManifest manifest;
        try
        {
            manifest = LessonManifest.Read(Path.Combine(lessonsDir, LessonManifest.FileName));
        }
        catch (LessonException bad)
        {
            throw new LabUsageException(bad.Message);
        }
        string figures = Path.Combine(lessonsDir, LessonManifest.FiguresFolder);
        string work = ResultsDirs.Choose(null, "lessons", DateTime.UtcNow);
        Directory.CreateDirectory(work);
        Directory.CreateDirectory(figures);

        var o = Console.Out;
        var e = Console.Error;
        o.WriteLine($"lessons: {manifest.Steps.Count} steps from {ResultsDirs.Display(manifest.Path)}; their folders in {ResultsDirs.Display(work)}");
        var folders = new Dictionary<string, string>(StringComparer.Ordinal);
        var problems = new List<string>();
        int made = 0;
        for (int i = 0; i < manifest.Steps.Count; i++)
        {
            var step = manifest.Steps[i];
            string dir = Path.Combine(work, step.Id);
            var words = step.Words.Select(w => Substitute(w, folders)).ToList();
            if (step.Kind == "import" && words.Count > 1 && !Path.IsPathRooted(words[1])) words[1] = Path.Combine(LabPaths.Root, words[1]);
            if (step.WritesFolder) words.AddRange(["--out", dir]);
            if (step.Kind != "import") words.Add("--plain");
            o.WriteLine(string.Create(Inv, $"lessons: [{i + 1}/{manifest.Steps.Count}] lesson {step.Lesson}: {step.CommandLine}"));

            int code = await Capture(Path.Combine(work, step.Id + ".log"), () => CommandLine.LabCommandLine.RunAsync(words.ToArray()));
            if (code != 0)
            {
                problems.Add($"step {step.Id} ({step.CommandLine}) ended with exit code {code}; its output: {ResultsDirs.Display(Path.Combine(work, step.Id + ".log"))}");
                e.WriteLine("error: " + problems[^1]);
            }
            // report rewrites the plots of the run folder it is given (its first argument)
            string from = step.WritesFolder ? dir : words[1];
            folders[step.Id] = from;
            foreach (var (plot, name) in step.Figures)
            {
                string source = Path.Combine(from, plot);
                if (!File.Exists(source))
                {
                    problems.Add($"step {step.Id} made no {plot} (for figures/{name})");
                    e.WriteLine("error: " + problems[^1]);
                    continue;
                }
                File.Copy(source, Path.Combine(figures, name), overwrite: true);
                made++;
                o.WriteLine($"lessons:   → {ResultsDirs.Display(Path.Combine(figures, name))}");
            }
        }

        foreach (var link in LessonLinks.CourseFiles(LabPaths.LabDir).SelectMany(LessonLinks.Of).Where(l => l.Image && LessonLinks.IsLocal(l.Target)))
        {
            if (!File.Exists(LessonLinks.Resolve(link)))
            {
                problems.Add($"{ResultsDirs.Display(link.File)}:{link.Line}: the image {link.Target} does not exist (no step of {LessonManifest.FileName} makes it)");
                e.WriteLine("error: " + problems[^1]);
            }
        }
        o.WriteLine($"lessons: {made} figures rebuilt in {ResultsDirs.Display(figures)}" + (problems.Count > 0 ? $"; {problems.Count} problem(s) above" : ""));
        o.WriteLine(ResultsDirs.Display(Path.Combine(LabPaths.LabDir, "README.md")));
        return problems.Count == 0 ? 0 : 1;
    }

    /// <summary>"@id" → the step's folder; "@id/sub" → a folder inside it.</summary>
    private static string Substitute(string word, IReadOnlyDictionary<string, string> folders)
    {
        if (!word.StartsWith('@')) return word;
        int slash = word.IndexOf('/');
        string id = slash < 0 ? word[1..] : word[1..slash];
        string dir = folders[id];
        return slash < 0 ? dir : Path.Combine(dir, word[(slash + 1)..]);
    }

    /// <summary>Runs a step with the console's output going to its log file; bad input counts as exit code 2, as on the command line.</summary>
    private static async Task<int> Capture(string logPath, Func<Task<int>> step)
    {
        var (stdout, stderr) = (Console.Out, Console.Error);
        await using var log = new StreamWriter(logPath) { AutoFlush = true };
        Console.SetOut(log);
        Console.SetError(log);
        try
        {
            return await step();
        }
        catch (Exception ex) when (Cli.IsBadInput(ex))
        {
            log.WriteLine("error: " + ex.Message);
            return 2;
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
        }
    }
}
