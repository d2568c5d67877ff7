using Qset.Caching;

// In the DI namespace, as AddHealthChecks is.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the cache's health check to an app's health checks.</summary>
public static class QsetHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a check named <paramref name="name"/> that reads the cache store without side effects: Healthy, Degraded while
    /// Redis is down or recovering (reads go to the database), Unhealthy when the store throws. Needs <c>AddQsetCache</c>.
    /// </summary>
    public static IHealthChecksBuilder AddQsetCache(this IHealthChecksBuilder builder, string name = "qset-cache", IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddCheck<QsetHealthCheck>(name, failureStatus: null, tags: tags ?? []);
    }
}
