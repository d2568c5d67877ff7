using Microsoft.Extensions.DependencyInjection.Extensions;
using QsetDashboard.Model;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers what the dashboard's pages use besides the engine.</summary>
public static class DashboardServiceCollectionExtensions
{
    /// <summary>Adds the per-session demo walks and the playground.</summary>
    public static IServiceCollection AddQsetDashboardModel(this IServiceCollection services)
    {
        services.TryAddScoped<DemoSessions>();
        services.TryAddSingleton<PlaygroundOperations>();
        services.TryAddSingleton<HotKeys>();
        services.TryAddSingleton<CacheView>();
        return services;
    }
}
