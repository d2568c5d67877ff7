using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using Qset.Dashboard.Model;
using QsetDashboard.Model;
using QsetDashboard.Tests.Infrastructure;

namespace QsetDashboard.Tests.Components;

/// <summary>A bUnit context with MudBlazor and the real engine over a real SQLite file.</summary>
public abstract class DashboardTestContext : BunitContext, IAsyncLifetime
{
    private bool _popoverProviderRendered;

    protected EngineHost Engine { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Engine = await EngineHost.StartAsync(ConfigureEngine, CreateTimeProvider());
        JSInterop.Mode = JSRuntimeMode.Loose;

        // Live updates cross the journal's pump and the throttle; on a busy 2-core runner one second is too tight.
        DefaultWaitTimeout = TimeSpan.FromSeconds(10);
        // MudBlazor registers the system clock; the pages must read the engine's (a fake one in TTL tests).
        Services.AddSingleton(Engine.Get<TimeProvider>());
        Services.AddMudServices();

        // The dashboard's own services, over the engine's singletons (bUnit's container does not see the fallback's).
        Services.AddScoped(_ => new DemoSessions());
        Services.AddSingleton(_ => Microsoft.Extensions.DependencyInjection.ActivatorUtilities.CreateInstance<PlaygroundOperations>(Engine.Services));
        Services.AddSingleton(_ => Microsoft.Extensions.DependencyInjection.ActivatorUtilities.CreateInstance<QsetDashboard.Load.LoadGenerator>(Engine.Services));
        Services.AddSingleton(_ => Microsoft.Extensions.DependencyInjection.ActivatorUtilities.CreateInstance<HotKeys>(Engine.Services));
        Services.AddSingleton(_ => new CacheView(Engine.Get<Qset.Caching.QsetCache>(), Engine.Get<Qset.Caching.ICacheBrowser>(), Engine.Get<Qset.Caching.ICacheNodes>()));
        Services.Configure<Qset.Dashboard.QsetDashboardOptions>(o =>
        {
            o.AdditionalAssemblies.Add(typeof(Program).Assembly);
            o.NavigationExtension = typeof(QsetDashboard.Components.Layout.SampleNav);
        });
        Services.AddFallbackServiceProvider(Engine.Services);

        // Last: it builds the renderer, after which no service may be added.
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Engine.DisposeAsync();
    }

    protected virtual void ConfigureEngine(Dictionary<string, string?> settings)
    {
    }

    /// <summary>The engine's clock; null for the system clock.</summary>
    protected virtual TimeProvider? CreateTimeProvider() => null;

    /// <summary>Renders MudBlazor's popover and dialog providers, then <typeparamref name="T"/>.</summary>
    protected IRenderedComponent<T> RenderWithProviders<T>(Action<ComponentParameterCollectionBuilder<T>>? parameters = null)
        where T : IComponent
    {
        if (!_popoverProviderRendered)
        {
            Render<MudPopoverProvider>();
            _popoverProviderRendered = true;
        }

        return Render(parameters);
    }

    /// <summary>Renders the dialog provider, where dialogs opened through <see cref="IDialogService"/> appear.</summary>
    protected IRenderedComponent<MudDialogProvider> RenderDialogProvider() => Render<MudDialogProvider>();
}
