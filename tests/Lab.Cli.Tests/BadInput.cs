namespace Lab.Cli.Tests;

internal static class BadInput
{
    /// <summary>Runs the lab on bad input and checks what bad input must give: exit code 2, "error: ..." on stderr, nothing under results/.</summary>
    public static LabSandbox.Result RunBad(this LabSandbox lab, params string[] args)
    {
        var r = lab.Run(args);
        Assert.True(r.ExitCode == 2, $"exit code {r.ExitCode}, expected 2. stderr: {r.Stderr}\nstdout: {r.Stdout}");
        Assert.StartsWith("error: ", r.Stderr);
        Assert.True(lab.ResultsEmpty, "something was written under results/");
        return r;
    }
}
