using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using QsetDashboard.Caching;
using QsetDashboard.Caching.Interceptors;
using QsetDashboard.Caching.Ledger;
using QsetDashboard.Caching.Queries;
using QsetDashboard.Caching.Redis;
using QsetDashboard.Data;

// In the DI namespace, as AddMemoryCache and AddFusionCache are, so that callers find it without a using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Qset cache engine and its three caching styles.</summary>
public static class CachingServiceCollectionExtensions
{
    /// <summary>
    /// Adds the engine (<see cref="QsetCache"/>), the store chosen by <c>Cache:Backend</c>, the event journal, the counters and meter,
    /// and the three styles, with <see cref="CacheOptions"/> bound from <paramref name="section"/> and validated at start.
    /// </summary>
    public static IServiceCollection AddQsetCache(this IServiceCollection services, Microsoft.Extensions.Configuration.IConfiguration section)
    {
        services.AddOptions<CacheOptions>().Bind(section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CacheOptions>, CacheOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton(sp => new EventJournal(
            sp.GetRequiredService<IOptions<CacheOptions>>().Value.JournalCapacity,
            sp.GetRequiredService<ILogger<EventJournal>>()));
        services.TryAddSingleton<CacheCounters>();
        services.TryAddSingleton<ReadTelemetry>();
        services.TryAddSingleton<CacheRecorder>();
        services.TryAddSingleton<MemoryCacheStore>();
        services.TryAddSingleton<RedisConnection>();
        services.TryAddSingleton<RedisCacheStore>();
        services.TryAddSingleton<HybridCacheStore>();
        services.TryAddSingleton<ICacheStore>(sp => sp.GetRequiredService<IOptions<CacheOptions>>().Value.Backend switch
        {
            CacheBackend.Redis => sp.GetRequiredService<RedisCacheStore>(),
            CacheBackend.Hybrid => sp.GetRequiredService<HybridCacheStore>(),
            _ => sp.GetRequiredService<MemoryCacheStore>(),
        });
        services.TryAddSingleton<CacheMetrics>();
        services.TryAddSingleton<NodeDirectory>();
        services.AddHostedService(sp => sp.GetRequiredService<NodeDirectory>());
        services.TryAddSingleton<TableVersions>();
        services.TryAddSingleton<QsetCache>();
        services.TryAddSingleton<EntityRepository>();
        services.TryAddSingleton<SimpleCache>();
        services.TryAddSingleton<GenericCache>();
        services.TryAdd(ServiceDescriptor.Singleton(typeof(ModelCache<>), typeof(ModelCache<>)));
        services.TryAddSingleton<QueryIndex>();
        services.TryAddSingleton<WriteInvalidator>();
        services.TryAddSingleton<PendingInvalidations>();
        services.TryAddSingleton<SaveChangesInvalidationInterceptor>();
        services.TryAddSingleton<TransactionInvalidationInterceptor>();
        services.TryAddSingleton<BulkWriteInterceptor>();
        services.TryAddSingleton<QueryCacheInterceptor>();
        services.TryAddSingleton<SavingsLedger>();
        return services;
    }
}
