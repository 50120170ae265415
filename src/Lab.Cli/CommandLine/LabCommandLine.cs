using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using Lab.Cli.Commands;
using Lab.Core.Paths;
using Lab.Scenarios;

namespace Lab.Cli.CommandLine;

/// <summary>
/// The one parser of every `./run.sh` command (System.CommandLine): the commands, their options
/// (--out DIR, --plain, --x, --jobs N, --interval, --yes, ...) and their positional words; the
/// words that are settings (key=value overrides, sweep lists, advise's ram=) are read by the
/// command itself, as before. A word that is not a command is a scenario to run. Every parse
/// problem is a <see cref="LabUsageException"/> (one line, exit code 2), phrased as the lab
/// phrases them; a mistyped command gets a "did you mean".
/// </summary>
public static class LabCommandLine
{
    /// <summary>The commands a user types (test and bench are run by ./run.sh itself).</summary>
    public static readonly IReadOnlyList<string> CommandNames =
        ["list", "compare", "report", "import", "record", "sweep", "advise", "calibrate", "conform", "lessons", "clean", "test", "bench"];

    private static readonly ParserConfiguration Config = new() { ResponseFileTokenReplacer = null };

    /// <summary>One command: its System.CommandLine tree, how a parse result becomes its arguments, and how they run.</summary>
    private sealed record Spec(Command Command, string Usage, Func<ParseResult, object> Bind, Func<object, Task<int>> Run);

    private sealed class Options
    {
        public readonly Option<string> Out = new("--out") { Description = "the folder to write (must not exist, or be empty)", HelpName = "DIR" };
        public readonly Option<bool> Plain = new("--plain") { Description = "plain progress lines instead of live views and bars" };
        public readonly Option<string> X = new("--x") { Description = "the memory plots' x axis: time or requests", HelpName = "time|requests" };
        public readonly Option<string> Memory = new("--memory") { Description = "what each child's line of rss-per-pid shows: rss (as ps) or uss (private memory)", HelpName = "rss|uss" };
        public readonly Option<string> Jobs = new("--jobs") { Description = "cells run at once (simulator cells)", HelpName = "N" };
        public readonly Option<string> Interval = new("--interval") { Description = "time between two ps outputs when the log has no timestamps", HelpName = "1s" };
        public readonly Option<string> RequestsPerBlock = new("--requests-per-block") { Description = "requests the pool served between two ps outputs (turns snapshots into requests)", HelpName = "N" };
        public readonly Option<string> Rate = new("--rate") { Description = "requests per second the pool served while the log was taken", HelpName = "R" };
        public readonly Option<bool> PerBlock = new("--per-block") { Description = "plan per snapshot of an import (ps, smem or smaps_rollup: its figures are per observation)" };
        public readonly Option<bool> Yes = new("--yes") { Description = "run even when the run would write several GB" };
        public readonly Option<bool> Results = new("--results") { Description = "also remove the stale results folders listed" };
        public readonly Option<string> Engines = new("--engines") { Description = "the engines compared with php-fpm 8.2 (php-fpm, the reference, among them)", HelpName = "php-fpm,dotnet,sim" };
        public readonly Option<string> Pid = new("--pid") { Description = "the php-fpm master to record (needed when several run)", HelpName = "MASTER_PID" };
        public readonly Option<string> Pool = new("--pool") { Description = "the pool to record (needed when the master runs several)", HelpName = "NAME" };
        public readonly Option<string> Status = new("--status") { Description = "the pool's status page path, when its configuration has none (or it cannot be read)", HelpName = "PATH" };
        public readonly Argument<string[]> Words = new("words") { Arity = ArgumentArity.ZeroOrMore, Description = "the command's folders, files and key=value settings" };
    }

    /// <summary>Parses a command line (the words after ./run.sh) into what to run. Bad input: <see cref="LabUsageException"/>.</summary>
    public static Func<Task<int>> Parse(string[] args)
    {
        var (result, spec) = ParseWith(args);
        if (result.Action is HelpAction) return () => Task.FromResult(PrintHelp(spec));
        object bound = spec.Bind(result);
        return () => spec.Run(bound);
    }

