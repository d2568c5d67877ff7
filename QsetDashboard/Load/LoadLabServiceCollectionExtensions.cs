using Microsoft.Extensions.DependencyInjection.Extensions;
using QsetDashboard.Load;

// In the DI namespace, as AddQsetCache is.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the load lab's workload generator.</summary>
public static class LoadLabServiceCollectionExtensions
{
    /// <summary>Adds <see cref="LoadGenerator"/> (one per app, so one run at a time); needs <c>AddQsetCache</c>.</summary>
    public static IServiceCollection AddQsetLoadLab(this IServiceCollection services)
    {
        services.TryAddSingleton<LoadGenerator>();
        return services;
    }
}
