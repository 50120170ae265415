using Lab.Cli;

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
                return await CommandLine.LabCommandLine.RunAsync(args);
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
    }
}