    /// <summary>Runs a command line (the words after ./run.sh; lessons' steps are command lines).</summary>
    public static Task<int> RunAsync(string[] args) => Parse(args)();

    /// <summary>The arguments a command line gives its command (T: the command's arguments record).</summary>
    public static T ArgsOf<T>(string[] args)
    {
        var (result, spec) = ParseWith(args);
        return spec.Bind(result) is T t ? t : throw new LabUsageException($"'{string.Join(' ', args)}' is not a command line of that command.");
    }

    private static (ParseResult, Spec) ParseWith(string[] args)
    {
        var (root, specs) = Build(args);
        var result = root.Parse(args, Config);
        var spec = specs.First(s => ReferenceEquals(s.Command, result.CommandResult.Command));
        if (result.Action is not HelpAction && result.Errors.Count > 0) throw new LabUsageException(Describe(result.Errors[0], spec));
        return (result, spec);
    }

    /// <summary>./run.sh --help: the lab's help; ./run.sh COMMAND --help: the command's usage, what it does and its options.</summary>
    private static int PrintHelp(Spec spec)
    {
        var o = Console.Out;
        if (spec.Command is RootCommand)
        {
            o.Write(HelpText.Text);
            return 0;
        }
        o.WriteLine($"{spec.Usage}");
        o.WriteLine($"  {spec.Command.Description}");
        var options = spec.Command.Options.Where(x => x is not HelpOption).ToList();
        if (options.Count > 0)
        {
            o.WriteLine();
            o.WriteLine("Options:");
            var names = options.Select(x => x.Name + (x.HelpName is { } h ? $" {h}" : "")).ToList();
            int width = names.Max(n => n.Length);
            for (int i = 0; i < options.Count; i++) o.WriteLine($"  {names[i].PadRight(width)}  {options[i].Description}");
        }
        o.WriteLine();
        o.WriteLine("Every command: ./run.sh --help");
        return 0;
    }

