using System.Diagnostics;

namespace QsetDashboard.Tests.Infrastructure;

/// <summary>Runs a <c>dotnet</c> command (publish, pack, new, build) to its end, or fails with its output.</summary>
public static class DotnetCommand
{
    /// <summary>Runs <c>dotnet <paramref name="arguments"/></c> in <paramref name="workingDirectory"/>; throws with its output when it fails or overruns <paramref name="timeout"/>.</summary>
    public static async Task RunAsync(string workingDirectory, TimeSpan timeout, params string[] arguments)
    {
        var info = AppProcess.StartInfo(AppProcess.DotnetHost(), arguments, workingDirectory);

        Directory.CreateDirectory(workingDirectory);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"dotnet {string.Join(' ', arguments)} did not finish within {timeout.TotalMinutes} minutes.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet {string.Join(' ', arguments)} failed ({process.ExitCode}):\n{await stdout}\n{await stderr}");
        }
    }
}
