using Spectre.Console;

namespace Lab.Cli.Terminal;

/// <summary>Whether to draw live views and progress bars: on an interactive terminal, unless --plain.</summary>
public static class Interactive
{
    public static bool Wanted(bool plain) => !plain && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
}

/// <summary>An IProgress that acts at once on the reporting thread (System.Progress posts to the thread pool, out of order).</summary>
internal sealed class OnReport<T>(Action<T> onReport) : IProgress<T>
{
    public void Report(T value) => onReport(value);
}