    private static (RootCommand Root, List<Spec> Specs) Build(string[] args)
    {
        var o = new Options();
        var words = o.Words;
        var root = new RootCommand("Leak Lab: php-fpm memory growth, reproducible and visible.") { o.Out, o.Plain, o.Yes, words };
        foreach (var v in root.Options.OfType<VersionOption>().ToList()) root.Options.Remove(v);
        root.Directives.Clear();
        root.SetAction(_ => 0); // the root runs a scenario: no subcommand is required
        var specs = new List<Spec> { new(root, RunArgs.Usage, r => RunBinder(r, o, args), a => RunCommand.RunAsync((RunArgs)a)) };
        void Add<T>(string name, string description, string usage, Func<ParseResult, List<string>, T> bind, Func<T, Task<int>> run, params Option[] options)
        {
            var c = new Command(name, description);
            foreach (var opt in options) c.Options.Add(opt);
            c.Options.Add(o.Plain);
            c.Arguments.Add(words);
            root.Subcommands.Add(c);
            specs.Add(new Spec(c, usage, r => bind(r, Positional(r, words, name, usage))!, a => run((T)a)));
        }
        Add("list", "the scenarios, with their titles", ListCommand.Usage,
            (r, w) => ListCommand.Bind(w), a => Task.FromResult(ListCommand.Run(a)));
        Add("compare", "overlay plots + side-by-side table + report of several runs", CompareCommand.Usage,
            (r, w) => CompareCommand.Bind(w, Out(r, o, CompareCommand.Usage), X(r, o), r.GetValue(o.Plain)), a => Task.FromResult(CompareCommand.Run(a)), o.Out, o.X);
        Add("report", "(re)make the plots and reports of a run (also an incomplete one)", ReportCommand.Usage,
            (r, w) => ReportCommand.Bind(w, X(r, o), r.GetValue(o.Plain), r.GetResult(o.Memory) is null ? Lab.Report.ChildMemory.Rss : ReportCommand.ParseMemory(r.GetValue(o.Memory))),
            a => Task.FromResult(ReportCommand.Run(a)), o.X, o.Memory);
        Add("import", "a pasted `ps aux | grep php` log, `smem -P php-fpm` output or smaps_rollup dumps → results folder and report", ImportCommand.Usage,
            (r, w) => ImportCommand.Bind(w, r.GetResult(o.Interval) is null ? null : r.GetValue(o.Interval) ?? "", Out(r, o, ImportCommand.Usage),
                Value(r, o.RequestsPerBlock, "--requests-per-block", "the requests the pool served between two snapshots of the log, e.g. --requests-per-block 1"),
                Value(r, o.Rate, "--rate", "the requests per second the pool served while the log was taken, e.g. --rate 2")),
            a => Task.FromResult(ImportCommand.Run(a)), o.Interval, o.RequestsPerBlock, o.Rate, o.Out);
        Add("record", "attach to a running php-fpm (started without the lab) and record it: nothing is started or changed", RecordCommand.Usage,
            (r, w) => RecordCommand.Bind(w, Value(r, o.Pid, "--pid", "the master's PID, e.g. --pid 1234"), Value(r, o.Pool, "--pool", "the pool's name, e.g. --pool www"),
                Value(r, o.Status, "--status", "the status page's path, e.g. --status /status"), Out(r, o, RecordCommand.Usage), r.GetValue(o.Plain)),
            RecordCommand.RunAsync, o.Pid, o.Pool, o.Status, o.Out);
        Add("sweep", "the scenario once per combination of values: sweep.csv, plots, compare, report", SweepCommand.Usage,
            (r, w) => SweepCommand.Bind(w, Out(r, o, SweepCommand.Usage), r.GetResult(o.Jobs) is null ? null : r.GetValue(o.Jobs) ?? "", r.GetValue(o.Plain), r.GetValue(o.Yes)), SweepCommand.RunAsync, o.Out, o.Jobs, o.Yes);
        Add("advise", "fit a run's leak; pm.max_requests (and max_children) for the RAM, verified on the sim", AdviseCommand.Usage,
            (r, w) => AdviseCommand.Bind(w, Out(r, o, AdviseCommand.Usage), r.GetValue(o.Plain), r.GetValue(o.PerBlock)), AdviseCommand.RunAsync, o.Out, o.PerBlock);
        Add("calibrate", "fit the simulator to a real run (engine php-fpm or dotnet) and compare them", CalibrateCommand.Usage,
            (r, w) => CalibrateCommand.Bind(w, Out(r, o, CalibrateCommand.Usage), r.GetValue(o.Plain)), CalibrateCommand.RunAsync, o.Out);
        Add("conform", "the conformance suite: php-fpm's rules, each engine against php-fpm 8.2 (conformance.md / .html)", ConformCommand.Usage,
            (r, w) => ConformCommand.Bind(w, r.GetResult(o.Engines) is null ? null : r.GetValue(o.Engines) ?? "", Out(r, o, ConformCommand.Usage)), ConformCommand.RunAsync, o.Engines, o.Out);
        Add("lessons", "rebuild every figure of the course in lab/", LessonsCommand.Usage,
            (r, w) => LessonsCommand.Bind(w), LessonsCommand.RunAsync);
        Add("clean", "remove what killed runs left behind: their temporary folders; list stale results (--results: remove them)", CleanCommand.Usage,
            (r, w) => CleanCommand.Bind(w, r.GetValue(o.Results)), a => Task.FromResult(CleanCommand.Run(a)), o.Results);
        foreach (var name in new[] { "test", "bench" })
            Add<object>(name, $"run by ./run.sh itself: ./run.sh {name}", $"./run.sh {name} [filter]",
                (_, _) => throw new LabUsageException($"`{name}` is run by ./run.sh itself: use ./run.sh {name}"), _ => Task.FromResult(2));
        return (root, specs);
    }

    private static RunArgs RunBinder(ParseResult r, Options o, string[] args)
    {
        var words = Positional(r, o.Words, null, RunArgs.Usage);
        if (words.Count > 0 && !words[0].Contains('=') && LooksLikeCommand(words[0]) is { } command)
            throw new LabUsageException($"unknown command '{words[0]}' (did you mean {command}?); and there is no scenario of that name. ./run.sh --help lists the commands, ./run.sh list the scenarios.");
        return RunArgs.Bind(words, Out(r, o, null), r.GetValue(o.Plain), r.GetValue(o.Yes), args);
    }

