using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Browser;

/// <summary>
/// The README's run command, exactly, in a child process with no environment variable: Production, the build
/// output of this test run. If a change breaks what a new user meets first, this fails.
/// </summary>
public sealed class ReadmeCommandTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    [Fact]
    public async Task DotnetRun_TheReadmeCommand_ServesAWorkingDashboardInProduction()
    {
        string[] command = ["run", "--project", "QsetDashboard", "--no-build", .. TestBuild.ConfigurationArguments];
        await using var app = await AppProcess.StartAsync(AppProcess.DotnetHost(), command, BrowserPages.RepositoryRoot());

        await app.WaitForOutputAsync("Hosting environment: Production");
        await WorkingDashboard.AssertAsync(chromium.Browser, app);
        await OutsideWriterInTheBrowser.AssertAsync(chromium.Browser, app);
        await DatabaseDownInTheBrowser.AssertAsync(chromium.Browser, app);
        Assert.DoesNotContain("Static Web Assets are not enabled", app.Output, StringComparison.Ordinal);
    }
}

/// <summary>The other two ways to start it: the published folder, and <c>dotnet run -c Release</c>.</summary>
[Collection(QsetDashboard.Tests.Packaging.ReleaseBuilds.Name)]
public sealed class PublishedAppTests(PublishedBuild published, ChromiumFixture chromium)
    : IClassFixture<PublishedBuild>, IClassFixture<ChromiumFixture>
{
    [Fact]
    public async Task DotnetDll_InThePublishFolder_ServesAWorkingDashboardInProduction()
    {
        await using var app = await AppProcess.StartAsync(AppProcess.DotnetHost(), ["QsetDashboard.dll"], published.Folder);

        await app.WaitForOutputAsync("Hosting environment: Production");
        await WorkingDashboard.AssertAsync(chromium.Browser, app);
    }

    [Fact]
    public async Task DotnetRunRelease_ServesAWorkingDashboardInProduction()
    {
        string[] command = ["run", "-c", "Release", "--project", "QsetDashboard", "--no-build"];
        await using var app = await AppProcess.StartAsync(AppProcess.DotnetHost(), command, BrowserPages.RepositoryRoot());

        await app.WaitForOutputAsync("Hosting environment: Production");
        await WorkingDashboard.AssertAsync(chromium.Browser, app);
    }
}

/// <summary>How this test assembly was built, so <c>dotnet run --no-build</c> finds the app built beside it.</summary>
internal static class TestBuild
{
#if DEBUG
    /// <summary>Debug is <c>dotnet run</c>'s default: the README's command needs nothing added.</summary>
    public static readonly string[] ConfigurationArguments = [];
#else
    /// <summary>A Release test run built the app in Release only.</summary>
    public static readonly string[] ConfigurationArguments = ["-c", "Release"];
#endif
}
