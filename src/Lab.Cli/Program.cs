using Lab.Cli;
using Lab.Cli.Commands;

// Leak Lab's command line: ./run.sh passes its arguments here.
return await Cli.MainAsync(args);

namespace Lab.Cli
{
    public static class Cli
    {
        public static async Task<int> MainAsync(string[] args)
        {
            if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
            {
                Console.Out.Write(HelpText.Text);
                return 0;
            }
            try
            {
                return args[0] switch
                {
                    "list" => ListCommand.Run(args[1..]),
                    "import" => ImportCommand.Run(args[1..]),
                    "record" => await RecordCommand.RunAsync(args[1..]),
                    "report" => ReportCommand.Run(args[1..]),
                    "compare" => CompareCommand.Run(args[1..]),
                    "sweep" => await SweepCommand.RunAsync(args[1..]),
                    "advise" => await AdviseCommand.RunAsync(args[1..]),
                    "lessons" => await LessonsCommand.RunAsync(args[1..]),
                    "calibrate" => await CalibrateCommand.RunAsync(args[1..]),
                    "test" => Fail("`test` is run by ./run.sh itself: use ./run.sh test"),
                    _ when args[0].StartsWith('-') => throw new LabUsageException(
                        $"unknown option '{args[0]}'. The first argument is a scenario name or a command; see ./run.sh --help."),
                    _ => await RunCommand.RunAsync(args),
                };
            }
            catch (Exception e) when (IsBadInput(e))
            {
                Console.Error.WriteLine("error: " + e.Message);
                return 2;
            }
        }

        /// <summary>Bad input, said in one paragraph: exit code 2, nothing written.</summary>
        public static bool IsBadInput(Exception e) =>
            e is LabUsageException or Lab.Scenarios.ScenarioException or Lab.Results.ResultsFormatException or Lab.Engines.EngineUnavailableException;

        private static int Fail(string message) => throw new LabUsageException(message);
    }
}