    /// <summary>
    /// The command a mistyped word was meant to be: a word that names no scenario (nor file) and
    /// is closer to a command's name than to any scenario's.
    /// </summary>
    internal static string? LooksLikeCommand(string word)
    {
        if (word.Contains('/') || word.EndsWith(".toml", StringComparison.OrdinalIgnoreCase) || File.Exists(word)) return null;
        var scenarios = Directory.Exists(LabPaths.Scenarios)
            ? Directory.GetFiles(LabPaths.Scenarios, "*.toml").Select(p => Path.GetFileNameWithoutExtension(p)!).ToList()
            : [];
        if (scenarios.Contains(word, StringComparer.Ordinal)) return null;
        string? command = Suggest.Closest(word, CommandNames);
        if (command is null) return null;
        string? scenario = Suggest.Closest(word, scenarios);
        return scenario is null || Suggest.Distance(word.ToLowerInvariant(), command) < Suggest.Distance(word.ToLowerInvariant(), scenario.ToLowerInvariant())
            ? command
            : null;
    }

    /// <summary>The positional words; an unknown option among them is bad input.</summary>
    private static List<string> Positional(ParseResult r, Argument<string[]> words, string? command, string usage)
    {
        var list = (r.GetValue(words) ?? []).ToList();
        foreach (var w in list)
            if (w.StartsWith('-') && w.Length > 1 && !IsNumber(w))
                throw new LabUsageException(command is null
                    ? $"unknown option '{w}'. A run takes key=value overrides, --out DIR, --plain and --yes; see ./run.sh --help."
                    : $"unknown option '{w}' for {command}. Usage: {usage}");
        return list;
    }

    private static bool IsNumber(string w) => double.TryParse(w, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _);

    /// <summary>--out DIR: a folder, not empty, not another option.</summary>
    private static string? Out(ParseResult r, Options o, string? usage)
    {
        string? dir = r.GetValue(o.Out);
        if (r.GetResult(o.Out) is null) return null;
        if (string.IsNullOrEmpty(dir) || dir.StartsWith("--", StringComparison.Ordinal))
            throw new LabUsageException("--out needs a folder: --out DIR." + (usage is null ? "" : $" Usage: {usage}"));
        return dir;
    }

    /// <summary>An option's value (null when not given); given without one, bad input.</summary>
    private static string? Value(ParseResult r, Option<string> option, string name, string example)
    {
        if (r.GetResult(option) is null) return null;
        string? v = r.GetValue(option);
        return string.IsNullOrEmpty(v) || v.StartsWith("--", StringComparison.Ordinal) ? throw new LabUsageException($"{name} needs a value: {example}.") : v;
    }

    private static Lab.Report.XAxis X(ParseResult r, Options o) =>
        r.GetResult(o.X) is null ? Lab.Report.XAxis.Time : ReportCommand.ParseX(r.GetValue(o.X));

    /// <summary>A System.CommandLine error in the lab's words.</summary>
    private static string Describe(ParseError e, Spec spec)
    {
        string usage = $" Usage: {spec.Usage}";
        if (e.SymbolResult is OptionResult { Option: var opt } or)
        {
            var values = or.Tokens.Select(t => t.Value).ToList();
            if (values.Count > 1) return $"{opt.Name} is given {values.Count} times ({string.Join(", ", values.Select(v => $"'{v}'"))}); give it once.{usage}";
            return opt.Name switch
            {
                "--out" => "--out needs a folder: --out DIR." + usage,
                "--x" => "--x needs a value: --x time or --x requests.",
                "--memory" => "--memory needs a value: --memory rss or --memory uss.",
                "--jobs" => "--jobs needs a number of cells to run at once, 1 or more (e.g. --jobs 2).",
                "--interval" => "--interval needs a duration, e.g. --interval 1s or --interval 250ms.",
                "--engines" => "--engines needs a list, e.g. --engines php-fpm,dotnet,sim." + usage,
                "--pid" => "--pid needs the master's PID, e.g. --pid 1234." + usage,
                "--pool" => "--pool needs the pool's name, e.g. --pool www." + usage,
                "--status" => "--status needs the status page's path, e.g. --status /status." + usage,
                _ => $"{opt.Name}: {e.Message}{usage}",
            };
        }
        return e.Message.TrimEnd('.') + "." + usage;
    }
}
