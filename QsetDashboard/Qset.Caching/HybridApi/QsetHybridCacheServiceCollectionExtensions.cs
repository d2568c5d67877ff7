using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Qset.Caching;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="HybridCache"/> on the Qset engine.</summary>
public static class QsetHybridCacheServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="HybridCache"/> answered by the engine <c>AddQsetCache</c> added, over its configured backend
    /// (in place of any HybridCache registered before), so that code written against the abstraction gets the populate
    /// guard, one read per key, fail-safe and the dashboard's view of its keys.
    /// </summary>
    /// <exception cref="InvalidOperationException"><c>AddQsetCache</c> was not called first.</exception>
    public static IServiceCollection AddQsetHybridCache(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (!services.Any(d => d.ServiceType == typeof(QsetCache)))
        {
            throw new InvalidOperationException("AddQsetHybridCache needs the engine: call services.AddQsetCache(configuration.GetSection(\"Qset\")) before it.");
        }

        services.Replace(ServiceDescriptor.Singleton<HybridCache, QsetHybridCache>());
        return services;
    }
}
