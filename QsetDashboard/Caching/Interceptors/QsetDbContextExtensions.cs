using Microsoft.EntityFrameworkCore;
using QsetDashboard.Caching.Interceptors;
using QsetDashboard.Caching.Queries;
using QsetDashboard.Data;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Wires the cache's EF interceptors into a DbContext, one way for the app and the tests.</summary>
public static class QsetDbContextExtensions
{
    /// <summary>
    /// Adds the <see cref="QsetsDbContext"/> factory over SQLite with the cache's interceptors: automatic
    /// invalidation after commit, bulk and raw-SQL write invalidation, and <c>.Cacheable()</c> queries.
    /// </summary>
    public static IServiceCollection AddQsetDbContextFactory(this IServiceCollection services, string connectionString) =>
        services.AddDbContextFactory<QsetsDbContext>((sp, options) => options.UseSqlite(connectionString).UseQsetCache(sp));

    /// <summary>Adds the cache's interceptors (singletons from <paramref name="services"/>) to a DbContext's options.</summary>
    public static DbContextOptionsBuilder UseQsetCache(this DbContextOptionsBuilder builder, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddInterceptors(
            services.GetRequiredService<SaveChangesInvalidationInterceptor>(),
            services.GetRequiredService<TransactionInvalidationInterceptor>(),
            services.GetRequiredService<BulkWriteInterceptor>(),
            services.GetRequiredService<QueryCacheInterceptor>());
    }
}
