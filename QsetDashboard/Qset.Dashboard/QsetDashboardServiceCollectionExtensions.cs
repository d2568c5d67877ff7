using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using MudBlazor.Services;
using Qset.Dashboard;
using Qset.Dashboard.Model;
using Qset.Dashboard.Security;

// In the DI namespace, as AddRazorComponents is.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Qset dashboard in a host.</summary>
public static class QsetDashboardServiceCollectionExtensions
{
    /// <summary>
    /// Adds the dashboard's pages (Blazor interactive server and MudBlazor, registered idempotently beside a host's own),
    /// its read model, and its token gate as a named scheme and policy that only the dashboard's endpoints use. Needs
    /// <c>AddQsetCache</c>. Map it with <c>app.MapQsetDashboard("/qset")</c>.
    /// </summary>
    public static IServiceCollection AddQsetDashboard(this IServiceCollection services, Action<QsetDashboardOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<QsetDashboardOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();
        services.TryAddSingleton(sp => new CacheView(
            sp.GetRequiredService<Qset.Caching.QsetCache>(),
            sp.GetRequiredService<Qset.Caching.ICacheBrowser>(),
            sp.GetRequiredService<Qset.Caching.ICacheNodes>()));
        services.TryAddSingleton<HotKeys>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, DashboardStartup>());
        services.AddDashboardSecurity();
        return services;
    }

    /// <summary>Starts what counts from the first event, not from the first page view: the hottest keys.</summary>
    private sealed class DashboardStartup(HotKeys hotKeys) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            GC.KeepAlive(hotKeys);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
