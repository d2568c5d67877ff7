using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Browser;

/// <summary>
/// <c>dotnet publish -c Release</c> of the app into a temporary folder, once per test class, as a user deploying it
/// would. The Release build it makes on the way also serves <c>dotnet run -c Release --no-build</c>.
/// </summary>
public sealed class PublishedBuild : IAsyncLifetime
{
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(5);

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "qset-tests", "publish-" + Guid.NewGuid().ToString("N"));

    /// <summary>The publish folder, holding <c>QsetDashboard.dll</c>.</summary>
    public string Folder => _folder;

    public async Task InitializeAsync()
    {
        await DotnetCommand.RunAsync(
            BrowserPages.RepositoryRoot(), PublishTimeout, "publish", "QsetDashboard", "-c", "Release", "-o", _folder, "--nologo", "--disable-build-servers");
        if (!File.Exists(Path.Combine(_folder, "QsetDashboard.dll")))
        {
            throw new InvalidOperationException($"dotnet publish made no QsetDashboard.dll in {_folder}.");
        }
    }

    public Task DisposeAsync()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a process being killed; the OS temp cleaner takes it.
        }

        return Task.CompletedTask;
    }
}
