using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace QsetDashboard.Tests.Infrastructure;

/// <summary>
/// The app started the way a user starts it: a child process running a real command line (<c>dotnet run ...</c> or
/// <c>dotnet QsetDashboard.dll</c>), with no environment variable of ours. Only the port (0: the OS picks a free one,
/// read back from the "Now listening on" line) and a temporary database are given, as command-line configuration.
/// Disposing kills the whole process tree and deletes the database.
/// </summary>
public sealed partial class AppProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    // What the test runner itself may carry and a user's shell would not: each would change what the app does.
    private static readonly string[] InheritedSettingsToDrop = ["ASPNETCORE_ENVIRONMENT", "DOTNET_ENVIRONMENT", "ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS", "DOTNET_URLS"];

    private readonly Process _process;
    private readonly TestDatabase _database;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private AppProcess(Process process, TestDatabase database)
    {
        _process = process;
        _database = database;
    }

    /// <summary>The address the app said it listens on.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Everything the process wrote to stdout and stderr so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>How a test runs a child process: <paramref name="arguments"/> as given, output captured, no shell.</summary>
    public static ProcessStartInfo StartInfo(string fileName, IEnumerable<string> arguments, string workingDirectory)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return info;
    }

    /// <summary>
    /// Runs <paramref name="fileName"/> with <paramref name="arguments"/> (the user's command, without our two
    /// settings) in <paramref name="workingDirectory"/>, and waits until the app listens: on a SQLite file of its own,
    /// or on the database of <paramref name="connectionString"/>.
    /// </summary>
    public static async Task<AppProcess> StartAsync(string fileName, IEnumerable<string> arguments, string workingDirectory, string? connectionString = null)
    {
        var database = new TestDatabase();
        var info = StartInfo(fileName, arguments, workingDirectory);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add("http://127.0.0.1:0");
        info.ArgumentList.Add("--ConnectionStrings:Qsets");
        info.ArgumentList.Add(connectionString ?? database.ConnectionString);
        foreach (var name in InheritedSettingsToDrop)
        {
            info.Environment.Remove(name);
        }

        var app = new AppProcess(new Process { StartInfo = info, EnableRaisingEvents = true }, database);
        app._process.OutputDataReceived += (_, e) => app.OnLine(e.Data);
        app._process.ErrorDataReceived += (_, e) => app.OnLine(e.Data);
        app._process.Exited += (_, _) => app._listening.TrySetException(
            new InvalidOperationException($"'{fileName} {string.Join(' ', info.ArgumentList)}' exited before it listened:\n{app.Output}"));
        app._process.Start();
        app._process.BeginOutputReadLine();
        app._process.BeginErrorReadLine();

        try
        {
            app.BaseAddress = await app._listening.Task.WaitAsync(StartTimeout);
        }
        catch (TimeoutException)
        {
            await app.DisposeAsync();
            throw new InvalidOperationException($"The app did not listen within {StartTimeout.TotalSeconds} s:\n{app.Output}");
        }
        catch
        {
            // It exited first: its database folder goes all the same.
            await app.DisposeAsync();
            throw;
        }

        return app;
    }

    /// <summary>The <c>dotnet</c> host that runs the tests, so the child uses the same SDK.</summary>
    public static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    /// <summary>Waits until the app's output contains <paramref name="text"/>.</summary>
    public Task WaitForOutputAsync(string text) =>
        Eventually.TrueAsync(() => Output.Contains(text, StringComparison.Ordinal), $"the app's log says '{text}'. Log so far:\n{Output}");

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        _database.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (ListeningLine().Match(line) is { Success: true } match)
        {
            _listening.TrySetResult(new Uri(match.Groups["url"].Value.TrimEnd('/') + "/"));
        }
    }

    [GeneratedRegex(@"Now listening on: (?<url>http://\S+)")]
    private static partial Regex ListeningLine();
}
