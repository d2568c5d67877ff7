using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Qset.Caching;
using Qset.Caching.Feed;
using Qset.Caching.Hybrid;
using Qset.Caching.Interceptors;
using Qset.Caching.Ledger;
using Qset.Caching.Queries;
using Qset.Caching.Redis;

// In the DI namespace, as AddMemoryCache and AddFusionCache are, so that callers find it without a using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Qset cache engine.</summary>
public static class CachingServiceCollectionExtensions
{
    /// <summary>
    /// Adds the engine (<see cref="QsetCache"/>), the store chosen by the section's <c>Backend</c>, the event journal, the
    /// counters and meter, the EF interceptors <c>UseQsetCache</c> wires into a context, and <see cref="EntityCache{TContext}"/>
    /// for reads by key, with <see cref="CacheOptions"/> bound from <paramref name="section"/> and validated at start.
    /// </summary>
    public static IServiceCollection AddQsetCache(this IServiceCollection services, Microsoft.Extensions.Configuration.IConfiguration section)
    {
        services.AddOptions<CacheOptions>().Bind(section).ValidateOnStart();
        // Bad settings are named as the host wrote them: Qset:Capacity for a host that binds Qset.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CacheOptions>>(
            new CacheOptionsValidator(section is Microsoft.Extensions.Configuration.IConfigurationSection { Path.Length: > 0 } bound ? bound.Path : CacheOptions.SectionName)));
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton(sp => new EventJournal(
            sp.GetRequiredService<IOptions<CacheOptions>>().Value.JournalCapacity,
            sp.GetRequiredService<ILogger<EventJournal>>(),
            sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<CacheCounters>();
        services.TryAddSingleton<ReadTelemetry>();
        services.TryAddSingleton(sp => new CacheRecorder(
            sp.GetRequiredService<EventJournal>(),
            sp.GetRequiredService<CacheCounters>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<CacheRecorder>>(),
            sp.GetRequiredService<ReadTelemetry>(),
            sp.GetRequiredService<IOptions<CacheOptions>>().Value.EventLogLevel));
        services.TryAddSingleton<IStoreSeams>(ProductionSeams.Instance);
        services.TryAddSingleton<MemoryCacheStore>();
        services.TryAddSingleton<RedisConnection>();
        services.TryAddSingleton<RedisCacheStore>();
        services.TryAddSingleton<HybridCacheStore>();
        // A store of the host's own is one it registered before this call.
        var hostStore = services.Any(d => d.ServiceType == typeof(ICacheStore) && !d.IsKeyedService);
        var hostBrowser = services.Any(d => d.ServiceType == typeof(ICacheBrowser) && !d.IsKeyedService);
        services.TryAddSingleton(sp => hostStore
            ? StoreSelection.ForHostStore(sp, hostBrowser ? sp.GetRequiredService<ICacheBrowser>() : null)
            : StoreSelection.ForBackend(sp));
        services.TryAddSingleton(sp => sp.GetRequiredService<StoreSelection>().Store);
        services.TryAddSingleton(sp => sp.GetRequiredService<StoreSelection>().Browser);
        services.TryAddSingleton(sp => sp.GetRequiredService<StoreSelection>().Nodes);
        services.TryAddSingleton<CacheMetrics>();
        services.TryAddSingleton<NodeDirectory>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostedService, StoreHeartbeat>());
        services.TryAddSingleton<TableVersions>();
        services.TryAddSingleton<FeedBoard>();
        services.TryAddSingleton(sp => new QsetCache(
            sp.GetRequiredService<StoreSelection>(),
            sp.GetRequiredService<CacheRecorder>(),
            sp.GetRequiredService<IOptions<CacheOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<TableVersions>(),
            sp.GetRequiredService<FeedBoard>()));
        services.TryAddSingleton<CacheTypes>();
        services.TryAddSingleton<ContextNames>();
        services.TryAdd(ServiceDescriptor.Singleton(typeof(EntityCache<>), typeof(EntityCache<>)));
        services.TryAddSingleton<QueryIndex>();
        services.TryAddSingleton<WriteInvalidator>();
        services.TryAddSingleton<PendingInvalidations>();
        services.TryAddSingleton<SaveChangesInvalidationInterceptor>();
        services.TryAddSingleton<TransactionInvalidationInterceptor>();
        services.TryAddSingleton<BulkWriteInterceptor>();
        services.TryAddSingleton<QueryCacheInterceptor>();
        services.TryAddSingleton<SavingsLedger>();
        services.TryAddSingleton(new ContextRegistrations(services));
        services.TryAddSingleton<FeedApplier>();
        services.TryAddSingleton<DatabaseWatch>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostedService, DatabaseWatchService>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostedService, EngineStartup>());
        services.AddSingleton<Microsoft.Extensions.Hosting.IHostedService>(sp => new UnreadSettings(section, sp.GetRequiredService<ILogger<UnreadSettings>>()));
        return services;
    }
}

/// <summary>Starts and stops the database feeds with the host (before it serves: see <see cref="DatabaseWatch"/>).</summary>
internal sealed class DatabaseWatchService(DatabaseWatch watch) : Microsoft.Extensions.Hosting.IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => watch.StartAsync(cancellationToken);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => watch.DisposeAsync().AsTask();

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Runs the selected store's heartbeat to the other nodes (a Hybrid node's), or nothing.</summary>
internal sealed class StoreHeartbeat(StoreSelection selection) : Microsoft.Extensions.Hosting.IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => selection.Heartbeat.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => selection.Heartbeat.StopAsync(cancellationToken);
}

/// <summary>Starts what counts from the first event rather than from its first reader: the meter and the savings ledger.</summary>
internal sealed class EngineStartup(CacheMetrics metrics, SavingsLedger ledger) : Microsoft.Extensions.Hosting.IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        GC.KeepAlive(metrics);
        GC.KeepAlive(ledger);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
