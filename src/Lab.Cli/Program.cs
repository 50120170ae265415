using Lab.Cli;

// Leak Lab's command line: ./run.sh passes its arguments here.
return await Cli.MainAsync(args);

namespace Lab.Cli
{
    public static class Cli
    {
        public static async Task<int> MainAsync(string[] args)
        {
            Terminal.ConsoleSetup.Install();
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
            catch (Exception e) when (e is Lab.Results.ResultsWriteException)
            {
                Console.Error.WriteLine("error: " + e.Message);
                return 1;
            }
            catch (Exception e) when (Lab.Results.IoProblem.IsIo(e))
            {
                // a file or folder the lab needed: one line, the path is in .NET's message
                Console.Error.WriteLine($"error: {Lab.Results.IoProblem.Cause(e)}{PathOf(e)}");
                return 1;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // a bug: one line (LAB_DEBUG=1 prints the stack trace)
                Console.Error.WriteLine($"error: internal error: {e.GetType().Name}: {e.Message}");
                if (Environment.GetEnvironmentVariable("LAB_DEBUG") is "1") Console.Error.WriteLine(e.ToString());
                return 1;
            }
        }

        /// <summary>" (PATH)" from .NET's IO message "... : 'PATH'" or "... path 'PATH' ...", or "".</summary>
        private static string PathOf(Exception e)
        {
            int a = e.Message.IndexOf('\'');
            int b = e.Message.LastIndexOf('\'');
            return a >= 0 && b > a ? $" ({e.Message[(a + 1)..b]})" : "";
        }

        /// <summary>Bad input, said in one paragraph: exit code 2, nothing written.</summary>
        public static bool IsBadInput(Exception e) =>
            e is LabUsageException or Lab.Scenarios.ScenarioException or Lab.Results.ResultsFormatException or Lab.Engines.EngineUnavailableException;
    }
}
