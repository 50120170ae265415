using System.Text.RegularExpressions;

namespace Lab.Analysis.Lessons;

/// <summary>A link of a Markdown file: the file, its line, whether it is an image, and its target as written.</summary>
public sealed record MarkdownLink(string File, int Line, bool Image, string Target);

/// <summary>
/// The links of the lessons' Markdown files (lab/README.md, lab/lessons/*.md): images
/// (![alt](figures/x.png)) and links to other files of the course. A relative target must exist;
/// a web address or an anchor is not checked.
/// </summary>
public static partial class LessonLinks
{
    [GeneratedRegex(@"(!?)\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+""[^""]*"")?\s*\)")]
    private static partial Regex Link();

    [GeneratedRegex(@"<img\s[^>]*src=""([^""]+)""", RegexOptions.IgnoreCase)]
    private static partial Regex HtmlImage();

    public static IReadOnlyList<MarkdownLink> Of(string markdownFile)
    {
        var links = new List<MarkdownLink>();
        var lines = File.ReadAllLines(markdownFile);
        bool fenced = false;
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].TrimStart().StartsWith("```", StringComparison.Ordinal)) { fenced = !fenced; continue; }
            if (fenced) continue;
            foreach (Match m in Link().Matches(lines[i]))
                links.Add(new MarkdownLink(markdownFile, i + 1, m.Groups[1].Value == "!", m.Groups[2].Value));
            foreach (Match m in HtmlImage().Matches(lines[i]))
                links.Add(new MarkdownLink(markdownFile, i + 1, true, m.Groups[1].Value));
        }
        return links;
    }

    /// <summary>Is the target a file of the repository (not a web address, a mail address or an anchor)?</summary>
    public static bool IsLocal(string target) =>
        !target.StartsWith('#') && !target.Contains("://", StringComparison.Ordinal) && !target.StartsWith("mailto:", StringComparison.Ordinal);

    /// <summary>The file a local target names (relative to the Markdown file's folder; without its #anchor).</summary>
    public static string Resolve(MarkdownLink link)
    {
        string target = link.Target;
        int hash = target.IndexOf('#');
        if (hash >= 0) target = target[..hash];
        return Path.GetFullPath(Path.Combine(Path.GetDirectoryName(link.File)!, Uri.UnescapeDataString(target)));
    }

    /// <summary>The course's Markdown files: lab/README.md and every lab/lessons/*.md, in name order.</summary>
    public static IReadOnlyList<string> CourseFiles(string labDir)
    {
        var files = new List<string>();
        string readme = Path.Combine(labDir, "README.md");
        if (File.Exists(readme)) files.Add(readme);
        string lessons = Path.Combine(labDir, "lessons");
        if (Directory.Exists(lessons)) files.AddRange(Directory.GetFiles(lessons, "*.md").Order(StringComparer.Ordinal));
        return files;
    }

    /// <summary>Every local link of the course whose file does not exist ("broken").</summary>
    public static IReadOnlyList<MarkdownLink> Broken(string labDir) =>
        CourseFiles(labDir).SelectMany(Of).Where(l => IsLocal(l.Target) && !File.Exists(Resolve(l)) && !Directory.Exists(Resolve(l))).ToList();
}
