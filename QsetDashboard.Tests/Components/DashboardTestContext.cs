using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Components;

/// <summary>A bUnit context with MudBlazor and the real engine over a real SQLite file.</summary>
public abstract class DashboardTestContext : BunitContext, IAsyncLifetime
{
    protected EngineHost Engine { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Engine = await EngineHost.StartAsync(ConfigureEngine);
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddFallbackServiceProvider(Engine.Services);
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Engine.DisposeAsync();
    }

    protected virtual void ConfigureEngine(Dictionary<string, string?> settings)
    {
    }
}
