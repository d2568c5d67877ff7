namespace QsetDashboard.Tests.Infrastructure;

/// <summary>One real app per test class (<c>IClassFixture&lt;AppHostFixture&gt;</c>), with its own SQLite file.</summary>
public sealed class AppHostFixture : IDisposable
{
    public AppHost App { get; } = new();

    /// <summary>A client for the app's address.</summary>
    public HttpClient CreateClient() => new() { BaseAddress = App.BaseAddress };

    public void Dispose() => App.Dispose();
}
