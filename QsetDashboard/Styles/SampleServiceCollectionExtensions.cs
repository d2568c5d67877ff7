using Microsoft.EntityFrameworkCore;
using QsetDashboard.Data;
using QsetDashboard.Styles;

// In the DI namespace, as AddQsetCache is.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the seed's port: its <see cref="QsetsDbContext"/> and the three caching styles over it.</summary>
public static class SampleServiceCollectionExtensions
{
    /// <summary>
    /// Adds the <see cref="QsetsDbContext"/> factory over SQLite at <paramref name="connectionString"/>, wired to the cache
    /// with no key prefix (the seed's keys: <c>User.1</c>), the repository and the three styles. Needs <c>AddQsetCache</c>.
    /// </summary>
    public static IServiceCollection AddQsetSample(this IServiceCollection services, string connectionString) =>
        services.AddQsetSample(connectionString, SampleDatabase.Sqlite);

    /// <summary>As <see cref="AddQsetSample(IServiceCollection, string)"/>, on the database <paramref name="provider"/> names.</summary>
    public static IServiceCollection AddQsetSample(this IServiceCollection services, string connectionString, SampleDatabase provider)
    {
        services.AddDbContextFactory<QsetsDbContext>((sp, options) =>
            (provider == SampleDatabase.Postgres ? options.UseNpgsql(connectionString) : options.UseSqlite(connectionString))
                .UseQsetCache(sp, qset => qset.KeyPrefix = ""));
        services.AddSingleton<EntityRepository>();
        services.AddSingleton<SimpleCache>();
        services.AddSingleton<GenericCache>();
        services.AddSingleton(typeof(ModelCache<>));
        return services;
    }
}
