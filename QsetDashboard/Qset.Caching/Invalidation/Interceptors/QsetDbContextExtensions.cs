using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Qset.Caching;
using Qset.Caching.Interceptors;
using Qset.Caching.Queries;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Wires the cache into a DbContext's options.</summary>
public static class QsetDbContextExtensions
{
    /// <summary>
    /// Adds the cache's interceptors (singletons of the <c>AddQsetCache</c> services in <paramref name="services"/>) to a
    /// DbContext's options: invalidation after commit of every SaveChanges, ExecuteUpdate, ExecuteDelete and raw SQL
    /// write, and <c>.Cacheable()</c> queries. <paramref name="configure"/> sets how the context's keys are named.
    /// </summary>
    public static DbContextOptionsBuilder UseQsetCache(
        this DbContextOptionsBuilder builder, IServiceProvider services, Action<QsetContextOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(services);
        if (services.GetService<QsetCache>() is null)
        {
            throw new InvalidOperationException(
                "UseQsetCache needs the cache's services: call builder.Services.AddQsetCache(...) before the DbContext is first created.");
        }

        var options = new QsetContextOptions();
        configure?.Invoke(options);
        ((IDbContextOptionsBuilderInfrastructure)builder).AddOrUpdateExtension(new QsetOptionsExtension(options.KeyPrefix));
        return builder.AddInterceptors(
            services.GetRequiredService<SaveChangesInvalidationInterceptor>(),
            services.GetRequiredService<TransactionInvalidationInterceptor>(),
            services.GetRequiredService<BulkWriteInterceptor>(),
            services.GetRequiredService<QueryCacheInterceptor>());
    }
}
